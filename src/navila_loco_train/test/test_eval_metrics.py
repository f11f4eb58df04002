"""The locomotion evaluation's arithmetic on synthetic odometry (no ROS, no simulator)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from navila_loco_train.eval_metrics import (
    GOALS,
    ContactCounts,
    Schedule,
    Segment,
    TrialResult,
    collision_comparison,
    command_script,
    contact_counts,
    detect_fall,
    fall_segment,
    falls_by_segment,
    format_comparison,
    format_table,
    forward_held_fraction,
    forward_passed_fraction,
    goal_check,
    report,
    stop_tilt_rise,
    summarize,
    tilt_from_quat_xyzw,
    tracking_errors,
    turn_held_fraction,
)
from navila_loco_train.evaluate import (
    TERRAINS,
    EvalSettings,
    InvalidTrialError,
    Recording,
    StandUpError,
    _out_of_gantry,
    _walk_start,
    check_valid,
    resolve_terrain,
    score_trial,
)

DT = 0.02  # 50 Hz odometry


def perfect_odometry(schedule: Schedule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(0.0, schedule.total_s, DT)
    cmd = schedule.commands(t)
    return t, cmd[:, :2].copy(), cmd[:, 2].copy()


def test_script_is_navilas_actions_in_order() -> None:
    script = command_script(stand_s=2.0, segment_s=3.0)
    assert [s.kind for s in script] == [
        "stand",
        "forward",
        "turn_left",
        "turn_right",
        "forward",
        "stop",
    ]
    assert script[1].vx == 0.5 and script[1].wz == 0.0
    assert script[2].wz == pytest.approx(math.pi / 6) and script[2].vx == 0.0  # in place
    assert script[3].wz == pytest.approx(-math.pi / 6)
    sched = Schedule(script)
    assert sched.total_s == 17.0
    assert sched.command_at(0.0).kind == "stand" and sched.command_at(2.0).kind == "forward"
    assert sched.command_at(16.99).kind == "stop" and sched.command_at(99).kind == "stop"
    with pytest.raises(ValueError):
        command_script(segment_s=0.0)


def test_perfect_tracking_has_zero_error_and_counts_only_settled_samples() -> None:
    sched = Schedule(command_script(stand_s=1.0, segment_s=1.0))
    t, v, w = perfect_odometry(sched)
    tr = tracking_errors(sched, t, v, w, settle_s=0.5)
    assert tr.lin_vel_error == pytest.approx(0.0) and tr.ang_vel_error == pytest.approx(0.0)
    assert tr.samples == 6 * 25  # half of each 1 s segment at 50 Hz
    assert set(tr.by_kind) == {"stand", "forward", "turn_left", "turn_right", "stop"}


def test_errors_inside_the_settle_window_are_ignored_after_it_they_count() -> None:
    sched = Schedule([Segment("forward", 2.0, vx=0.5), Segment("turn_left", 2.0, wz=0.5)])
    t, v, w = perfect_odometry(sched)
    since = t - sched.starts[sched.index_at(t)]
    v[since < 0.5, 0] += 3.0  # wild response to each command step: excluded
    w[since < 0.5] -= 3.0
    tr = tracking_errors(sched, t, v, w, settle_s=0.5)
    assert tr.lin_vel_error == pytest.approx(0.0) and tr.ang_vel_error == pytest.approx(0.0)
    # A robot 0.1 m/s slow, drifting 0.1 m/s sideways, turning 0.05 rad/s too fast.
    v[:, 0] = np.where(sched.commands(t)[:, 0] > 0, 0.4, 0.0)
    v[:, 1] = 0.1
    w = sched.commands(t)[:, 2] + 0.05
    tr = tracking_errors(sched, t, v, w, settle_s=0.5)
    assert tr.by_kind["forward"]["lin_vel_error"] == pytest.approx(math.hypot(0.1, 0.1))
    assert tr.by_kind["turn_left"]["lin_vel_error"] == pytest.approx(0.1)
    assert tr.lin_vel_error == pytest.approx((math.hypot(0.1, 0.1) + 0.1) / 2, rel=1e-3)
    assert tr.ang_vel_error == pytest.approx(0.05)


def test_a_robot_that_stops_moving_scores_the_whole_command() -> None:
    """A fallen robot's samples are kept: its error is the command it did not follow."""
    sched = Schedule(command_script(stand_s=1.0, segment_s=2.0))
    t = np.arange(0.0, sched.total_s, DT)
    tr = tracking_errors(sched, t, np.zeros((len(t), 2)), np.zeros(len(t)), settle_s=0.5)
    assert tr.by_kind["forward"]["lin_vel_error"] == pytest.approx(0.5)
    assert tr.by_kind["turn_right"]["ang_vel_error"] == pytest.approx(math.pi / 6)
    assert tr.lin_vel_error > GOALS["lin_vel_error"] and tr.ang_vel_error > GOALS["ang_vel_error"]


