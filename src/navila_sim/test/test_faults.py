"""Fault injection: drop, delay, freeze, parse errors."""

import numpy as np
import pytest

from navila_sim.faults import FaultInjector, parse_fault_command
from navila_sim.sim import JointStateData, LidarData, Outputs


def outputs(t: float, q: float) -> Outputs:
    js = JointStateData(t, ["a"], np.array([q]), np.zeros(1), np.zeros(1))
    return Outputs(stamp=t, joint_state=js, lidar=LidarData(t, np.zeros((3, 3), np.float32)))


def test_drop_delay_freeze_and_clear():
    inj = FaultInjector()
    inj.apply(parse_fault_command('{"drop": ["lidar"], "freeze_joint_states": true}'))
    first = inj.process(outputs(0.02, 1.0))
    second = inj.process(outputs(0.04, 2.0))
    assert first.lidar is None and second.lidar is None
    assert second.joint_state.position[0] == 1.0 and second.joint_state.stamp == 0.04
    inj.apply(parse_fault_command({"clear": True, "delay_s": {"lidar": 0.05}}))
    assert inj.process(outputs(0.06, 3.0)).joint_state.position[0] == 3.0
    held = [inj.process(outputs(0.06 + 0.02 * k, 3.0)).lidar for k in range(1, 4)]
    assert held[0] is None and held[1] is None  # due at 0.11 s
    assert held[2] is not None and held[2].stamp == pytest.approx(0.06)  # released at 0.12 s
    inj.apply(parse_fault_command('{"clear": true}'))
    assert inj.active() == {"drop": [], "delay_s": {}, "freeze_joint_states": False}


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"drop": ["radar"]}', "unknown streams"),
        ('{"dorp": []}', "unknown fault keys"),
        ('{"delay_s": {"imu": -1}}', "delay"),
        ('{"push": [1, 2]}', "push"),
        ('{"push": [100, 0, 0]}', "push"),
        ("[1, 2]", "object"),
    ],
)
def test_bad_commands_are_refused(text, match):
    with pytest.raises(ValueError, match=match):
        parse_fault_command(text)
