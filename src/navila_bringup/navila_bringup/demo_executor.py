"""`navila demo`: the executor node fed a scripted sequence of NaVILA-style planner outputs.

It starts the real executor node as its own process, publishes each planner text on
/navila/vla/output exactly as the planner would, waits for the executor's done event, and prints
the velocity segments it streamed on /cmd_vel with their measured durations and latencies.
Results go to a JSON file whose path is printed at the end.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from navila_bringup.graph import DomainLease, NodeGraph, NodeSpec, ros_env
from navila_bringup.paths import find_config, results_dir

# (planner text, seconds to let it run before the next text pre-empts it; None = until done)
SCRIPT: list[tuple[str, float | None]] = [
    ("The next action is move forward 75 cm.", None),
    ("The next action is turn left 30 degrees.", None),
    ("The next action is turn right 15 degree.", None),
    ("turn left 30 degrees, then move forward 1 m", None),
    ("I can see a hallway with a door on the left, and a plant.", None),  # not an action
    ("move forward 3 m", 0.6),  # pre-empted by the next one
    ("The next action is turn right 45 degrees.", None),
    ("The next action is stop.", None),
]
TIMEOUT = 30.0


@dataclass
class Segment:
    vx: float
    vy: float
    wz: float
    messages: int
    first_t: float
    last_t: float

    @property
    def measured_s(self) -> float:
        return self.last_t - self.first_t


@dataclass
class StepReport:
    text: str
    ok: bool
    actions: list[dict] = field(default_factory=list)
    planned_s: float = 0.0
    error: dict | None = None
    first_cmd_latency_ms: float | None = None
    segments: list[dict] = field(default_factory=list)
    outcome: str = ""


def _segments(items: list, t_from: float) -> list[Segment]:
    segs: list[Segment] = []
    for r in items:
        if r.t < t_from:
            continue
        v = (r.msg.linear.x, r.msg.linear.y, r.msg.angular.z)
        if segs and (segs[-1].vx, segs[-1].vy, segs[-1].wz) == v:
            segs[-1].messages += 1
            segs[-1].last_t = r.t
        else:
            if segs:  # a segment lasts until the next value arrives
                segs[-1].last_t = r.t
            segs.append(Segment(*v, messages=1, first_t=r.t, last_t=r.t))
    return segs


def run_demo(robot: str = "go2", rate_hz: float = 50.0, out: Path | None = None) -> Path:
    from geometry_msgs.msg import Twist
    from std_msgs.msg import String

    from navila_bringup.probe import Probe

    config = find_config(robot)
    out = out or results_dir() / "demo_executor.json"
    reports: list[StepReport] = []
    with DomainLease() as lease:
        print(f"[demo] ROS_DOMAIN_ID={lease.domain_id}, config {config}")
        spec = NodeSpec(
            "navila_executor",
            "instruction_parser.executor_node",
            params_file=str(config),
            params={"rate_hz": rate_hz},
        )
        graph = NodeGraph([spec], env=ros_env(lease.domain_id))
        graph.start()
        try:
            if not graph.wait_for_log(spec.name, "ready", TIMEOUT):
                raise RuntimeError(f"executor did not start:\n{graph.read_log(spec.name)}")
            print(f"[demo] executor node up (log: {graph.log_path(spec.name)})")
            with Probe("navila_demo", domain_id=lease.domain_id) as probe:
                cmd = probe.record(Twist, "/cmd_vel")
                actions = probe.record(String, "/navila/action")
                status = probe.record(String, "/navila/status")
                text_pub = probe.publisher(String, "/navila/vla/output")
                if not Probe.wait_matched(text_pub, TIMEOUT):
                    raise RuntimeError("executor never subscribed to /navila/vla/output")
                for i, (text, hold) in enumerate(SCRIPT, 1):
                    print(f"\n[demo] step {i}/{len(SCRIPT)}: planner says {text!r}")
                    reports.append(_run_step(text, hold, text_pub, cmd, actions, status))
                    _print_step(reports[-1])
        finally:
            codes = graph.stop()
            print(f"\n[demo] executor stopped (exit code {codes.get(spec.name)})")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"robot": robot, "rate_hz": rate_hz, "steps": [asdict(r) for r in reports]}, indent=2
        )
    )
    print(f"[demo] results written to {out}")
    return out


def _run_step(text, hold, text_pub, cmd, actions, status) -> StepReport:
    from std_msgs.msg import String

    n_actions, n_status = len(actions), len(status)
    t_pub = time.monotonic()
    text_pub.publish(String(data=text))
    if not actions.wait_count(n_actions + 1, TIMEOUT):
        raise RuntimeError("executor did not answer on /navila/action")
    parsed = json.loads(actions.items[-1].msg.data)
    report = StepReport(
        text=text,
        ok=parsed["ok"],
        actions=parsed["actions"],
        planned_s=parsed.get("total_duration", 0.0),
        error=parsed["error"],
    )
    seq = parsed["seq"]

    def finished(items) -> str | None:
        for r in items[n_status:]:
            s = json.loads(r.msg.data)
            if s.get("seq") == seq and s.get("event") in ("action_done", "episode_end", "rejected"):
                return s["event"]
        return None

    if hold is not None:
        time.sleep(hold)
        report.outcome = "pre-empted by the next text"
    elif not status.wait_for(lambda items: finished(items) is not None, TIMEOUT):
        raise RuntimeError(f"no done event for {text!r}")
    else:
        report.outcome = finished(status.items) or ""
        time.sleep(0.15)  # let the trailing zero arrive so the last segment is closed
    segs = _segments(cmd.items, t_pub)
    moving = [s for s in segs if (s.vx, s.vy, s.wz) != (0.0, 0.0, 0.0)]
    if moving:
        report.first_cmd_latency_ms = (moving[0].first_t - t_pub) * 1e3
    report.segments = [
        {
            "vx": s.vx,
            "vy": s.vy,
            "wz": s.wz,
            "messages": s.messages,
            "measured_s": round(s.measured_s, 4),
        }
        for s in segs
    ]
    return report


def _describe(action: dict) -> str:
    if "amount_deg" in action:
        return f"{action['kind']} {action['amount_deg']:.3g} deg"
    return f"{action['kind']} {action['amount']:.3g} m" if action["unit"] else action["kind"]


def _print_step(r: StepReport) -> None:
    if not r.ok:
        print(f"  refused ({r.error['code']}): {r.error['reason']} -> robot held at zero")
    else:
        kinds = ", ".join(_describe(a) for a in r.actions)
        print(f"  parsed: {kinds}; planned {r.planned_s:.3f} s")
    for s in r.segments:
        label = "zero" if (s["vx"], s["vy"], s["wz"]) == (0.0, 0.0, 0.0) else "move"
        print(
            f"  /cmd_vel {label}: vx={s['vx']:+.3f} vy={s['vy']:+.3f} wz={s['wz']:+.4f} "
            f"x{s['messages']} msgs over {s['measured_s']:.3f} s"
        )
    if r.first_cmd_latency_ms is not None:
        print(f"  text -> first motion command: {r.first_cmd_latency_ms:.1f} ms")
    print(f"  outcome: {r.outcome}")