def test_no_counted_sample_is_an_error() -> None:
    sched = Schedule(command_script(stand_s=1.0, segment_s=1.0))
    with pytest.raises(ValueError, match="no odometry sample"):
        tracking_errors(sched, np.array([-1.0, 50.0]), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="same number"):
        tracking_errors(sched, np.zeros(3), np.zeros((2, 2)), np.zeros(3))


def test_tilt_from_quaternions() -> None:
    level = [0.0, 0.0, 0.0, 1.0]
    yawed = [0.0, 0.0, math.sin(0.7), math.cos(0.7)]  # yaw only: still upright
    pitched = [0.0, math.sin(0.6), 0.0, math.cos(0.6)]  # 1.2 rad pitch
    upside_down = [1.0, 0.0, 0.0, 0.0]
    tilt = tilt_from_quat_xyzw(np.array([level, yawed, pitched, upside_down]))
    assert tilt == pytest.approx([0.0, 0.0, 1.2, math.pi], abs=1e-9)


def test_fall_is_the_earliest_of_tilt_height_and_damp() -> None:
    t = np.arange(0.0, 5.0, DT)
    tilt = np.where(t > 3.0, 1.3, 0.05)
    h_t = np.arange(0.0, 5.0, 0.1)
    height = np.where(h_t > 2.0, 0.1, 0.32)
    f = detect_fall(t, tilt, h_t, height, nominal_height=0.32)
    assert f.fell and f.cause.startswith("base height") and f.time_s == pytest.approx(2.1)
    assert f.kind == "base_height"
    f = detect_fall(t, tilt, h_t, np.full_like(h_t, 0.32), 0.32, [(1.5, "tilt beyond limit")])
    assert f.fell and f.cause == "loco damp: tilt beyond limit" and f.time_s == 1.5
    assert f.kind == "loco_damp"
    f = detect_fall(t, tilt, h_t, np.full_like(h_t, 0.32), 0.32)
    assert f.fell and f.cause.startswith("tilt 1.30") and f.time_s == pytest.approx(3.02)
    assert f.kind == "tilt"
    ok = detect_fall(t, np.full_like(t, 0.2), h_t, np.full_like(h_t, 0.3), 0.32)
    assert not ok.fell and ok.time_s is None and ok.kind == ""
    # Before the script (t < 0) nothing counts: the stand-up is not the policy's.
    assert not detect_fall(np.array([-1.0]), np.array([2.0]), h_t[:0], h_t[:0], 0.32).fell


def trial(
    lin: float,
    ang: float,
    fell: bool,
    contacts: int,
    terrain: str = "flat",
    upper: int = 0,
    fall_kind: str = "tilt",
    upright: tuple[int, int, int] | None = None,  # contacts, upper, control until the fall
) -> TrialResult:
    up = upright or (None, None, None)
    return TrialResult(
        policy="p",
        terrain=terrain,
        trial=0,
        start_pose=(0.0, 0.0, 0.0),
        lin_vel_error=lin,
        ang_vel_error=ang,
        samples=100,
        fell=fell,
        fall_cause="tilt" if fell else "",
        fall_time_s=1.0 if fell else None,
        fall_kind=fall_kind if fell else "",
        contact_periods=contacts,
        control_periods=1000,
        upper_contact_periods=upper,
        by_kind={"forward": {"lin_vel_error": lin, "ang_vel_error": ang, "samples": 50}},
        upright_contact_periods=up[0],
        upright_upper_contact_periods=up[1],
        upright_control_periods=up[2],
    )


