"""The arithmetic of the locomotion evaluation (NaVILA's Table V): command script, tracking
errors, falls, collisions, aggregation and the printed table. No rclpy, no MuJoCo: the runner in
`navila_loco_train.evaluate` records odometry and statuses from the real nodes and hands plain
arrays here, so every number in metrics.json is unit-tested on synthetic odometry.

Definitions (all in metrics.json under the same names):

* Command script (per trial, NaVILA's mid-level actions as velocities): stand (zero command),
  forward 0.5 m/s, turn left +pi/6 rad/s, turn right -pi/6 rad/s, forward 0.5 m/s, stop (zero);
  turns are in place (vx = 0), as the instruction parser maps "turn left 30 degrees".
* Measured velocity: the ground-truth /odom twist of navila_sim, which is in the base frame
  (REP 105 child frame): vx, vy forward/left, wz the body yaw rate - the quantities the policy is
  trained to track (Isaac Lab's root_lin_vel_b / root_ang_vel_b).
* A sample counts when its sim time lies inside the script and at least `settle_s` after the
  start of its segment (default 0.5 s: the response to a step in the command is not error).
* lin_vel_error = mean over counted samples of sqrt((vx_cmd - vx)^2 + (vy_cmd - vy)^2) [m/s]
  (vy_cmd is 0 in this script, so the lateral drift |vy| is part of the error);
  ang_vel_error = mean over counted samples of |wz_cmd - wz| [rad/s].
  Samples after a fall are kept: a fallen robot does not track the command, and dropping them
  would make a policy that falls early look accurate.
* fell: the base tilt (angle between the body z axis and the vertical) exceeded `fall_tilt_rad`
  (1 rad), or the base came below `fall_height_fraction` (0.5) of its standing height above the
  ground under it, or the locomotion node went to DAMP (its own tilt / joint-limit supervisor)
  once the policy drove. fall_rate = fraction of trials that fell. A DAMP on stale robot state
  is the machine falling behind real time, not a fall: the runner reruns such a trial
  (navila_loco_train.evaluate.check_valid) instead of scoring it. falls_by_kind counts the
  falls by their first sign (tilt, base_height, loco_damp): the height is taken above the
  surface under the base, so a robot stuck crouching with its base over a low block (feet on
  the floor around it, upright) can cross the line without having gone down - on rubble the
  kinds tell such a stall from a robot tipping over. falls_by_segment counts them by the
  command the script gave at that moment (a trial's fall_segment: stand, forward, turn_left,
  turn_right, stop): a policy that tips over while turning on a block edge and one that rolls
  off a box it stands on under the final zero command fail in different ways and need
  different training (stage 25's boxes roll-overs all came in the stop).
* Standing still after the walk: stop_tilt_rise_rad per trial = the largest base tilt in the
  script's final stop segment, from `settle_s` after its start, minus the tilt at that moment
  (None when the trial fell before the stop, had no sample in it, or the script does not end in
  a stop). A robot the walk left with a leg up on a low box can stand there for seconds and then
  roll over slowly (stage 25's boxes falls); the rise shows that creep in trials that do not
  fall, and falls under the stop show up as large rises too. The settle window leaves out the
  pitch of braking from 0.5 m/s, which on rubble alone put stage 26 over the limit in 12 of 30
  trials (1 of 30 after it). Per summary: stop_tilt_trials (trials with a figure),
  stop_unsteady (those whose rise exceeded STOP_TILT_RISE_RAD, 0.1 rad) and
  stop_tilt_rise_max. Runs from before it was recorded have no figure (navila-loco-eval-pool
  measures it from a run's trial CSVs when its folder still has them).
* The obstacle guard (navila_loco holds the forward speed in front of a face the policy cannot
  step onto or a ledge): forward_held_fraction per trial = of the loco node's statuses (10 Hz)
  that came while the script commanded forward motion, the share in which the guard held it;
  per summary the mean over trials that had the guard on (None without it). The linear error
  keeps measuring against the script's command, so a held stop counts as error; this figure
  says how much of a forward segment was the guard's decision rather than the policy's
  tracking.
  forward_passed_fraction: under forward commands, the mean share of the commanded speed the
  guard let through (its ramp slows before it holds). turn_held_fraction: as
  forward_held_fraction for turn-in-place segments and the guard's turn hold (an obstacle
  within the body's sweep).
* Collisions: navila_sim counts control periods (50 Hz) with a robot body geom (not a foot)
  touching a scene obstacle (see navila_sim.sim). collision_rate = fraction of TRIALS with at
  least one such period; contact_step_fraction = such periods / all control periods of the
  scripts (pooled over trials). NaVILA reports its collision rate without a documented unit, so
  no goal is set for it here; the comparison that matters is vision vs blind.
  upper_collision_rate / upper_contact_step_fraction: the same for contacts above the lower
  legs (trunk, head, hips, thighs; navila_sim's `upper_contact_periods`), the issue's "body/thigh
  contacts". The plain figures also count a calf scraping a step's or box's edge, which a robot
  that climbs does and one that stops at the edge does not. collision_comparison sets each
  vision policy's two step fractions beside each blind one's, per terrain (metrics.json
  "collision_comparison"): the issue's "fewer collisions for the vision policy" goal.
  upright_contact_step_fraction / upright_upper_contact_step_fraction: the same two counted
  only until the trial's fall (the whole script without one), over the control periods until
  then. Why: a robot that tipped over against a box lies on it, damped, for the rest of the
  script, and every one of those periods counts as a contact - one fall can add several hundred
  body/thigh "collisions" that the fall rate already counts once. The plain figures stay as they
  were; these tell contacts made walking from the ones a fall leaves. None for runs from before
  they were recorded (navila-loco-eval-pool pools such runs with today's).
* Aggregates: lin/ang errors are the mean (and standard deviation) of the per-trial means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# NaVILA, Table V (Go2): linear 0.066 m/s, angular 0.113 rad/s. No falls on flat ground and
# steps up to 10 cm is the project's own goal (issue 6).
GOALS = {"lin_vel_error": 0.066, "ang_vel_error": 0.113}
NO_FALL_TERRAINS = ("flat", "steps5", "steps10")
FORWARD_SPEED = 0.5
TURN_RATE = math.pi / 6


SEGMENT_KINDS = ("stand", "forward", "turn_left", "turn_right", "stop")
# A tilt rise above this while stopped counts the trial as unsteady (see the module doc).
STOP_TILT_RISE_RAD = 0.1


@dataclass(frozen=True)
class Segment:
    kind: str  # stand | forward | turn_left | turn_right | stop
    duration_s: float
    vx: float = 0.0
    vy: float = 0.0
    wz: float = 0.0


def command_script(
    stand_s: float = 2.0,
    segment_s: float = 4.0,
    forward: float = FORWARD_SPEED,
    turn: float = TURN_RATE,
) -> list[Segment]:
    """NaVILA-like commands: stand, forward, turn left, turn right, forward, stop."""
    if not (stand_s > 0 and segment_s > 0):
        raise ValueError("stand_s and segment_s must be > 0")
    return [
        Segment("stand", stand_s),
        Segment("forward", segment_s, vx=forward),
        Segment("turn_left", segment_s, wz=turn),
        Segment("turn_right", segment_s, wz=-turn),
        Segment("forward", segment_s, vx=forward),
        Segment("stop", segment_s),
    ]


class Schedule:
    """Segments laid end to end from t = 0 (script start, sim time)."""

    def __init__(self, segments: list[Segment]) -> None:
        if not segments:
            raise ValueError("a command schedule needs at least one segment")
        self.segments = list(segments)
        self.starts = np.concatenate(([0.0], np.cumsum([s.duration_s for s in segments])[:-1]))
        self.total_s = float(sum(s.duration_s for s in segments))

    def index_at(self, t: np.ndarray | float) -> np.ndarray:
        """Segment index per time (clipped to the first/last segment)."""
        idx = np.searchsorted(self.starts, np.asarray(t, dtype=float), side="right") - 1
        return np.clip(idx, 0, len(self.segments) - 1)

    def command_at(self, t: float) -> Segment:
        return self.segments[int(self.index_at(t))]

    def commands(self, t: np.ndarray) -> np.ndarray:
        """(N, 3) commanded (vx, vy, wz) at the given times."""
        table = np.array([[s.vx, s.vy, s.wz] for s in self.segments])
        return table[self.index_at(t)]


def tilt_from_quat_xyzw(q: np.ndarray) -> np.ndarray:
    """Angle [rad] between the body z axis and the world vertical, per (x, y, z, w) row."""
    q = np.atleast_2d(np.asarray(q, dtype=float))
    x, y = q[:, 0], q[:, 1]
    n2 = np.sum(q * q, axis=1)
    r22 = 1.0 - 2.0 * (x * x + y * y) / np.where(n2 > 0, n2, 1.0)
    return np.arccos(np.clip(r22, -1.0, 1.0))


@dataclass
class Tracking:
    lin_vel_error: float
    ang_vel_error: float
    samples: int
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)


def tracking_errors(
    schedule: Schedule,
    t: np.ndarray,
    lin_vel_xy: np.ndarray,
    wz: np.ndarray,
    settle_s: float = 0.5,
) -> Tracking:
    """Mean velocity tracking errors over the counted samples (see the module doc).

    t: sim times relative to the script start (s); lin_vel_xy: (N, 2) base-frame vx, vy;
    wz: (N,) base-frame yaw rate. Raises ValueError when no sample counts (the trial produced
    no odometry inside the script, or settle_s is not shorter than every segment)."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(lin_vel_xy, dtype=float).reshape(-1, 2)
    w = np.asarray(wz, dtype=float).reshape(-1)
    if not (len(t) == len(v) == len(w)):
        raise ValueError("t, lin_vel_xy and wz need the same number of samples")
    idx = schedule.index_at(t)
    keep = (t >= 0) & (t < schedule.total_s) & (t - schedule.starts[idx] >= settle_s)
    keep &= np.all(np.isfinite(v), axis=1) & np.isfinite(w)
    if not np.any(keep):
        raise ValueError(
            "no odometry sample inside the command script after the settle windows "
            f"(settle_s {settle_s} s, {len(t)} samples)"
        )
    cmd = schedule.commands(t)
    lin = np.linalg.norm(cmd[:, :2] - v, axis=1)
    ang = np.abs(cmd[:, 2] - w)
    by_kind: dict[str, dict[str, float]] = {}
    kinds = np.array([schedule.segments[i].kind for i in idx])
    for kind in dict.fromkeys(s.kind for s in schedule.segments):
        sel = keep & (kinds == kind)
        if np.any(sel):
            by_kind[kind] = {
                "lin_vel_error": float(lin[sel].mean()),
                "ang_vel_error": float(ang[sel].mean()),
                "samples": int(sel.sum()),
            }
    return Tracking(float(lin[keep].mean()), float(ang[keep].mean()), int(keep.sum()), by_kind)


