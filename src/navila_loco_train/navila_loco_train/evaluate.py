"""`navila-loco-eval`: NaVILA's Table V (locomotion quality) measured in navila_sim, through the
real nodes.

    navila-loco-eval --policy models/go2_blind [--policy models/go2_vision] [--robot go2]
                     [--terrain flat,steps5,steps10,boxes,rubble] [--trials 3] [--segment-s 4]
                     [--config PARAMS.yaml] [--out DIR]

For every policy, terrain and trial the graph a deployment runs comes up on a private ROS domain:
the `navila_sim` node in physics mode (config/<robot>.yaml's navila_sim section, or --config's;
the terrain's scene, real time), the `navila_loco` node with the policy directory's overrides
(navila_loco_node.policy_dir) and, for a policy that sees a height map, `heightmap_node` on the
simulated LiDAR - the node list of `navila sim --low-level physics` (navila_bringup.stack). The
loco node starts last, once the evaluator hears the simulator, so none of its transitions (WALK,
DAMP) is missed. Once it has stood the robot up and walks on the policy, /cmd_vel
(geometry_msgs/Twist) is published directly with a NaVILA-like script (stand, forward 0.5 m/s,
turn left pi/6 rad/s, turn right, forward, stop), timed on the simulator's clock. Ground-truth
/odom, the sim's status (base height, body-obstacle contact counter) and the loco node's status
(DAMP) are recorded; eval_metrics turns them into the velocity tracking errors, collision rate
and fall rate, defined precisely in its module docstring. Each trial restarts the nodes, so no
state leaks between trials; trial k starts at the terrain's start pose plus a seeded jitter. A
trial that measured the machine instead of the policy (the stand-up never handed over to the
policy, or the loco node damped on stale robot state because this machine fell behind real
time) is rerun up to `--restarts` times, then the evaluation stops with the reason.

Terrains are held-out scenes under navila_sim/scenes/loco_eval_*.yaml (flat, steps5, steps10,
boxes, rubble), or any scene YAML path. boxes puts 25-45 cm boxes on the walking line among low
ones: no velocity-tracking policy gets past them, so it measures how far a policy gets before
it meets a wall as much as how it steps; rubble is only low, rotated blocks (5-12 cm), every one
meant to be crossed: the collision comparison between a vision and a blind policy on obstacles
both are asked to step over. A scene's optional `loco_eval: {start, jitter}` block sets the
start pose. Results: <out>/metrics.json (settings, goals, per-terrain summaries, every trial),
<out>/trials/<policy>/<terrain>_<k>.csv (the odometry and commands), node logs under
<out>/logs/. The loco node runs on the wall clock, so the simulator must keep real time; the
measured real-time factor is reported per trial and a slow run is flagged.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from navila_loco_train.eval_metrics import (
    GOALS,
    ContactCounts,
    GuardHold,
    Schedule,
    TrialResult,
    command_script,
    contact_counts,
    detect_fall,
    fall_segment,
    forward_held_fraction,
    forward_passed_fraction,
    report,
    stop_tilt_rise,
    summarize_policy,
    tilt_from_quat_xyzw,
    tracking_errors,
    turn_held_fraction,
)

TERRAINS = {
    "flat": "loco_eval_flat",
    "steps5": "loco_eval_steps5",
    "steps10": "loco_eval_steps10",
    "boxes": "loco_eval_boxes",
    "rubble": "loco_eval_rubble",
}
EVAL_NODES = ("navila_sim", "heightmap_node", "navila_loco")
SLOW_RTF = 0.9  # below this the wall-clock policy loop sees a slowed-down world


class InvalidTrialError(RuntimeError):
    """A trial that measured the machine, not the policy: restarted (EvalSettings.restarts)
    instead of being scored."""


class StandUpError(InvalidTrialError):
    """The trial never reached the policy (stand-up damped, WALK never seen)."""


@dataclass
class EvalSettings:
    robot: str = "go2"
    config: str = ""  # config/<robot>.yaml ('' = found from the robot name)
    terrains: tuple[str, ...] = tuple(TERRAINS)  # every shipped scene
    trials: int = 3
    stand_s: float = 2.0
    segment_s: float = 4.0
    settle_s: float = 0.5
    seed: int = 0
    fall_tilt_rad: float = 1.0
    fall_height_fraction: float = 0.5
    # The loco node's stale-state limit. The config's 50 ms is a robot's; on a shared 2-core
    # machine scheduler hiccups would damp the robot and be scored as the policy's falls.
    state_timeout_s: float = 0.25
    cmd_rate_hz: float = 20.0
    restarts: int = 2  # an invalid trial (InvalidTrialError: the machine, not the policy) is rerun
    ready_timeout_s: float = 60.0
    walk_timeout_s: float = 30.0

    def validate(self) -> None:
        if self.trials < 1:
            raise ValueError("trials must be >= 1")
        if not 0 <= self.settle_s < min(self.segment_s, self.stand_s):
            raise ValueError(
                f"settle_s ({self.settle_s}) must be >= 0 and shorter than every segment "
                f"(stand {self.stand_s} s, segments {self.segment_s} s)"
            )
        if not self.terrains:
            raise ValueError("no terrain to evaluate on")
        if self.restarts < 0:
            raise ValueError("restarts must be >= 0")


@dataclass(frozen=True)
class Terrain:
    name: str  # flat | steps5 | ... or the scene file's stem
    scene: str  # shipped scene name or a YAML path
    start: tuple[float, float, float]  # x, y [m], yaw [rad]
    jitter: tuple[float, float, float]  # uniform half-widths: x, y [m], yaw [rad]

    def start_pose(self, seed: int, trial: int) -> tuple[float, float, float]:
        """The trial's start pose: the terrain's start plus a jitter drawn from (seed, trial)."""
        rng = np.random.default_rng([seed, trial])
        offset = rng.uniform(-1.0, 1.0, 3) * np.asarray(self.jitter)
        x, y, yaw = (float(a + b) for a, b in zip(self.start, offset, strict=True))
        return (round(x, 4), round(y, 4), round(yaw, 4))


def resolve_terrain(name: str) -> Terrain:
    """A terrain by short name (flat, steps5, steps10, boxes, rubble) or scene YAML path."""
    from navila_sim.scene import load_scene, scene_path

    scene = TERRAINS.get(name, name)
    try:
        path = scene_path(scene)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"unknown terrain {name!r}: use one of {sorted(TERRAINS)} or a scene YAML path"
        ) from None
    load_scene(path)  # a broken scene fails here, not in the sim node
    meta = (yaml.safe_load(path.read_text()) or {}).get("loco_eval", {}) or {}
    start = [float(v) for v in meta.get("start", [0.0, 0.0, 0.0])]
    jitter = [float(v) for v in meta.get("jitter", [0.0, 0.0, 0.0])]
    if len(start) != 3 or len(jitter) != 3 or min(jitter) < 0:
        raise ValueError(f"{path}: loco_eval.start and .jitter need [x, y, yaw_deg], jitter >= 0")
    label = name if name in TERRAINS else path.stem
    return Terrain(
        label,
        str(path),
        (start[0], start[1], math.radians(start[2])),
        (jitter[0], jitter[1], math.radians(jitter[2])),
    )


@dataclass
class PolicyUnderTest:
    label: str
    path: str
    overrides: dict[str, Any]
    vision: bool
    num_inputs: int
    topics: dict[str, str] = field(default_factory=dict)  # the loco node's topics.* (config)


def load_policy_under_test(path: str, config: str, label: str = "") -> PolicyUnderTest:
    """Validate a policy directory (or file) against the robot config before anything starts."""
    from navila_loco_node.observation import ObservationBuilder
    from navila_loco_node.policy_dir import policy_overrides, validate_overrides

    overrides = policy_overrides(path, config=config)
    cfg = validate_overrides(overrides, config)
    return PolicyUnderTest(
        label=label or Path(path).resolve().name.removesuffix(Path(path).suffix),
        path=str(Path(path).resolve()),
        overrides=overrides,
        vision="height_map" in cfg.observation.terms,
        num_inputs=ObservationBuilder(cfg).size,
        topics=dict(cfg.topics),
    )


@dataclass
class Recording:
    """What one trial recorded, in plain arrays (script time: sim time minus the script start)."""

    t: np.ndarray  # odometry sample times
    position: np.ndarray  # (N, 3) world
    quat_xyzw: np.ndarray  # (N, 4)
    lin_vel: np.ndarray  # (N, 3) base frame
    ang_vel: np.ndarray  # (N, 3) base frame
    sim_status: list[dict[str, Any]] = field(default_factory=list)  # with "t" (script time)
    damp_events: list[tuple[float, str]] = field(default_factory=list)
    # (script time, forward held, turning held, forward factor) of each loco status while the
    # obstacle guard is active
    guard_holds: list[GuardHold] = field(default_factory=list)
    contact_periods: int = 0
    upper_contact_periods: int = 0
    control_periods: int = 0
    last_contact: str = ""

    def tilt(self) -> np.ndarray:
        """Base tilt [rad] per odometry sample (empty without samples)."""
        return tilt_from_quat_xyzw(self.quat_xyzw) if len(self.t) else np.zeros(0)


def check_valid(rec: Recording) -> None:
    """A DAMP on stale robot state (the loco node got no joint state / IMU within
    safety.state_timeout_s) means this machine fell behind real time: the robot was stopped by
    the safety supervisor, not felled by the policy. Raises InvalidTrialError."""
    for _, reason in rec.damp_events:
        if reason.startswith("stale "):
            raise InvalidTrialError(
                f"the loco node damped on stale robot state ({reason}): the machine did not keep "
                "up with real time (not the policy's fall)"
            )


def score_trial(
    policy: str,
    terrain: str,
    trial: int,
    start_pose: tuple[float, float, float],
    rec: Recording,
    schedule: Schedule,
    settings: EvalSettings,
) -> TrialResult:
    """One trial's figures from its recording (pure: unit-tested on synthetic recordings)."""
    track = tracking_errors(
        schedule, rec.t, rec.lin_vel[:, :2], rec.ang_vel[:, 2], settings.settle_s
    )
    heights = [(s["t"], s["trunk_height"]) for s in rec.sim_status if "trunk_height" in s]
    nominal = next((s["nominal_height"] for s in rec.sim_status if "nominal_height" in s), 0.0)
    tilt = rec.tilt()
    fall = detect_fall(
        rec.t,
        tilt,
        np.array([h[0] for h in heights]),
        np.array([h[1] for h in heights]),
        float(nominal),
        rec.damp_events,
        settings.fall_tilt_rad,
        settings.fall_height_fraction,
    )
    inside = (rec.t >= 0) & (rec.t <= schedule.total_s)
    pos = rec.position[inside]
    distance = (
        float(np.sum(np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1))) if len(pos) else 0.0
    )
    # The counters until the fall: contacts made on its feet, not lying on a box after it.
    upright: ContactCounts | None = None
    if rec.sim_status and fall.fell and fall.time_s is not None:
        upright = contact_counts(rec.sim_status, fall.time_s, stop_before_end=True)
    elif rec.sim_status:
        upright = ContactCounts(rec.contact_periods, rec.upper_contact_periods, rec.control_periods)
    rtfs = [
        s["real_time_factor"]
        for s in rec.sim_status
        if 0 <= s["t"] <= schedule.total_s and s.get("real_time_factor", 0) > 0
    ]
    return TrialResult(
        policy=policy,
        terrain=terrain,
        trial=trial,
        start_pose=start_pose,
        lin_vel_error=track.lin_vel_error,
        ang_vel_error=track.ang_vel_error,
        samples=track.samples,
        fell=fall.fell,
        fall_cause=fall.cause,
        fall_time_s=fall.time_s,
        fall_kind=fall.kind,
        fall_segment=fall_segment(schedule, fall.time_s) if fall.fell else "",
        stop_tilt_rise_rad=stop_tilt_rise(schedule, rec.t, tilt, fall.time_s, settings.settle_s),
        contact_periods=rec.contact_periods,
        upper_contact_periods=rec.upper_contact_periods,
        control_periods=rec.control_periods,
        last_contact=rec.last_contact,
        real_time_factor=float(np.mean(rtfs)) if rtfs else None,
        by_kind=track.by_kind,
        distance_m=distance,
        upright_contact_periods=upright.contact_periods if upright else None,
        upright_upper_contact_periods=upright.upper_contact_periods if upright else None,
        upright_control_periods=upright.control_periods if upright else None,
        forward_held_fraction=forward_held_fraction(schedule, rec.guard_holds),
        forward_passed_fraction=forward_passed_fraction(schedule, rec.guard_holds),
        turn_held_fraction=turn_held_fraction(schedule, rec.guard_holds),
    )