def test_summary_and_goals() -> None:
    trials = [
        trial(0.05, 0.1, False, 0),
        trial(0.07, 0.12, True, 30, upper=12),
        trial(0.06, 0.08, False, 10),  # a shin on an edge only
    ]
    s = summarize(trials)
    assert s["trials"] == 3
    assert s["lin_vel_error"] == pytest.approx(0.06)
    assert s["lin_vel_error_std"] == pytest.approx(np.std([0.05, 0.07, 0.06]))
    assert s["ang_vel_error"] == pytest.approx(0.1)
    assert s["collision_rate"] == pytest.approx(2 / 3)  # trials with any contact
    assert s["contact_step_fraction"] == pytest.approx(40 / 3000)  # pooled control steps
    assert s["upper_collision_rate"] == pytest.approx(1 / 3)  # body/thigh contacts only
    assert s["upper_contact_step_fraction"] == pytest.approx(12 / 3000)
    assert s["fall_rate"] == pytest.approx(1 / 3)
    assert s["falls_by_kind"] == {"tilt": 1, "base_height": 0, "loco_damp": 0}
    stalls = summarize(
        [trial(0.1, 0.1, True, 9, fall_kind="base_height"), trial(0.1, 0.1, False, 0)]
    )
    assert stalls["falls_by_kind"] == {"tilt": 0, "base_height": 1, "loco_damp": 0}
    assert s["by_kind"]["forward"]["lin_vel_error"] == pytest.approx(0.06)
    good = {"flat": summarize([trial(0.05, 0.1, False, 0)])}
    good["boxes"] = summarize([trial(0.06, 0.1, True, 5, "boxes")])  # falls there are allowed
    good["all"] = summarize([trial(0.05, 0.1, False, 0), trial(0.06, 0.1, True, 5, "boxes")])
    assert goal_check(good) == {
        "lin_vel_error": True,
        "ang_vel_error": True,
        "no_falls_flat_and_steps": True,
        "all": True,
    }
    bad = {"flat": s, "all": s}
    checks = goal_check(bad)
    assert checks["ang_vel_error"] is True and checks["lin_vel_error"] is True
    assert checks["no_falls_flat_and_steps"] is False and checks["all"] is False
    with pytest.raises(ValueError):
        summarize([])


def test_falls_are_counted_by_the_command_they_came_under() -> None:
    """Stage 25's boxes roll-overs all came in the final stop, stage 23's in the left turn: the
    same fall rate, two failures."""
    script = Schedule(command_script())  # stand 2 s, then 4 s each: fwd, left, right, fwd, stop
    assert fall_segment(script, None) == ""
    # at a segment's start its own; after the script's end its last one
    when = {0.0: "stand", 1.9: "stand", 2.0: "forward", 7.4: "turn_left", 13.9: "turn_right"}
    when |= {14.0: "forward", 20.6: "stop", 40.0: "stop"}
    assert {t: fall_segment(script, t) for t in when} == when
    falls = [
        replace(trial(0.1, 0.1, True, 0, "boxes"), fall_segment=kind)
        for kind in ("stop", "turn_left", "stop", "")
    ]
    upright = trial(0.1, 0.1, False, 0, "boxes")
    # in the script's order; a fall without a recorded segment is "unknown", not dropped
    assert falls_by_segment([*falls, upright]) == {"turn_left": 1, "stop": 2, "unknown": 1}
    assert falls_by_segment([upright]) == {}
    other = [replace(falls[0], fall_segment=k) for k in ("wait", "back", "stop", "back")]
    assert list(falls_by_segment(other).items()) == [("stop", 1), ("back", 2), ("wait", 1)]
    s = summarize([*falls, upright])
    assert s["falls_by_segment"] == {"turn_left": 1, "stop": 2, "unknown": 1}
    assert sum(s["falls_by_segment"].values()) == round(s["fall_rate"] * 5)
    metrics = {
        "policies": {
            label: {"summary": {"boxes": summ, "all": summ}, "meets_goals": {}, "vision": True}
            for label, summ in (("p", s), ("q", summarize([upright])))
        }
    }
    lines = report(metrics)
    expected = "boxes turn_left 1, boxes stop 2, boxes unknown 1"
    assert f"[loco-eval] p falls by command: {expected}" in lines
    assert not any(ln.startswith("[loco-eval] q falls") for ln in lines)  # no falls, no line