FALL_KINDS = ("tilt", "base_height", "loco_damp")


@dataclass
class FallCheck:
    fell: bool
    cause: str = ""  # "tilt 1.23 rad", "base height 0.10 m", "loco damp: <reason>"
    time_s: float | None = None  # script time of the first sign (None: no fall)
    kind: str = ""  # which sign came first: one of FALL_KINDS ("" without a fall)


@dataclass(frozen=True)
class ContactCounts:
    """navila_sim's cumulative counters over a window of a trial (differences of two statuses)."""

    contact_periods: int
    upper_contact_periods: int
    control_periods: int
    last_contact: str = ""


def contact_counts(
    sim_status: Sequence[dict[str, Any]], end_s: float, *, stop_before_end: bool = False
) -> ContactCounts | None:
    """Counters from the last status at or before script time 0 to the first one at or after
    `end_s`, or with `stop_before_end` to the last one at or before it (a fall's time: nothing
    the robot touched going down or lying afterwards). Statuses carry "t" (script time) and
    navila_sim's cumulative `obstacle_contact_periods`, `upper_contact_periods`,
    `control_periods`; they come at 10 Hz, so either end is good to +-0.1 s. None without any."""
    if not sim_status:
        return None
    before = [s for s in sim_status if s["t"] <= 0.0]
    first = before[-1] if before else sim_status[0]
    if stop_before_end:
        upto = [s for s in sim_status if s["t"] <= end_s]
        last = upto[-1] if upto else first
    else:
        after = [s for s in sim_status if s["t"] >= end_s]
        last = after[0] if after else sim_status[-1]
    if last["t"] < first["t"]:
        last = first
    contacts = int(last["obstacle_contact_periods"] - first["obstacle_contact_periods"])
    return ContactCounts(
        contact_periods=contacts,
        upper_contact_periods=int(
            last.get("upper_contact_periods", 0) - first.get("upper_contact_periods", 0)
        ),
        control_periods=int(last["control_periods"] - first["control_periods"]),
        last_contact=last.get("last_obstacle_contact", "") if contacts else "",
    )


