"""Following a running stack from outside: the checks before an instruction is sent, its
delivery, and the planner's and executor's messages as they come, for `navila sim` (the embedded
simulation) and `navila robot` (a real robot) alike. rclpy only through the Probe's recorders
handed in; no import of it here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

READY_TIMEOUT = 60.0


class Follower:
    """Prints what the planner said and what the executor made of it, once each, as they come;
    and the locomotion node's mode changes (a DAMP with its reason) and the robot camera's
    (frames arriving or not, and why), which an operator must see.
    It drains the recorders it is given (a robot runs for hours): read what they held from its
    lists and counters, not from them."""

    def __init__(self, outputs, actions, status, say: Callable[[str], None]) -> None:
        self.outputs, self.actions, self.status, self.say = outputs, actions, status, say
        self.planner_outputs: list[str] = []
        self.loco_modes: list[dict] = []  # {"mode", "reason"} at each change
        self.episodes_ended = 0  # the executor's episode_end events (the planner said stop)
        self.camera_ok: bool | None = None  # a robot camera driver's verdict, once one spoke
        self.start_blocked = ""  # the loco node's reason it cannot start, while passive
        self.forward_held = ""  # the obstacle guard's reason, while it holds forward motion
        self.turn_held = ""  # ... while it holds turning

    @property
    def loco_mode(self) -> str:
        return self.loco_modes[-1]["mode"] if self.loco_modes else ""

    def _say_loco_holds(self, s: dict) -> None:
        """Why a robot that should move does not: PASSIVE that cannot start (`start_blocked`,
        e.g. a policy waiting for a base velocity no backend gives) and the obstacle guard
        holding the forward speed or turning; each said when it begins or its kind changes, and
        its end."""
        blocked = s.get("start_blocked") or ""
        if _kind(blocked) != _kind(self.start_blocked):
            if blocked:
                self.say(f"[loco] cannot start: {blocked}")
            self.start_blocked = blocked
        guard = s.get("obstacle_guard") or {}
        held = str(guard.get("reason") or "") if guard.get("holding") else ""
        if _kind(held) != _kind(self.forward_held):
            self.say(f"[loco] forward held: {held}" if held else "[loco] forward released")
            self.forward_held = held
        turn = str(guard.get("turn_reason") or "") if guard.get("turn_held") else ""
        if _kind(turn) != _kind(self.turn_held):
            self.say(f"[loco] turning held: {turn}" if turn else "[loco] turning released")
            self.turn_held = turn

    def poll(self) -> list[dict]:
        """Say what arrived since the last call; returns the executor's new action messages."""
        for r in self.outputs.drain():
            self.say(f"[planner] {r.msg.data}")
            self.planner_outputs.append(r.msg.data)
        new: list[dict] = []
        for r in self.actions.drain():
            try:  # anyone may publish on the topic: a message we cannot read is said, not fatal
                a = json.loads(r.msg.data)
                verdict = (
                    f"{len(a['actions'])} action(s), {a['total_duration']:.2f} s"
                    if a["ok"]
                    else f"refused: {a['error']['reason']}"
                )
            except (ValueError, KeyError, TypeError) as exc:
                self.say(f"[executor] unreadable /navila/action message ({exc!r}): skipped")
                continue
            self.say(f"[executor] {verdict}")
            new.append(a)
        items = self.status.drain()
        for s in node_statuses(items, "navila_loco"):
            mode = str(s.get("mode", ""))
            if mode != self.loco_mode:
                reason = s.get("reason")
                self.say(f"[loco] {mode}" + (f": {reason}" if reason else ""))
                self.loco_modes.append({"mode": mode, "reason": reason})
            self._say_loco_holds(s)
        for s in node_statuses(items, "navila_camera"):
            ok = bool(s.get("ok"))
            if ok != self.camera_ok:
                self.say(
                    "[camera] frames arriving"
                    if ok
                    else f"[camera] no frame: {s.get('last_error')}"
                )
                self.camera_ok = ok
        ends = sum(s.get("event") == "episode_end" for s in node_statuses(items, "navila_executor"))
        self.episodes_ended += ends
        return new


def _kind(reason: str) -> str:
    """A reason without its measured figures ("obstacle or drop 0.52 m ahead" -> "obstacle or
    drop # m ahead", "stale IMU (80 ms > 50 ms)" -> "stale IMU"): a changing figure is not said
    again each time."""
    return re.sub(r"\d+(\.\d+)?", "#", reason.split(" (")[0])


def wait_until_linked(status, names: list[str], say) -> None:
    """Before the first instruction: the executor's /cmd_vel must reach a reader (discovery on a
    loaded machine can take seconds, and a command sent before it is lost), and a locomotion
    policy must have stood the robot up and be walking (commands during the stand-up are not
    walked, so the executor's timed actions would come out short)."""

    def latest(items: list, node: str) -> dict | None:
        mine = node_statuses(items, node)
        return mine[-1] if mine else None

    def linked(items: list) -> bool:
        ex = latest(items, "navila_executor")
        return bool(ex) and int(ex.get("cmd_vel_subscribers") or 0) >= 1

    if not status.wait_for(linked, READY_TIMEOUT):
        raise RuntimeError("the executor's /cmd_vel never reached the simulator / policy node")
    if "navila_loco" in names:
        say("[navila] waiting for the policy to stand the robot up")

        def walking(items: list) -> bool:
            lo = latest(items, "navila_loco")
            if lo and lo.get("mode") == "damp":
                raise RuntimeError(f"the locomotion node damped the robot: {lo.get('reason')}")
            return bool(lo) and lo.get("mode") == "walk"

        if not status.wait_for(walking, READY_TIMEOUT):
            raise RuntimeError("the locomotion policy never reached walk mode")
        if "navila_sim" in names:
            # A humanoid hangs in navila_sim's gantry for its policy's first seconds
            # (navila_sim.support): an instruction walked then would come out short.
            from navila_sim.support import out_of_gantry

            def free(items: list) -> bool:
                walking(items)  # a DAMP while still in the gantry is still an error
                return out_of_gantry(latest(items, "navila_sim"))

            if not status.wait_for(free, READY_TIMEOUT):
                raise RuntimeError("navila_sim never lowered the robot's gantry")
        say("[navila] robot standing, policy walking")


def deliver_instruction(pub, msg, status, tries: int = 10, wait_s: float = 2.0) -> bool:
    """Publish until the planner's status shows the instruction. A publisher can see a new
    subscriber before that subscriber has matched the publisher; a volatile message sent in that
    window is lost. Re-sending is safe: the planner only acts on a status-confirmed instruction
    once, and the executor is idle either way."""

    def confirmed(items) -> bool:
        return any(s.get("instruction") == msg.data for s in node_statuses(items, "navila_vla"))

    for _ in range(tries):
        pub.publish(msg)
        if status.wait_for(confirmed, wait_s):
            return True
    return False


def node_statuses(items: list, node: str) -> list[dict]:
    """The JSON status messages of one node on the shared status topic, oldest first (anything
    that is not a JSON object is skipped)."""
    out = []
    for r in items:
        try:
            s = json.loads(r.msg.data)
        except (json.JSONDecodeError, TypeError):
            continue
        if isinstance(s, dict) and s.get("node") == node:
            out.append(s)
    return out