def test_guard_holds_are_measured_in_the_segments_of_their_kind() -> None:
    """The loco node's statuses (script time, guard holding): only those under a forward command
    count - a guard holding while the robot turns in place is not a forward hold."""
    script = Schedule(command_script())  # stand 2 s, then 4 s each: fwd, left, right, fwd, stop
    holds = [(t, False, True, 1.0) for t in (1.0, 2.5, 3.0, 3.5)]
    holds += [(t, True, False, 0.0) for t in (4.0, 5.0, 7.0, 9.0)]
    holds += [(14.5, True, True, 0.0), (16.0, False, True, 0.3), (19.0, True, True, 0.0)]
    holds += [(-0.5, True, True, 0.0), (30.0, True, True, 0.0), (11.0, True, True, 0.0)]
    # forward at 2.5 3.0 3.5 4.0 5.0 (2-6 s) and 14.5 16.0 (14-18 s): 3 of 7 held
    assert forward_held_fraction(script, holds) == pytest.approx(3 / 7)
    # ... and of the commanded speed (1, 1, 1, 0, 0, 0, 0.3) 47 % let through
    assert forward_passed_fraction(script, holds) == pytest.approx(3.3 / 7)
    # turning in place at 7.0 9.0 (left, 6-10 s) and 11.0 (right, 10-14 s): 1 of 3 held
    assert turn_held_fraction(script, holds) == pytest.approx(1 / 3)
    assert forward_held_fraction(script, []) is None  # the guard was off
    assert turn_held_fraction(script, []) is None
    assert forward_held_fraction(script, [(9.0, True, True, 0.0)]) is None  # none under forward
    assert turn_held_fraction(script, [(3.0, True, True, 0.0)]) is None  # none under a turn
    base = trial(0.1, 0.1, False, 0, "boxes")
    held = [
        replace(base, forward_held_fraction=f, forward_passed_fraction=v, turn_held_fraction=w)
        for f, v, w in ((0.2, 0.5, 0.1), (0.4, 0.3, 0.0), (None, None, None))
    ]
    s = summarize(held)
    assert s["forward_held_fraction"] == pytest.approx(0.3)  # over the trials with the guard
    assert s["forward_passed_fraction"] == pytest.approx(0.4)
    assert s["turn_held_fraction"] == pytest.approx(0.05)
    assert summarize([base])["forward_held_fraction"] is None
    assert summarize([base])["turn_held_fraction"] is None
    metrics = {
        "policies": {
            "p": {"summary": {"boxes": s, "all": s}, "meets_goals": {}, "vision": True},
            "q": {"summary": {"boxes": summarize([base])}, "meets_goals": {}, "vision": False},
        }
    }
    lines = report(metrics)
    assert "[loco-eval] p forward commands held by the obstacle guard: boxes 30%" in lines
    assert "[loco-eval] p turn commands held by the obstacle guard: boxes 5%" in lines
    assert "[loco-eval] p forward speed the obstacle guard let through: boxes 40%" in lines
    assert not any(ln.startswith("[loco-eval] q forward") for ln in lines)


def test_tilt_creeping_up_while_stopped_is_measured() -> None:
    """Stage 25 stood tilted on the boxes under the final stop and rolled over seconds later;
    the rise in tilt over the stop segment shows that creep in trials that did not fall."""
    script = Schedule(command_script())  # the stop runs from 18 s to 22 s
    t = np.arange(-1.0, 23.0, DT)
    creep = np.where(t < 18.0, 0.05, 0.05 + 0.06 * (t - 18.0))  # up 0.06 rad/s in the stop
    # from the settle time (0.5 s into the stop) on: 3.5 s of it
    assert stop_tilt_rise(script, t, creep, None) == pytest.approx(0.21, abs=2e-3)
    assert stop_tilt_rise(script, t, creep, None, settle_s=0.0) == pytest.approx(0.24, abs=2e-3)
    # braking pitches it for a moment: not standing unsteadily
    brake = np.where((t >= 18.1) & (t < 18.4), 0.25, 0.05)
    assert stop_tilt_rise(script, t, brake, None) == pytest.approx(0.0)
    assert stop_tilt_rise(script, t, brake, None, settle_s=0.0) == pytest.approx(0.2)
    # only the stop's samples: a tilted walk before it and lying after the script do not count
    walk = np.where(t < 18.0, 0.5, 0.2) + np.where(t > 22.0, 1.0, 0.0)
    assert stop_tilt_rise(script, t, walk, None) == pytest.approx(0.0)
    # a fall in the stop is the largest rise; one before it leaves nothing to measure
    assert stop_tilt_rise(script, t, creep, 21.0) == pytest.approx(0.21, abs=2e-3)
    assert stop_tilt_rise(script, t, creep, 17.9) is None
    assert stop_tilt_rise(script, t[t < 18.4], creep[t < 18.4], None) is None
    no_stop = Schedule(command_script()[:-1])
    assert stop_tilt_rise(no_stop, t, creep, None) is None
    rises = [0.24, 0.05, None, 0.1]  # exactly the limit is not unsteady
    trials = [replace(trial(0.1, 0.1, False, 0, "boxes"), stop_tilt_rise_rad=r) for r in rises]
    s = summarize(trials)
    assert (s["stop_tilt_trials"], s["stop_unsteady"]) == (3, 1)
    assert s["stop_tilt_rise_max"] == pytest.approx(0.24)
    none = summarize([trials[2]])
    assert (none["stop_tilt_trials"], none["stop_unsteady"], none["stop_tilt_rise_max"]) == (
        0,
        0,
        None,
    )
    metrics = {
        "policies": {
            label: {"summary": {"boxes": summ, "all": summ}, "meets_goals": {}, "vision": True}
            for label, summ in (("p", s), ("q", summarize(trials[1:])))
        }
    }
    lines = report(metrics)
    assert "[loco-eval] p tilting while stopped (rise > 0.1 rad): boxes 1 of 3" in lines
    assert not any(ln.startswith("[loco-eval] q tilting") for ln in lines)