def detect_fall(
    t: np.ndarray,
    tilt: np.ndarray,
    height_t: np.ndarray,
    height: np.ndarray,
    nominal_height: float,
    damp_events: Sequence[tuple[float, str]] = (),
    tilt_limit: float = 1.0,
    height_fraction: float = 0.5,
) -> FallCheck:
    """The earliest of: tilt > tilt_limit, base height above ground < height_fraction x the
    standing height, a DAMP of the loco node. Times are script times (s); only t >= 0 counts."""
    found: list[tuple[float, str, str]] = []
    t, tilt = np.asarray(t, dtype=float), np.asarray(tilt, dtype=float)
    bad = np.flatnonzero((t >= 0) & (tilt > tilt_limit))
    if bad.size:
        i = int(bad[0])
        found.append((float(t[i]), "tilt", f"tilt {tilt[i]:.2f} rad > {tilt_limit:g}"))
    ht, h = np.asarray(height_t, dtype=float), np.asarray(height, dtype=float)
    limit = height_fraction * nominal_height
    low = np.flatnonzero((ht >= 0) & (h < limit))
    if low.size:
        i = int(low[0])
        found.append((float(ht[i]), "base_height", f"base height {h[i]:.3f} m < {limit:.3f} m"))
    for when, reason in damp_events:
        if when >= 0:
            found.append((float(when), "loco_damp", f"loco damp: {reason}"))
            break
    if not found:
        return FallCheck(False)
    when, kind, cause = min(found, key=lambda f: f[0])
    return FallCheck(True, cause, when, kind)


