"""Unitree backend end to end over DDS on `lo`: a test-side process plays the robot.

tests/unitree_fake_robot.py publishes LowState_ (known per-slot joint positions, IMU) and records
every LowCmd_ it receives, recomputing the CRC. The backend under test runs the real
unitree_sdk2py in its own bridge process. Checked: state mapping SDK slot -> policy order, command
mapping policy order -> SDK slot, head / level_flag / CRC, motor modes, per-motor kp/kd, idle slots
with the SDK stop values, the keep-alive, and damping on close. Each test leases its own DDS domain
so it never talks to another test or to navila_sim's Unitree emulation (domain 1).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import unitree_sdk2py  # noqa: F401 - a declared requirement: fail, never skip

from navila_bringup.graph import DomainLease
from navila_loco_node.config import LocoConfig, load_loco_config
from navila_loco_node.types import JointCommand

from .conftest import CONFIG_DIR

FAKE_ROBOT = Path(__file__).with_name("unitree_fake_robot.py")
POS_STOP, VEL_STOP = 2.146e9, 16000.0


def run_against_fake_robot(cfg_file: str, tmp_path: Path, command_for) -> tuple[LocoConfig, dict]:
    from navila_loco_node.backends.unitree import UnitreeBackend

    with DomainLease() as lease:
        cfg = load_loco_config(
            CONFIG_DIR / cfg_file,
            **{"backend.name": "unitree_sdk2", "backend.unitree.domain_id": lease.domain_id,
               "backend.unitree.network_interface": "lo"},
        )  # fmt: skip
        out = tmp_path / "robot.json"
        robot = subprocess.Popen(
            [sys.executable, str(FAKE_ROBOT), str(lease.domain_id), "lo", "4.0", str(out)]
        )
        backend = UnitreeBackend(cfg)
        try:
            deadline = time.monotonic() + 20.0
            state = None
            while state is None and time.monotonic() < deadline:
                state = backend.read_state()
                time.sleep(0.01)
            assert state is not None, "no LowState_ from the fake robot"
            backend.write_command(command_for(cfg))
            time.sleep(0.3)  # let the keep-alive repeat it
        finally:
            backend.close()
        assert robot.wait(30) == 0
    data = json.loads(out.read_text())
    data["state"] = state
    return cfg, data


def distinct_command(cfg: LocoConfig) -> JointCommand:
    n = cfg.joints.n
    i = np.arange(n, dtype=float)
    return JointCommand(
        q=0.01 * i, dq=0.001 * i, kp=np.asarray(cfg.joints.kp), kd=np.asarray(cfg.joints.kd),
        tau=0.1 * i, mode="walk",
    )  # fmt: skip


def test_go2_lowcmd_lowstate_end_to_end(tmp_path: Path) -> None:
    cfg, data = run_against_fake_robot("go2.yaml", tmp_path, distinct_command)
    state = data["state"]
    slots = {n: k for k, n in enumerate(cfg.unitree.motor_names)}
    # State: the fake robot sets q[slot] = 0.1 * slot - 0.5; policy order must follow the names.
    expected_q = [0.1 * slots[n] - 0.5 for n in cfg.joints.names]
    np.testing.assert_allclose(state.joint_pos, expected_q, atol=1e-6)
    np.testing.assert_allclose(state.ang_vel, [0.1, -0.2, 0.3], atol=1e-6)
    assert state.quat_wxyz[0] == pytest.approx(0.995, abs=1e-3)

    assert data["count"] > 20 and data["all_crc_ok"]
    walk = [r for r in data["received"] if r["kp"][0] > 0]
    assert walk, "no PD command received"
    cmd = walk[-1]
    assert cmd["head"] == [0xFE, 0xEF] and cmd["level_flag"] == 0xFF
    for i, name in enumerate(cfg.joints.names):
        k = slots[name]
        assert cmd["q"][k] == pytest.approx(0.01 * i, abs=1e-6), name
        assert cmd["dq"][k] == pytest.approx(0.001 * i, abs=1e-6)
        assert cmd["tau"][k] == pytest.approx(0.1 * i, abs=1e-6)
        assert (cmd["kp"][k], cmd["kd"][k], cmd["mode"][k]) == (40.0, 1.0, 0x01)
    for k in range(12, 20):  # the Go2 has 12 motors: the other slots get the stop values
        assert cmd["q"][k] == pytest.approx(POS_STOP) and cmd["dq"][k] == pytest.approx(VEL_STOP)
        assert cmd["kp"][k] == 0.0 and cmd["kd"][k] == 0.0
    # FR_calf is policy index 9 and SDK slot 2: spelled out once.
    assert cmd["q"][2] == pytest.approx(0.09, abs=1e-6)
    # Closing damps: the last messages are kp = 0, kd = damping on every motor.
    last = data["received"][-1]
    assert all(last["kp"][k] == 0.0 and last["kd"][k] == 8.0 for k in range(12))


def test_h1_modes_and_idle_slot(tmp_path: Path) -> None:
    cfg, data = run_against_fake_robot("h1.yaml", tmp_path, distinct_command)
    assert data["all_crc_ok"]
    cmd = [r for r in data["received"] if max(r["kp"]) > 0][-1]
    modes = dict(zip(cfg.joints.names, cfg.unitree.motor_mode, strict=True))
    for name, k in ((n, k) for k, n in enumerate(cfg.unitree.motor_names) if n):
        assert cmd["mode"][k] == modes[name], name
    assert cmd["mode"][2] == 0x0A and cmd["mode"][10] == 0x01  # right knee strong, left ankle weak
    assert cmd["kp"][2] == 200.0 and cmd["kd"][10] == 4.0 and cmd["kp"][19] == 40.0
    assert cmd["q"][9] == pytest.approx(POS_STOP) and cmd["kp"][9] == 0.0  # slot 9 unused on H1