def test_table_lists_every_policy_and_terrain_and_the_goals() -> None:
    a = {"flat": summarize([trial(0.05, 0.1, False, 0)])}
    a["all"] = a["flat"]
    b = {"flat": summarize([trial(0.4, 0.5, True, 3)])}
    b["all"] = b["flat"]
    text = format_table({"go2_blind": a, "go2_vision": b})
    lines = text.splitlines()
    assert any(ln.startswith("flat") and "go2_blind" in ln and "0.050" in ln for ln in lines)
    assert any(ln.startswith("all") and "go2_vision" in ln and "0.400" in ln for ln in lines)
    assert "<= 0.066" in text and "<= 0.113" in text


def test_collision_comparison_pairs_every_vision_policy_with_every_blind_one() -> None:
    def by_terrain(**per_terrain: tuple[int, int]) -> dict[str, dict]:
        return {
            name: summarize([trial(0.05, 0.1, False, contacts, name, upper=upper)])
            for name, (contacts, upper) in per_terrain.items()
        }

    summaries = {
        "go2_vision": by_terrain(flat=(0, 0), rubble=(100, 0), boxes=(200, 80)),
        "go2_blind": by_terrain(flat=(0, 0), rubble=(130, 5), boxes=(30, 1)),
        "other_blind": by_terrain(flat=(4, 2)),
    }
    vision = {"go2_vision": True, "go2_blind": False, "other_blind": False}
    rows = collision_comparison(summaries, vision)
    assert [(r["terrain"], r["blind"]) for r in rows] == [
        ("flat", "go2_blind"),
        ("rubble", "go2_blind"),
        ("boxes", "go2_blind"),
        ("flat", "other_blind"),  # a terrain only one of them ran is skipped
    ]
    flat, rubble, boxes, other = rows
    assert (flat["upper"], flat["contact"]) == ("equal", "equal")  # no contact is not fewer
    assert (rubble["upper"], rubble["contact"]) == ("fewer", "fewer")
    assert rubble["upper_contact_step_fraction"] == [0.0, pytest.approx(5 / 1000)]
    assert (boxes["upper"], boxes["contact"]) == ("more", "more")
    assert (other["upper"], other["contact"]) == ("fewer", "fewer")
    text = format_comparison(rows)
    assert "rubble     go2_vision vs go2_blind: body/thigh 0.000 vs 0.005 (fewer)" in text
    assert collision_comparison(summaries, dict.fromkeys(vision, False)) == []  # no vision one


