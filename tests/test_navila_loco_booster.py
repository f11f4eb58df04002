"""Booster T1 backend with the REAL booster_robotics_sdk_python, as far as it goes without a T1.

Runs in a subprocess (the SDK's DDS threads and a blocked RPC must not outlive a pytest process):
the SDK initialises on `lo` in a private domain, the low-state subscriber opens, no state
arrives (no robot), and a mode change fails after the SDK's 5 s service wait. The backend must
record that failure instead of raising into the control loop. What cannot be tested here: that a
real T1 accepts ChangeMode(kPrepare/kWalking/kDamping) and walks on Move(vx, vy, vyaw).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import booster_robotics_sdk_python  # noqa: F401 - a declared requirement: fail, never skip

from navila_bringup.graph import DomainLease

CONFIG = Path(__file__).resolve().parents[1] / "config" / "t1.yaml"
SCRIPT = """
import json, os, sys, time
from navila_loco_node.config import load_loco_config
from navila_loco_node.backends.booster import BoosterLocoBackend
cfg = load_loco_config(sys.argv[1], **{"backend.booster.domain_id": int(sys.argv[2]),
                                       "backend.booster.network_interface": "lo"})
b = BoosterLocoBackend(cfg)
state = b.read_state()
t0 = time.monotonic()
b.set_mode("stand_up")
while b.error is None and time.monotonic() - t0 < 15:
    time.sleep(0.05)
print(json.dumps({"state_none": state is None, "error": b.error,
                  "waited": time.monotonic() - t0, "mode": b.mode}), flush=True)
os._exit(0)
"""


def test_real_sdk_without_robot_reports_failure() -> None:
    with DomainLease() as lease:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(CONFIG), str(lease.domain_id)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["state_none"]  # no T1 on this machine
    assert result["error"] and "API call failed" in result["error"]
    assert result["mode"] == "passive"  # the robot was never put in another mode