def write_trial_csv(path: Path, rec: Recording, schedule: Schedule) -> None:
    cmd = schedule.commands(rec.t)
    tilt = rec.tilt()
    rows = ["t,cmd_vx,cmd_vy,cmd_wz,vx,vy,wz,x,y,z,tilt"]
    for i in range(len(rec.t)):
        vals = (
            rec.t[i],
            *cmd[i],
            *rec.lin_vel[i, :2],
            rec.ang_vel[i, 2],
            *rec.position[i],
            tilt[i],
        )
        rows.append(",".join(f"{v:.4f}" for v in vals))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


# ------------------------------------------------------------------------------------- ROS side
def _graph_specs(policy: PolicyUnderTest, terrain_scene: str, start, settings: EvalSettings):
    """The `navila sim --low-level physics` node list, without executor and planner."""
    from navila_bringup.stack import SimStackOptions, sim_stack

    opts = SimStackOptions(
        robot=settings.robot,
        config=settings.config,
        low_level="physics",
        scene=terrain_scene,
        start_pose=start,
        real_time=True,
        policy_path=policy.path,
        camera=False,
        extra={
            "navila_sim": {"status_rate_hz": 10.0},
            # Frequent periodic statuses: WALK is seen even if its transition status is not.
            "navila_loco": {
                "safety.state_timeout_s": settings.state_timeout_s,
                "status_rate_hz": 10.0,
            },
        },
    )
    return [s for s in sim_stack(opts) if s.name in EVAL_NODES]