def test_contact_counts_over_the_script_or_until_a_fall() -> None:
    statuses = [
        {"t": -0.15, "obstacle_contact_periods": 2, "upper_contact_periods": 1,
         "control_periods": 40, "last_obstacle_contact": "box"},
        {"t": -0.05, "obstacle_contact_periods": 3, "upper_contact_periods": 1,
         "control_periods": 45, "last_obstacle_contact": "box"},
        {"t": 0.05, "obstacle_contact_periods": 3, "upper_contact_periods": 1,
         "control_periods": 50, "last_obstacle_contact": "box"},
        {"t": 1.05, "obstacle_contact_periods": 10, "upper_contact_periods": 4,
         "control_periods": 100, "last_obstacle_contact": "tall_2"},
        {"t": 2.05, "obstacle_contact_periods": 60, "upper_contact_periods": 54,
         "control_periods": 150, "last_obstacle_contact": "tall_2"},
    ]  # fmt: skip
    # Whole script (ends at 2.0): from the last status at or before 0 to the first at or after 2.
    assert contact_counts(statuses, 2.0) == ContactCounts(57, 53, 105, "tall_2")
    # Until a fall at 1.5 s: the last status at or before it.
    assert contact_counts(statuses, 1.5, stop_before_end=True) == ContactCounts(7, 3, 55, "tall_2")
    # A fall at the script start (the policy damped standing): nothing counted, no contact named.
    assert contact_counts(statuses, 0.0, stop_before_end=True) == ContactCounts(0, 0, 0, "")
    # A script that outlasts the statuses ends at the last one; none at all: unknown.
    assert contact_counts(statuses, 9.0) == contact_counts(statuses, 2.0)
    assert contact_counts([], 2.0) is None
    # Statuses from before upper contacts were counted read as none.
    old = [{k: v for k, v in st.items() if k != "upper_contact_periods"} for st in statuses]
    assert contact_counts(old, 2.0) == ContactCounts(57, 0, 105, "tall_2")


def test_upright_figures_pool_only_when_every_trial_has_them() -> None:
    walked = trial(0.05, 0.1, False, 10, "boxes", upper=2, upright=(10, 2, 1000))
    fell = trial(0.1, 0.2, True, 400, "boxes", upper=380, upright=(20, 0, 300))
    s = summarize([walked, fell])
    assert s["upper_contact_step_fraction"] == pytest.approx(382 / 2000)
    assert s["upright_upper_contact_step_fraction"] == pytest.approx(2 / 1300)
    assert s["upright_contact_step_fraction"] == pytest.approx(30 / 1300)
    # A trial of a run from before they were recorded (navila-loco-eval-pool): unknown, not 0.
    older = summarize([walked, trial(0.05, 0.1, False, 0, "boxes")])
    assert older["upright_upper_contact_step_fraction"] is None
    blind = {"boxes": summarize([trial(0.1, 0.1, False, 0, "boxes", upright=(0, 0, 1000))])}
    rows = collision_comparison({"v": {"boxes": s}, "b": blind}, {"v": True, "b": False})
    assert rows[0]["upper"] == "more" and rows[0]["upright_upper"] == "more"
    assert rows[0]["upright_upper_contact_step_fraction"] == [pytest.approx(2 / 1300), 0.0]
    assert "body/thigh until a fall 0.002 vs 0.000 (more)" in format_comparison(rows)
    rows = collision_comparison({"v": {"boxes": older}, "b": blind}, {"v": True, "b": False})
    assert "upright_upper" not in rows[0] and "until a fall" not in format_comparison(rows)
    table = format_table({"v": {"boxes": s, "all": s}, "old": {"boxes": older, "all": older}})
    assert "upper<fall" in table
    assert any(ln.startswith("boxes") and "old" in ln and " - " in ln for ln in table.splitlines())


