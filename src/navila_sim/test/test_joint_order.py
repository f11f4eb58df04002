"""The sim's joint order tables, mapped with the one shared mapping (navila_loco_node.joint_map)."""

import numpy as np
import pytest

from navila_loco_node.joint_map import index_map, motor_slots, scatter, to_target
from navila_sim.joint_order import (
    GO2_POLICY_ORDER,
    GO2_SDK_ORDER,
    H1_POLICY_ORDER,
    H1_SDK_ORDER,
)


def test_go2_orders_are_the_documented_ones():
    assert GO2_SDK_ORDER[:3] == ("FR_hip_joint", "FR_thigh_joint", "FR_calf_joint")
    assert GO2_SDK_ORDER[3] == "FL_hip_joint" and GO2_SDK_ORDER[9] == "RL_hip_joint"
    assert GO2_POLICY_ORDER[:4] == ("FL_hip_joint", "FR_hip_joint", "RL_hip_joint", "RR_hip_joint")
    assert sorted(GO2_SDK_ORDER) == sorted(GO2_POLICY_ORDER)


def test_go2_policy_to_sdk_mapping_by_hand():
    # SDK slot 0 (FR hip) is policy index 1; slot 4 (FL thigh) is policy index 4.
    idx = index_map(GO2_POLICY_ORDER, GO2_SDK_ORDER)
    assert idx[0] == 1 and idx[1] == 5 and idx[2] == 9 and idx[4] == 4
    sdk = to_target(np.arange(12.0), idx)
    assert [GO2_POLICY_ORDER[int(v)] for v in sdk] == list(GO2_SDK_ORDER)


def test_h1_slots_round_trip_and_idle_slot():
    slots = motor_slots(H1_POLICY_ORDER, H1_SDK_ORDER)  # policy joint -> SDK slot
    assert 9 not in slots and len(set(slots.tolist())) == 19
    assert H1_SDK_ORDER[slots[H1_POLICY_ORDER.index("right_knee_joint")]] == "right_knee_joint"
    values = np.linspace(-1, 1, 19)
    per_slot = scatter(values, slots, 20, fill=7.0)
    assert per_slot[9] == 7.0
    np.testing.assert_array_equal(to_target(per_slot, slots), values)


def test_errors_name_the_culprit():
    with pytest.raises(ValueError, match="knee"):
        index_map(["a", "b"], ["a", "knee"])
    with pytest.raises(ValueError, match="duplicate"):
        index_map(["a", "a"], ["a"])
    with pytest.raises(ValueError, match="duplicate"):
        index_map(["a", "b"], ["a", "a"])


def test_extra_source_names_are_allowed():
    idx = index_map(["x", "b", "a"], ["a", "b"])
    assert list(idx) == [2, 1]