def _statuses(rec, node: str) -> list[tuple[float, dict[str, Any]]]:
    out = []
    for r in rec.items:
        s = json.loads(r.msg.data)
        if s.get("node") == node:
            out.append((r.t, s))
    return out


def run_trial(
    policy: PolicyUnderTest,
    terrain: Terrain,
    trial: int,
    settings: EvalSettings,
    schedule: Schedule,
    log_dir: Path,
    domain_id: int | None = None,
    say: Callable[[str], None] = print,
) -> tuple[tuple[float, float, float], Recording]:
    """Bring the nodes up, stand, run the command script on sim time, bring them down.

    Two phases: the simulator (and height map) first; the loco node only once the evaluator's
    probe hears the simulator. The loco node stands the robot up on its own (auto start, as
    deployed) and walks about two seconds later, so by then the probe, already in the graph,
    has discovered it and cannot miss its WALK / DAMP transitions."""
    from geometry_msgs.msg import Twist
    from nav_msgs.msg import Odometry
    from std_msgs.msg import String

    from navila_bringup.graph import DomainLease, NodeGraph, ros_env
    from navila_bringup.probe import Probe

    start = terrain.start_pose(settings.seed, trial)
    specs = _graph_specs(policy, terrain.scene, start, settings)
    lease = DomainLease.unless_given(domain_id)
    domain = lease.domain_id
    env = ros_env(domain)
    graphs: list[NodeGraph] = []

    def bring_up(phase: list) -> NodeGraph:
        graph = NodeGraph(phase, env=env, log_dir=log_dir)
        graphs.append(graph)
        graph.start()
        graph.wait_ready(settings.ready_timeout_s)
        return graph

    def dead() -> dict[str, int]:
        return {n: c for g in graphs for n, c in g.dead().items()}

    try:
        bring_up([s for s in specs if s.name != "navila_loco"])
        with Probe("navila_loco_eval", domain_id=domain) as probe:
            topics = {"status": "/navila/status", "cmd_vel": "/cmd_vel", **policy.topics}
            odom = probe.record(Odometry, "/odom", 200)
            status = probe.record(String, topics["status"], 200)
            if topics["status"] != "/navila/status":  # the sim's status topic
                status = _Merged(status, probe.record(String, "/navila/status", 200))
            if not status.wait_for(
                lambda _: bool(_statuses(status, "navila_sim")) and len(odom) > 0,
                settings.ready_timeout_s,
            ):
                raise RuntimeError("no /odom or status from navila_sim")
            loco_graph = bring_up([s for s in specs if s.name == "navila_loco"])
            pub = probe.publisher(Twist, topics["cmd_vel"])
            if not Probe.wait_matched(pub, settings.ready_timeout_s, n=2):  # sim + loco
                raise RuntimeError("navila_loco / navila_sim never subscribed to /cmd_vel")

            def walking(_: object) -> bool:
                """WALK reached (and, for a vision policy, a fresh height map) with the robot
                out of its gantry (a humanoid's: navila_sim.support), or a DAMP."""
                loco = [st for _, st in _statuses(status, "navila_loco")]
                if any(st.get("mode") == "damp" for st in loco):
                    return True  # before WALK: a stand-up failure; after: the policy's fall
                if not any(st.get("mode") == "walk" for st in loco):
                    return False
                if not _out_of_gantry(_statuses(status, "navila_sim")):
                    return False
                return not (policy.vision and loco[-1].get("height_map_stale", True))

            if not status.wait_for(walking, settings.walk_timeout_s):
                sims = _statuses(status, "navila_sim")
                raise StandUpError(
                    "the loco node never reached WALK on the policy"
                    + (" with a fresh height map" if policy.vision else "")
                    + " and the robot out of its gantry (simulator's support: "
                    + (str(sims[-1][1].get("support")) if sims else "no status")
                    + "):\n"
                    + loco_graph.read_log("navila_loco")[-3000:]
                )
            t_walk = _walk_start(_statuses(status, "navila_loco"))
            stamp = odom.items[-1].msg.header.stamp
            t0 = stamp.sec + stamp.nanosec * 1e-9
            say(f"    walking on the policy at sim time {t0:.2f} s; command script starts")
            _drive_script(pub, odom, dead, schedule, t0, settings, say)
            stop = Twist()
            for _ in range(3):
                pub.publish(stop)
                time.sleep(0.02)
            end = t0 + schedule.total_s

            def sim_past_end(_: object) -> bool:
                sims = _statuses(status, "navila_sim")
                return bool(sims) and sims[-1][1]["sim_time"] >= end

            status.wait_for(sim_past_end, 5.0)
            rec = _recording(odom, status, t0, t_walk, schedule.total_s)
    finally:
        codes: dict[str, int] = {}
        for graph in reversed(graphs):  # the loco node first: it damps the robot on its way out
            codes.update(graph.stop(timeout=10.0))
        lease.release()
    bad = {n: c for n, c in codes.items() if c != 0}
    if bad:
        say(f"    note: nodes exited with codes {bad} (logs in {log_dir})")
    return start, rec