@dataclass
class TrialResult:
    policy: str
    terrain: str
    trial: int
    start_pose: tuple[float, float, float]
    lin_vel_error: float
    ang_vel_error: float
    samples: int
    fell: bool
    fall_cause: str
    fall_time_s: float | None
    contact_periods: int
    control_periods: int
    last_contact: str = ""
    upper_contact_periods: int = 0  # of contact_periods, those above the lower legs
    real_time_factor: float | None = None
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    distance_m: float = 0.0  # base travel in the plane over the script (a sanity figure)
    fall_kind: str = ""  # FallCheck.kind: the first sign of the fall
    # The three counters until the fall (the whole script without one): see the module doc.
    # None in runs from before they were recorded.
    upright_contact_periods: int | None = None
    upright_upper_contact_periods: int | None = None
    upright_control_periods: int | None = None
    fall_segment: str = ""  # the script segment's kind at the fall ("" without one)
    stop_tilt_rise_rad: float | None = None  # see stop_tilt_rise (None: not measured)
    forward_held_fraction: float | None = None  # see forward_held_fraction (None: no guard)
    forward_passed_fraction: float | None = None  # see forward_passed_fraction (None: no guard)
    turn_held_fraction: float | None = None  # see turn_held_fraction (None: no guard)

    @property
    def collided(self) -> bool:
        return self.contact_periods > 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["collided"] = self.collided
        return out


