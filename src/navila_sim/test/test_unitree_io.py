"""Unitree DDS mode logic without a network: slots, LowCmd_ decoding rules, CRC checking."""

import numpy as np
import pytest

from navila_loco_node.backends.unitree import build_lowcmd
from navila_sim.joint_order import GO2_SDK_ORDER, H1_POLICY_ORDER, H1_SDK_ORDER
from navila_sim.robot import load_robot
from navila_sim.unitree_io import (
    NUM_SLOTS,
    POS_STOP,
    VEL_STOP,
    SlotCommand,
    decode_command,
    sdk_slots,
    slot_values,
)
from navila_sim.unitree_sim import CommandInbox, parse_args


def slot_command(**fields: np.ndarray) -> SlotCommand:
    base = {f: np.zeros(NUM_SLOTS) for f in ("mode", "q", "dq", "kp", "kd", "tau")}
    base["mode"][:] = 1
    base.update(fields)
    return SlotCommand(**base)


def test_slots_follow_the_sdk_table_by_name():
    go2 = load_robot("go2")
    slots = sdk_slots("go2", go2.joint_names)
    for name, k in zip(go2.joint_names, slots, strict=True):
        assert GO2_SDK_ORDER[k] == name
    h1 = sdk_slots("h1", list(H1_POLICY_ORDER))
    assert 9 not in h1 and H1_SDK_ORDER[h1[H1_POLICY_ORDER.index("torso_joint")]] == "torso_joint"
    with pytest.raises(ValueError, match="Unitree SDK motor order"):
        sdk_slots("", load_robot("t1").joint_names)
    q = np.arange(12.0)
    per_slot = slot_values(q, slots)
    assert per_slot.shape == (NUM_SLOTS,) and np.all(per_slot[12:] == 0)
    np.testing.assert_array_equal(per_slot[slots], q)


def test_decode_applies_per_motor_gains_and_the_off_rules():
    slots = np.array([2, 0, 1])  # joint i sits in slot slots[i]
    q_now = np.array([0.5, 0.6, 0.7])
    cmd = slot_command(
        q=np.r_[1.0, 2.0, 3.0, np.full(17, POS_STOP)],
        dq=np.r_[0.1, VEL_STOP, 0.3, np.full(17, VEL_STOP)],
        kp=np.r_[10.0, 20.0, 30.0, np.full(17, 99.0)],  # idle slots carry junk: ignored
        kd=np.r_[1.0, 2.0, 3.0, np.zeros(17)],
        tau=np.r_[0.5, 0.6, 0.7, np.zeros(17)],
    )
    d = decode_command(cmd, slots, q_now)
    np.testing.assert_array_equal(d.q, [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(d.kp, [30.0, 10.0, 20.0])
    # joint 2 sits in slot 1 whose dq is the stop value: no velocity term there
    np.testing.assert_array_equal(d.kd, [3.0, 1.0, 0.0])
    np.testing.assert_array_equal(d.dq, [0.3, 0.1, 0.0])
    # mode 0 switches a motor off entirely; q = PosStopF switches only the position term off
    cmd.mode[2] = 0
    cmd.q[0] = POS_STOP
    d = decode_command(cmd, slots, q_now)
    assert d.off.tolist() == [True, False, False]
    assert (d.kp[0], d.kd[0], d.tau[0], d.q[0]) == (0.0, 0.0, 0.0, 0.5)
    assert (d.kp[1], d.q[1], d.kd[1]) == (0.0, 0.6, 1.0)


@pytest.mark.parametrize(
    "field, value, match",
    [("kp", np.nan, "non-finite kp"), ("q", np.inf, "non-finite q"), ("kd", -1.0, "negative")],
)
def test_decode_rejects_bad_values_in_used_slots(field, value, match):
    cmd = slot_command()
    getattr(cmd, field)[1] = value
    with pytest.raises(ValueError, match=match):
        decode_command(cmd, np.array([0, 1]), np.zeros(2))
    getattr(cmd, field)[1] = 0.0
    getattr(cmd, field)[15] = value  # the same in an idle slot is ignored
    decode_command(cmd, np.array([0, 1]), np.zeros(2))


def test_inbox_checks_the_crc_of_real_lowcmd_messages():
    from unitree_sdk2py.utils.crc import CRC

    used = np.zeros(NUM_SLOTS, dtype=bool)
    used[:12] = True
    fields = {
        f: np.full(NUM_SLOTS, v)
        for f, v in (("q", 0.3), ("dq", 0.0), ("kp", 40.0), ("kd", 1.0), ("tau", 0.0), ("mode", 1))
    }
    msg = build_lowcmd(fields, used)
    inbox = CommandInbox()
    inbox.on_lowcmd(msg, CRC())
    seq, cmd = inbox.take(0)
    assert seq == 1 and cmd is not None
    assert cmd.kp[0] == 40.0 and cmd.q[12] == pytest.approx(POS_STOP)
    assert inbox.take(seq) == (1, None)  # nothing new
    msg.motor_cmd[3].kp = 400.0  # corrupted after the CRC was computed: dropped and counted
    inbox.on_lowcmd(msg, CRC())
    assert inbox.crc_errors == 1 and inbox.received == 2 and inbox.take(seq) == (1, None)


def test_cli_ignores_ros_args_appended_by_the_launcher():
    args = parse_args(["--robot", "h1", "--domain", "7", "--ros-args", "-r", "__node:=x"])
    assert (args.robot, args.domain, args.interface) == ("h1", 7, "lo")
    assert args.lidar_ros_domain == -1  # no LiDAR unless asked


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lidar-ros-domain", "-2"], "--lidar-ros-domain"),
        (["--lidar-ros-domain", "3", "--lidar-rate-hz", "0"], "--lidar-rate-hz"),
    ],
)
def test_cli_refuses_bad_lidar_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err