def _out_of_gantry(sims: list[tuple[float, dict[str, Any]]]) -> bool:
    """The simulator's latest status says its robot stands on its own (navila_sim.support)."""
    from navila_sim.support import out_of_gantry

    return out_of_gantry(sims[-1][1] if sims else None)


def _walk_start(loco: list[tuple[float, dict[str, Any]]]) -> float:
    """Arrival time of the first sign that the policy drives: a WALK status, or a DAMP whose
    transition left WALK (its WALK status was not received). A DAMP out of STAND_UP is a
    stand-up failure, not the policy's: StandUpError."""
    for when, st in loco:
        source = (st.get("transition") or {}).get("source")
        if st.get("mode") == "walk" or source == "walk":
            return when
        if st.get("mode") == "damp":
            raise StandUpError(
                f"the loco node damped before walking on the policy (from {source or 'unknown'}): "
                f"{st.get('reason')}; statuses seen: "
                f"{[(round(w - loco[0][0], 2), s.get('mode'), s.get('event')) for w, s in loco]}"
            )
    raise StandUpError("no WALK status from the loco node")


class _Merged:
    """Two status recorders read as one (the loco node's status topic is not the sim's)."""

    def __init__(self, a, b) -> None:
        self._a, self._b = a, b

    @property
    def items(self):
        return sorted(self._a.items + self._b.items, key=lambda r: r.t)

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate(self.items):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