def summarize(trials: list[TrialResult]) -> dict[str, Any]:
    """Aggregate trials (one terrain, or all): see the module doc for each figure."""
    if not trials:
        raise ValueError("nothing to summarize: no trials")
    lin = np.array([r.lin_vel_error for r in trials])
    ang = np.array([r.ang_vel_error for r in trials])
    control = sum(r.control_periods for r in trials)
    out: dict[str, Any] = {
        "trials": len(trials),
        "lin_vel_error": float(lin.mean()),
        "lin_vel_error_std": float(lin.std()),
        "ang_vel_error": float(ang.mean()),
        "ang_vel_error_std": float(ang.std()),
        "collision_rate": float(np.mean([r.collided for r in trials])),
        "contact_step_fraction": (
            float(sum(r.contact_periods for r in trials) / control) if control else 0.0
        ),
        "upper_collision_rate": float(np.mean([r.upper_contact_periods > 0 for r in trials])),
        "upper_contact_step_fraction": (
            float(sum(r.upper_contact_periods for r in trials) / control) if control else 0.0
        ),
        **_upright_fractions(trials),
        "fall_rate": float(np.mean([r.fell for r in trials])),
        "falls_by_kind": {k: sum(r.fell and r.fall_kind == k for r in trials) for k in FALL_KINDS},
        "falls_by_segment": falls_by_segment(trials),
        **_stop_tilt(trials),
        **_guard_held(trials),
    }
    kinds: dict[str, list[dict[str, float]]] = {}
    for r in trials:
        for kind, vals in r.by_kind.items():
            kinds.setdefault(kind, []).append(vals)
    out["by_kind"] = {
        kind: {
            "lin_vel_error": float(np.mean([v["lin_vel_error"] for v in vals])),
            "ang_vel_error": float(np.mean([v["ang_vel_error"] for v in vals])),
        }
        for kind, vals in kinds.items()
    }
    return out


# A loco status while the obstacle guard is active: (script time, forward held, turning held,
# forward factor: the share of the forward command it let through).
GuardHold = tuple[float, bool, bool, float]


def forward_held_fraction(schedule: Schedule, holds: Sequence[GuardHold]) -> float | None:
    """Of the loco statuses that came while the script commanded forward motion, the share in
    which navila_loco's obstacle guard held it (a face or ledge ahead, or no fresh clearance):
    how much of a forward segment's linear error is the guard's stop, not the policy's tracking.
    None where the guard was off or no status came in a forward segment."""
    return _mean_in_segments(schedule, holds, 1, _forward)


def forward_passed_fraction(schedule: Schedule, holds: Sequence[GuardHold]) -> float | None:
    """Under forward commands, the mean share of the commanded speed the guard let through
    (1 free, 0 held; the ramp between). Near a face or ledge the ramp's slow speeds are below
    what a policy walks at (go2_vision stands under ~0.2 m/s), so a robot may stand with the
    command only reduced, not held: this says how much the guard took away."""
    return _mean_in_segments(schedule, holds, 3, _forward)


def turn_held_fraction(schedule: Schedule, holds: Sequence[GuardHold]) -> float | None:
    """The same for turns in place and the guard's turn hold (an obstacle within the body's
    sweep, or no fresh clearance): how much of a turn segment's angular error is the guard's."""
    return _mean_in_segments(schedule, holds, 2, lambda s: s.wz != 0 and s.vx == 0)


def _forward(segment: Segment) -> bool:
    return segment.vx > 0


def _mean_in_segments(
    schedule: Schedule,
    holds: Sequence[GuardHold],
    column: int,
    commanded: Callable[[Segment], bool],
) -> float | None:
    """The mean of one column of the guard statuses that came under the commands selected."""
    inside = [h for h in holds if 0 <= h[0] < schedule.total_s]
    vals = [h[column] for h in inside if commanded(schedule.command_at(h[0]))]
    return float(np.mean(vals)) if vals else None


GUARD_FIGURES = ("forward_held_fraction", "forward_passed_fraction", "turn_held_fraction")