def test_score_trial_from_a_recording() -> None:
    """A synthetic trial: tracks well for 4 s (a calf brushes a box for 5 periods), then topples
    (tilt) and lies on the box, damped, its trunk touching it every period from then on."""
    sched = Schedule(command_script(stand_s=1.0, segment_s=1.5))
    t = np.arange(-1.0, sched.total_s + 0.2, DT)  # odometry before and after the script too
    cmd = sched.commands(t)
    upright = t < 4.0
    angle = np.where(upright, 0.0, 0.75)  # rotation about x by 1.5 rad once fallen
    quat = np.stack([np.sin(angle), 0 * t, 0 * t, np.cos(angle)], axis=1)
    lin = np.zeros((len(t), 3))
    lin[:, :2] = np.where(upright[:, None], cmd[:, :2], 0.0)
    ang = np.zeros((len(t), 3))
    ang[:, 2] = np.where(upright, cmd[:, 2], 0.0)
    pos = np.zeros((len(t), 3))
    pos[:, 0] = np.cumsum(lin[:, 0]) * DT
    status_t = np.arange(-1.0, sched.total_s + 0.2, 0.1)
    lying = np.clip(np.round(50 * (status_t - 4.0)), 0, None)  # periods since the fall
    sim_status = [
        {
            "t": float(s),
            "trunk_height": 0.32 if s < 4.0 else 0.12,
            "nominal_height": 0.32,
            "real_time_factor": 0.98,
            "obstacle_contact_periods": int((5 if s >= 2.0 else 0) + lying[i]),
            "upper_contact_periods": int(lying[i]),
            "control_periods": round(50 * (s + 1.0)),  # counting from the sim's start
        }
        for i, s in enumerate(status_t)
    ]
    whole = contact_counts(sim_status, sched.total_s)
    assert whole is not None
    rec = Recording(
        t,
        pos,
        quat,
        lin,
        ang,
        sim_status,
        contact_periods=whole.contact_periods,
        upper_contact_periods=whole.upper_contact_periods,
        control_periods=whole.control_periods,
    )
    r = score_trial("p", "flat", 0, (0.0, 0.0, 0.0), rec, sched, EvalSettings())
    assert r.fell and r.fall_time_s == pytest.approx(4.0, abs=0.05)
    assert r.fall_cause.startswith(("tilt", "base height"))
    assert r.fall_segment == fall_segment(sched, r.fall_time_s)
    assert r.fall_segment in ("turn_left", "turn_right")  # the left turn ends at 4.0 s
    assert r.stop_tilt_rise_rad is None  # it fell before the stop
    standing = replace(  # the same trial upright throughout: level while stopped
        rec,
        quat_xyzw=np.tile([0.0, 0.0, 0.0, 1.0], (len(t), 1)),
        sim_status=[{**s, "trunk_height": 0.32} for s in sim_status],
    )
    assert score_trial(
        "p", "flat", 0, (0.0, 0.0, 0.0), standing, sched, EvalSettings()
    ).stop_tilt_rise_rad == pytest.approx(0.0)
    assert r.by_kind["stand"]["lin_vel_error"] == pytest.approx(0.0)
    assert r.by_kind["stop"]["lin_vel_error"] == pytest.approx(0.0)  # lying still = stopped
    assert r.by_kind["forward"]["lin_vel_error"] > 0.0  # the second forward was not walked
    lying_periods = 50 * (sched.total_s - 4.0)  # to +-0.1 s: the statuses come at 10 Hz
    assert r.collided and r.contact_periods == 5 + r.upper_contact_periods
    assert r.upper_contact_periods == pytest.approx(lying_periods, abs=5)
    assert r.control_periods == pytest.approx(50 * sched.total_s, abs=5)
    # Until the fall: the calf's 5 periods, no body/thigh contact, 4 s of control periods.
    assert (r.upright_contact_periods, r.upright_upper_contact_periods) == (5, 0)
    assert r.upright_control_periods == pytest.approx(200, abs=5)
    s = summarize([r])
    assert s["upper_contact_step_fraction"] > 0.5  # mostly the lying
    assert s["upright_upper_contact_step_fraction"] == 0.0
    assert s["upright_contact_step_fraction"] == pytest.approx(5 / r.upright_control_periods)
    assert r.real_time_factor == pytest.approx(0.98)
    assert r.distance_m == pytest.approx(0.5 * 1.5 * 1.0, abs=0.05)  # only the first forward
    d = r.to_dict()
    assert d["collided"] is True and all(
        math.isfinite(d[k]) for k in ("lin_vel_error", "ang_vel_error")
    )


def test_terrains_resolve_with_their_start_and_seeded_jitter(tmp_path) -> None:
    flat = resolve_terrain("flat")
    assert flat.name == "flat" and flat.scene.endswith("loco_eval_flat.yaml")
    poses = [flat.start_pose(seed=0, trial=k) for k in range(3)]
    assert poses == [flat.start_pose(seed=0, trial=k) for k in range(3)]  # reproducible
    assert len(set(poses)) == 3
    assert all(abs(p[0]) <= flat.jitter[0] and abs(p[1]) <= flat.jitter[1] for p in poses)
    custom = tmp_path / "my_ramp.yaml"
    custom.write_text("name: ramp\nsteps: [{center: [2, 0], size: [1, 2], height: 0.07}]\n")
    t = resolve_terrain(str(custom))
    assert t.name == "my_ramp" and t.start == (0.0, 0.0, 0.0) and t.jitter == (0.0, 0.0, 0.0)
    with pytest.raises(FileNotFoundError, match="unknown terrain"):
        resolve_terrain("lava")
    # Every shipped short name resolves to its scene, and the default set is made of them.
    assert set(EvalSettings.terrains) == set(TERRAINS)
    for name, scene in TERRAINS.items():
        t = resolve_terrain(name)
        assert t.name == name and t.scene.endswith(f"{scene}.yaml") and any(t.jitter)