def _drive_script(pub, odom, dead, schedule: Schedule, t0: float, settings, say) -> None:
    """Publish the scripted command at cmd_rate_hz; the segment is chosen by the sim clock."""
    from geometry_msgs.msg import Twist

    wall_limit = time.monotonic() + 3.0 * schedule.total_s + 30.0
    period = 1.0 / settings.cmd_rate_hz
    shown = -1
    while True:
        stamp = odom.items[-1].msg.header.stamp
        t = stamp.sec + stamp.nanosec * 1e-9 - t0
        if t >= schedule.total_s:
            return
        i = int(schedule.index_at(t))
        if i != shown:
            seg = schedule.segments[i]
            say(f"    {seg.kind:<10} vx {seg.vx:+.2f} m/s  wz {seg.wz:+.3f} rad/s  (t {t:5.1f} s)")
            shown = i
        seg = schedule.segments[i]
        msg = Twist()
        msg.linear.x, msg.linear.y, msg.angular.z = seg.vx, seg.vy, seg.wz
        pub.publish(msg)
        died = dead()
        if died:
            raise RuntimeError(f"nodes died during the trial: {died}")
        if time.monotonic() > wall_limit:
            raise RuntimeError("the simulator stopped advancing (no new /odom)")
        time.sleep(period)