def _guard_held(trials: Sequence[TrialResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in GUARD_FIGURES:
        vals = [getattr(r, key) for r in trials if getattr(r, key) is not None]
        out[key] = float(np.mean(vals)) if vals else None
    return out


def fall_segment(schedule: Schedule, fall_time_s: float | None) -> str:
    """The kind of the script segment a fall's first sign came in ("" without a fall); after
    the script's end, its last segment's."""
    return "" if fall_time_s is None else schedule.command_at(fall_time_s).kind


def falls_by_segment(trials: Sequence[TrialResult]) -> dict[str, int]:
    """Falls per script segment kind, in command_script's order (any other kind after them, by
    name); "unknown" for a fall whose segment was not recorded."""
    kinds = [r.fall_segment or "unknown" for r in trials if r.fell]
    order = [*SEGMENT_KINDS, "unknown"]
    rank = {k: (order.index(k) if k in order else len(order), k) for k in kinds}
    return {k: kinds.count(k) for k in sorted(rank, key=rank.__getitem__)}


def stop_tilt_rise(
    schedule: Schedule,
    t: np.ndarray,
    tilt: np.ndarray,
    fall_time_s: float | None,
    settle_s: float = 0.5,
) -> float | None:
    """Largest tilt [rad] in the script's final stop segment from `settle_s` after its start,
    minus the tilt at the first sample from then; None when the script does not end in a stop,
    the fall came before the stop, or no sample lies in that window. `t` script times [s],
    `tilt` the base tilt at them."""
    last = len(schedule.segments) - 1
    if schedule.segments[last].kind != "stop":
        return None
    start = float(schedule.starts[last])
    if fall_time_s is not None and fall_time_s < start:
        return None
    t, tilt = np.asarray(t, dtype=float), np.asarray(tilt, dtype=float)
    inside = np.flatnonzero((t >= start + settle_s) & (t <= schedule.total_s))
    if not inside.size:
        return None
    return float(tilt[inside].max() - tilt[inside[0]])


def _stop_tilt(trials: Sequence[TrialResult]) -> dict[str, Any]:
    """The stop-segment figures of a summary (see the module doc)."""
    rises = [r.stop_tilt_rise_rad for r in trials if r.stop_tilt_rise_rad is not None]
    return {
        "stop_tilt_trials": len(rises),
        "stop_unsteady": sum(rise > STOP_TILT_RISE_RAD for rise in rises),
        "stop_tilt_rise_max": max(rises) if rises else None,
    }


def _upright_fractions(trials: list[TrialResult]) -> dict[str, float | None]:
    """The contact step fractions until each trial's fall; None unless every trial has them."""
    known = all(
        r.upright_control_periods is not None
        and r.upright_contact_periods is not None
        and r.upright_upper_contact_periods is not None
        for r in trials
    )
    control = sum(r.upright_control_periods or 0 for r in trials)
    if not known:
        return {"upright_contact_step_fraction": None, "upright_upper_contact_step_fraction": None}
    return {
        "upright_contact_step_fraction": (
            sum(r.upright_contact_periods or 0 for r in trials) / control if control else 0.0
        ),
        "upright_upper_contact_step_fraction": (
            sum(r.upright_upper_contact_periods or 0 for r in trials) / control if control else 0.0
        ),
    }


def goal_check(summary_by_terrain: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """NaVILA's tracking goals over all terrains, and no falls on flat ground and low steps."""
    overall = summary_by_terrain["all"]
    checks = {
        "lin_vel_error": overall["lin_vel_error"] <= GOALS["lin_vel_error"],
        "ang_vel_error": overall["ang_vel_error"] <= GOALS["ang_vel_error"],
    }
    no_fall = [t for t in NO_FALL_TERRAINS if t in summary_by_terrain]
    if no_fall:
        checks["no_falls_flat_and_steps"] = all(
            summary_by_terrain[t]["fall_rate"] == 0.0 for t in no_fall
        )
    checks["all"] = all(checks.values())
    return checks


def _verdict(vision: float, blind: float) -> str:
    return "fewer" if vision < blind else ("equal" if vision == blind else "more")


def collision_comparison(
    summaries: dict[str, dict[str, dict[str, Any]]], vision: dict[str, bool]
) -> list[dict[str, Any]]:
    """The issue's cross-policy goal, "fewer collisions for the vision policy than the blind
    one": for every (vision, blind) pair of evaluated policies and every terrain both ran, the
    two policies' upper (body/thigh) and all-body contact step fractions side by side, with
    "fewer" / "equal" / "more" for the vision one. summaries[policy][terrain] = summarize();
    vision[policy] = whether it sees a height map. Per terrain, not only over all: on a scene
    with walls on the walking line the policy that gets further meets more of them, so the
    pooled figure alone can hide where each one collides."""
    rows: list[dict[str, Any]] = []
    for v_label in (p for p in summaries if vision.get(p)):
        for b_label in (p for p in summaries if not vision.get(p)):
            for terrain, v in summaries[v_label].items():
                b = summaries[b_label].get(terrain)
                if b is None:
                    continue
                upper = (v["upper_contact_step_fraction"], b["upper_contact_step_fraction"])
                contact = (v["contact_step_fraction"], b["contact_step_fraction"])
                rows.append(
                    {
                        "terrain": terrain,
                        "vision": v_label,
                        "blind": b_label,
                        "upper_contact_step_fraction": list(upper),
                        "contact_step_fraction": list(contact),
                        "fall_rate": [v["fall_rate"], b["fall_rate"]],
                        "upper": _verdict(*upper),
                        "contact": _verdict(*contact),
                    }
                )
                upright = (
                    v.get("upright_upper_contact_step_fraction"),
                    b.get("upright_upper_contact_step_fraction"),
                )
                if None not in upright:
                    rows[-1]["upright_upper_contact_step_fraction"] = list(upright)
                    rows[-1]["upright_upper"] = _verdict(*upright)
    return rows


def format_comparison(rows: list[dict[str, Any]]) -> str:
    """One line per terrain: the vision policy's contact fractions against the blind one's."""
    lines = []
    w = max([10, *(len(r["terrain"]) for r in rows)])
    for r in rows:
        (uv, ub), (cv, cb) = r["upper_contact_step_fraction"], r["contact_step_fraction"]
        lines.append(
            f"{r['terrain']:<{w}} {r['vision'][:14]} vs {r['blind'][:14]}: body/thigh "
            f"{uv:.3f} vs {ub:.3f} ({r['upper']}), any body {cv:.3f} vs {cb:.3f} "
            f"({r['contact']})"
            + (
                ", body/thigh until a fall {:.3f} vs {:.3f} ({})".format(
                    *r["upright_upper_contact_step_fraction"], r["upright_upper"]
                )
                if "upright_upper" in r
                else ""
            )
        )
    return "\n".join(lines)


def format_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """results[policy][terrain] = summary (terrain "all" last). Policies side by side as rows
    grouped by terrain, then NaVILA's goals."""
    terrains: list[str] = []
    for per_terrain in results.values():
        terrains += [t for t in per_terrain if t not in terrains]
    terrains = [t for t in terrains if t != "all"] + (["all"] if "all" in terrains else [])
    w = max([10, *map(len, terrains)])  # a scene YAML's stem can be longer than "steps10"
    head = (
        f"{'terrain':<{w}} {'policy':<22} {'trials':>6} {'lin err m/s':>12} "
        f"{'ang err rad/s':>14} {'collision':>10} {'contact st':>11} {'upper st':>9} "
        f"{'upper<fall':>10} {'fall':>6}"
    )
    lines = [head, "-" * len(head)]
    for terrain in terrains:
        for policy, per_terrain in results.items():
            s = per_terrain.get(terrain)
            if s is None:
                continue
            upright = s.get("upright_upper_contact_step_fraction")
            lines.append(
                f"{terrain:<{w}} {policy[:22]:<22} {s['trials']:>6d} "
                f"{s['lin_vel_error']:>7.3f}±{s['lin_vel_error_std']:<4.2f} "
                f"{s['ang_vel_error']:>9.3f}±{s['ang_vel_error_std']:<4.2f} "
                f"{s['collision_rate']:>10.2f} {s['contact_step_fraction']:>11.3f} "
                f"{s.get('upper_contact_step_fraction', 0.0):>9.3f} "
                f"{'-' if upright is None else format(upright, '.3f'):>10} {s['fall_rate']:>6.2f}"
            )
    lines.append("-" * len(head))
    lines.append(
        f"{'goal':<{w}} {'NaVILA (Table V, Go2)':<22} {'':>6} "
        f"{'<= ' + format(GOALS['lin_vel_error'], '.3f'):>12} "
        f"{'<= ' + format(GOALS['ang_vel_error'], '.3f'):>14} {'-':>10} {'-':>11} {'-':>9} "
        f"{'-':>10} {'0':>6}  (falls: flat, steps <= 10 cm)"
    )
    lines.append(
        "collision = fraction of trials with a body-obstacle contact; contact st = fraction of "
        "50 Hz control steps with one; upper st = the same for contacts above the lower legs "
        "(body/thigh); upper<fall = upper st until each trial's fall (not lying on an obstacle "
        "after it); fall = fraction of trials"
    )
    return "\n".join(lines)


def summarize_policy(
    trials: list[TrialResult], terrains: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    """One policy's summaries per terrain (in `terrains`' order, those with trials) and over
    "all", and NaVILA's goals checked on them."""
    summary = {
        t: summarize([r for r in trials if r.terrain == t])
        for t in terrains
        if any(r.terrain == t for r in trials)
    }
    summary["all"] = summarize(trials)
    return summary, goal_check(summary)


def report(metrics: dict[str, Any]) -> list[str]:
    """Completes a metrics dict whose policies carry "summary", "meets_goals" and "vision" with
    the vision-vs-blind "collision_comparison" (when there is such a pair), and returns the
    lines a user reads: the table, each policy's goals, the comparison."""
    policies = metrics["policies"]
    summaries = {label: e["summary"] for label, e in policies.items()}
    comparison = collision_comparison(
        summaries, {label: e["vision"] for label, e in policies.items()}
    )
    if comparison:
        metrics["collision_comparison"] = comparison
    lines = ["", format_table(summaries)]
    for label, e in policies.items():
        unmet = [k for k, ok in e["meets_goals"].items() if not ok and k != "all"]
        lines.append(
            f"[loco-eval] {label}: " + ("meets every goal" if not unmet else f"misses {unmet}")
        )
        falls = [
            f"{terrain} {kind} {n}"
            for terrain, s in e["summary"].items()
            if terrain != "all"
            for kind, n in s.get("falls_by_segment", {}).items()
        ]
        if falls:
            lines.append(f"[loco-eval] {label} falls by command: " + ", ".join(falls))
        unsteady = [
            f"{terrain} {s['stop_unsteady']} of {s['stop_tilt_trials']}"
            for terrain, s in e["summary"].items()
            if terrain != "all" and s.get("stop_unsteady")
        ]
        if unsteady:
            lines.append(
                f"[loco-eval] {label} tilting while stopped (rise > {STOP_TILT_RISE_RAD:g} rad): "
                + ", ".join(unsteady)
            )
        for key, what in (
            ("forward_held_fraction", "forward commands held by the obstacle guard"),
            ("forward_passed_fraction", "forward speed the obstacle guard let through"),
            ("turn_held_fraction", "turn commands held by the obstacle guard"),
        ):
            held = [
                f"{terrain} {s[key]:.0%}"
                for terrain, s in e["summary"].items()
                if terrain != "all" and s.get(key) is not None
            ]
            if held:
                lines.append(f"[loco-eval] {label} {what}: " + ", ".join(held))
    if comparison:
        lines.append(
            "[loco-eval] collisions, vision vs blind (fractions of control steps with a contact):"
        )
        lines.append(format_comparison(comparison))
    return lines
