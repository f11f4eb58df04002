"""Sim-time stamps never run backwards (the /clock and every header the sim node publishes)."""

from __future__ import annotations

from navila_sim.node import stamp_msg


def as_seconds(t: float) -> float:
    msg = stamp_msg(t)
    assert 0 <= msg.nanosec < 1_000_000_000
    return msg.sec + msg.nanosec * 1e-9


def test_stamp_of_a_time_just_below_a_whole_second() -> None:
    msg = stamp_msg(1.9999999999)
    assert (msg.sec, msg.nanosec) == (2, 0)
    assert (stamp_msg(2.5).sec, stamp_msg(2.5).nanosec) == (2, 500_000_000)
    assert (stamp_msg(0.0).sec, stamp_msg(0.0).nanosec) == (0, 0)


def test_stamps_of_accumulated_physics_steps_are_monotonic() -> None:
    t, last = 0.0, -1.0
    for _ in range(4000):  # 20 s of 0.005 s steps, summed as MuJoCo sums data.time
        t += 0.005
        now = as_seconds(t)
        assert now > last and abs(now - t) < 1e-9
        last = now