def _recording(odom, status, t0: float, t_walk: float, total_s: float) -> Recording:
    items = odom.items
    stamp = np.array([m.msg.header.stamp.sec + m.msg.header.stamp.nanosec * 1e-9 for m in items])
    arrival = np.array([m.t for m in items])

    def vec(get) -> np.ndarray:
        return np.array([get(m.msg) for m in items], dtype=float)

    rec = Recording(
        t=stamp - t0,
        position=vec(
            lambda m: (m.pose.pose.position.x, m.pose.pose.position.y, m.pose.pose.position.z)
        ),
        quat_xyzw=vec(
            lambda m: (
                m.pose.pose.orientation.x,
                m.pose.pose.orientation.y,
                m.pose.pose.orientation.z,
                m.pose.pose.orientation.w,
            )
        ),
        lin_vel=vec(
            lambda m: (m.twist.twist.linear.x, m.twist.twist.linear.y, m.twist.twist.linear.z)
        ),
        ang_vel=vec(
            lambda m: (m.twist.twist.angular.x, m.twist.twist.angular.y, m.twist.twist.angular.z)
        ),
    )
    sims = [s for _, s in _statuses(status, "navila_sim")]
    rec.sim_status = [{**s, "t": s["sim_time"] - t0} for s in sims]
    # The first loco DAMP once the policy drove (a DAMP between WALK and the script start is the
    # policy's too: script time 0); arrival (wall) time -> sim time through the odometry that
    # arrived just before it.
    for when, s in _statuses(status, "navila_loco"):
        if when >= t_walk and s.get("mode") == "damp":
            k = max(int(np.searchsorted(arrival, when, side="right")) - 1, 0)
            t_damp = max(float(stamp[k] - t0), 0.0) if len(stamp) else 0.0
            rec.damp_events.append((t_damp, s.get("reason", "")))
            break
    # The obstacle guard's holds (loco status at 10 Hz), on the same arrival -> sim time map.
    for when, s in _statuses(status, "navila_loco"):
        guard = s.get("obstacle_guard") or {}
        if when >= t_walk and guard.get("active") and len(stamp):
            k = max(int(np.searchsorted(arrival, when, side="right")) - 1, 0)
            rec.guard_holds.append(
                (
                    float(stamp[k] - t0),
                    bool(guard.get("holding")),
                    bool(guard.get("turn_held")),
                    float(guard.get("forward_factor", 0.0)),
                )
            )
    # Contact counters over the script (the sim status comes at 10 Hz: +-0.1 s at either end).
    counts = contact_counts(rec.sim_status, total_s)
    if counts is not None:
        rec.contact_periods = counts.contact_periods
        rec.upper_contact_periods = counts.upper_contact_periods
        rec.control_periods = counts.control_periods
        rec.last_contact = counts.last_contact
    return rec