def test_cli_takes_another_params_file_and_refuses_a_missing_one(tmp_path, monkeypatch) -> None:
    from navila_loco_train import evaluate as evaluate_module

    seen: list[EvalSettings] = []
    monkeypatch.setattr(evaluate_module, "evaluate", lambda pol, st, out: seen.append(st))
    params = tmp_path / "go2_temporal.yaml"
    params.write_text("heightmap_node: {ros__parameters: {temporal_frames: 5}}\n")
    argv = ["--policy", "models/go2_vision", "--out", str(tmp_path / "eval")]
    assert evaluate_module.main([*argv, "--config", str(params)]) == 0
    assert seen[0].config == str(params) and seen[0].terrains == EvalSettings.terrains
    assert evaluate_module.main(argv) == 0 and seen[1].config == ""  # found from --robot later
    with pytest.raises(SystemExit) as exc:
        evaluate_module.main([*argv, "--config", str(tmp_path / "missing.yaml")])
    assert exc.value.code == 2 and len(seen) == 2


def test_settings_refuse_a_settle_window_as_long_as_a_segment() -> None:
    with pytest.raises(ValueError, match="settle_s"):
        EvalSettings(segment_s=0.5, settle_s=0.5).validate()
    with pytest.raises(ValueError, match="trials"):
        EvalSettings(trials=0).validate()


def test_walk_start_from_loco_statuses() -> None:
    stand = {"mode": "stand_up", "event": None}
    walk = {"mode": "walk", "event": "transition", "transition": {"source": "stand_up"}}
    fell = {"mode": "damp", "reason": "tilt", "transition": {"source": "walk", "target": "damp"}}
    assert _walk_start([(1.0, stand), (3.0, walk), (3.2, fell)]) == 3.0
    # The WALK status was not received: the DAMP transition out of WALK still says it walked.
    assert _walk_start([(1.0, stand), (3.2, fell)]) == 3.2
    stand_fail = {"mode": "damp", "reason": "stale IMU", "transition": {"source": "stand_up"}}
    with pytest.raises(RuntimeError, match=r"damped before walking.*stand_up.*stale IMU"):
        _walk_start([(1.0, stand), (1.5, stand_fail)])
    with pytest.raises(RuntimeError, match="no WALK"):
        _walk_start([(1.0, stand)])


def test_commands_wait_for_the_robot_out_of_its_gantry() -> None:
    """A humanoid's evaluation starts once the simulator has lowered its gantry."""
    sim = [(0.1, {"node": "navila_sim", "support": "holding"})]
    assert not _out_of_gantry([])  # no simulator status yet
    assert not _out_of_gantry(sim)
    assert not _out_of_gantry([*sim, (0.2, {"support": "releasing"})])
    assert _out_of_gantry([*sim, (0.3, {"support": "released"})])
    assert _out_of_gantry([(0.1, {"support": "off"})])  # a quadruped has none
    assert _out_of_gantry([(0.1, {"drive": "pd"})])  # a simulator that reports none


def test_stand_up_failures_and_stale_state_damps_invalidate_a_trial() -> None:
    empty = np.zeros((0, 3))
    rec = Recording(np.zeros(0), empty, np.zeros((0, 4)), empty, empty)
    check_valid(rec)  # no DAMP: valid
    rec.damp_events = [(2.0, "tilt beyond limit (roll 0.9, pitch 0.1 rad, limit 0.80)")]
    check_valid(rec)  # the policy's fall: valid, scored as a fall
    rec.damp_events = [(2.0, "stale IMU (379 ms > 250 ms)")]
    with pytest.raises(InvalidTrialError, match="did not keep up"):
        check_valid(rec)
    assert issubclass(StandUpError, InvalidTrialError)