# ------------------------------------------------------------------------------------- driver
def evaluate(
    policies: list[str],
    settings: EvalSettings,
    out_dir: Path,
    domain_id: int | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run every policy on every terrain `settings.trials` times; write and return metrics."""

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    settings.validate()
    if not settings.config:
        from navila_bringup.paths import find_config

        settings.config = str(find_config(settings.robot))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    labels: list[str] = []
    under_test = []
    for path in policies:
        put = load_policy_under_test(path, settings.config)
        label = put.label
        while label in labels:
            label += "+"
        put.label = label
        labels.append(label)
        under_test.append(put)
    terrains = [resolve_terrain(t) for t in settings.terrains]
    schedule = Schedule(command_script(settings.stand_s, settings.segment_s))
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, Any] = {
        "settings": {**asdict(settings), "terrains": [asdict(t) for t in terrains]},
        "script": [asdict(s) for s in schedule.segments],
        "goals": {**GOALS, "fall_rate_flat_and_steps": 0.0},
        "policies": {},
    }
    metrics_path = out_dir / "metrics.json"
    total = len(under_test) * len(terrains) * settings.trials
    done = 0
    t_start = time.monotonic()
    for put in under_test:
        say(
            f"[loco-eval] policy {put.label}: {put.path} ({'vision' if put.vision else 'blind'}, "
            f"{put.num_inputs} inputs)"
        )
        entry: dict[str, Any] = {"path": put.path, "vision": put.vision, "trials": []}
        metrics["policies"][put.label] = entry
        results: list[TrialResult] = []
        for terrain in terrains:
            for k in range(settings.trials):
                done += 1
                say(f"[loco-eval] {done}/{total}: {put.label} on {terrain.name}, trial {k + 1}")
                for attempt in range(settings.restarts + 1):
                    retry = f"_rerun{attempt}" if attempt else ""  # keep the failed run's logs
                    logs = out_dir / "logs" / put.label / f"{terrain.name}_{k}{retry}"
                    try:
                        start, rec = run_trial(
                            put, terrain, k, settings, schedule, logs, domain_id=domain_id, say=say
                        )
                        check_valid(rec)
                        break
                    except InvalidTrialError as exc:
                        if attempt == settings.restarts:
                            raise InvalidTrialError(
                                f"{put.label} on {terrain.name}, trial {k + 1}: {exc} "
                                f"({settings.restarts + 1} attempts; a less loaded machine or a "
                                "larger --state-timeout-s helps)"
                            ) from exc
                        say(f"    invalid trial, restarting it: {exc}")
                write_trial_csv(
                    out_dir / "trials" / put.label / f"{terrain.name}_{k}.csv", rec, schedule
                )
                r = score_trial(put.label, terrain.name, k, start, rec, schedule, settings)
                results.append(r)
                entry["trials"].append({**r.to_dict(), "restarts": attempt})
                say(
                    f"    lin err {r.lin_vel_error:.3f} m/s, ang err {r.ang_vel_error:.3f} rad/s, "
                    f"{'FELL (' + r.fall_cause + ')' if r.fell else 'no fall'}, "
                    f"{r.contact_periods} contact steps, moved {r.distance_m:.2f} m"
                    + (
                        f", forward held by the obstacle guard {r.forward_held_fraction:.0%}"
                        if r.forward_held_fraction
                        else ""
                    )
                    + (
                        f", forward speed it let through {r.forward_passed_fraction:.0%}"
                        if r.forward_passed_fraction is not None and r.forward_passed_fraction < 1
                        else ""
                    )
                    + (
                        f", turns held by it {r.turn_held_fraction:.0%}"
                        if r.turn_held_fraction
                        else ""
                    )
                    + (
                        f", real-time factor {r.real_time_factor:.2f} (SLOW)"
                        if r.real_time_factor is not None and r.real_time_factor < SLOW_RTF
                        else ""
                    )
                )
                metrics_path.write_text(json.dumps(metrics, indent=1))  # partial results survive
        entry["summary"], entry["meets_goals"] = summarize_policy(
            results, [t.name for t in terrains]
        )
    lines = report(metrics)
    metrics["wall_time_s"] = round(time.monotonic() - t_start, 1)
    metrics_path.write_text(json.dumps(metrics, indent=1))
    for line in lines:
        say(line)
    say(f"[loco-eval] metrics: {metrics_path}; per-trial odometry: {out_dir / 'trials'}")
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="navila-loco-eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--policy",
        action="append",
        required=True,
        help="policy directory (weights + loco_params.yaml) or policy file; repeat to compare",
    )
    parser.add_argument("--robot", default="go2", help="config/<robot>.yaml (default go2)")
    parser.add_argument(
        "--config",
        default="",
        help="robot params file to run the nodes with instead of config/<robot>.yaml (e.g. a "
        "copy with other heightmap_node settings)",
    )
    parser.add_argument(
        "--terrain",
        default=",".join(EvalSettings.terrains),
        help=f"comma-separated: {', '.join(TERRAINS)} or scene YAML paths",
    )
    parser.add_argument("--trials", type=int, default=3, help="trials per terrain")
    parser.add_argument("--segment-s", type=float, default=4.0, help="seconds per command")
    parser.add_argument("--stand-s", type=float, default=2.0, help="initial stand (zero command)")
    parser.add_argument("--settle-s", type=float, default=0.5, help="excluded after a change")
    parser.add_argument("--seed", type=int, default=0, help="start-pose jitter seed")
    parser.add_argument(
        "--state-timeout-s",
        type=float,
        default=EvalSettings.state_timeout_s,
        help="loco node stale-state limit (config: 0.05 s; see EvalSettings)",
    )
    parser.add_argument(
        "--restarts",
        type=int,
        default=EvalSettings.restarts,
        help="reruns of an invalid trial (stand-up failed, or a stale-state damp: the machine "
        "fell behind real time)",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    args = parser.parse_args(argv)
    if args.config and not Path(args.config).is_file():
        parser.error(f"--config {args.config}: no such file")
    from navila_bringup.paths import results_dir

    out = args.out or results_dir() / f"loco_eval_{time.strftime('%Y%m%d_%H%M%S')}"
    settings = EvalSettings(
        robot=args.robot,
        config=args.config,
        terrains=tuple(t.strip() for t in args.terrain.split(",") if t.strip()),
        trials=args.trials,
        stand_s=args.stand_s,
        segment_s=args.segment_s,
        settle_s=args.settle_s,
        seed=args.seed,
        state_timeout_s=args.state_timeout_s,
        restarts=args.restarts,
    )
    from navila_bringup.graph import stop_on_signals

    stop_on_signals()
    try:
        evaluate(args.policy, settings, out)
    except KeyboardInterrupt:
        print("[loco-eval] interrupted; nodes stopped", file=sys.stderr)
        return 130
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"[loco-eval] FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
