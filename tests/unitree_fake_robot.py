"""Test-side process that plays a Unitree Go2/H1 on DDS (not a test module itself).

Publishes LowState_ on rt/lowstate at 200 Hz with known per-slot joint positions
(q[slot] = 0.1 * slot - 0.5, dq[slot] = slot, a fixed IMU quaternion and gyro), receives every
LowCmd_ on rt/lowcmd, recomputes its CRC, and on exit writes what it received to a JSON file:

    python tests/unitree_fake_robot.py DOMAIN_ID INTERFACE DURATION_S OUT_JSON
"""

from __future__ import annotations

import json
import sys
import threading
import time

from unitree_sdk2py.core.channel import (
    ChannelFactoryInitialize,
    ChannelPublisher,
    ChannelSubscriber,
)
from unitree_sdk2py.idl.default import unitree_go_msg_dds__LowState_
from unitree_sdk2py.idl.unitree_go.msg.dds_ import LowCmd_, LowState_
from unitree_sdk2py.utils.crc import CRC

QUAT = [0.9950041652780258, 0.09983341664682815, 0.0, 0.0]  # roll 0.2 rad
GYRO = [0.1, -0.2, 0.3]


def main() -> int:
    domain, iface, duration, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    ChannelFactoryInitialize(domain, iface)
    crc = CRC()
    received: list[dict] = []
    lock = threading.Lock()

    def on_cmd(msg: LowCmd_) -> None:
        rec = {
            "t": time.monotonic(),
            "head": list(msg.head),
            "level_flag": msg.level_flag,
            "crc_ok": crc.Crc(msg) == msg.crc,
            "mode": [m.mode for m in msg.motor_cmd],
            "q": [m.q for m in msg.motor_cmd],
            "dq": [m.dq for m in msg.motor_cmd],
            "kp": [m.kp for m in msg.motor_cmd],
            "kd": [m.kd for m in msg.motor_cmd],
            "tau": [m.tau for m in msg.motor_cmd],
        }
        with lock:
            received.append(rec)

    sub = ChannelSubscriber("rt/lowcmd", LowCmd_)
    sub.Init(on_cmd, 50)
    pub = ChannelPublisher("rt/lowstate", LowState_)
    pub.Init()
    state = unitree_go_msg_dds__LowState_()
    for i in range(20):
        state.motor_state[i].q = 0.1 * i - 0.5
        state.motor_state[i].dq = float(i)
    state.imu_state.quaternion = QUAT
    state.imu_state.gyroscope = GYRO
    end = time.monotonic() + duration
    tick = 0
    while time.monotonic() < end:
        tick += 1
        state.tick = tick
        pub.Write(state)
        time.sleep(0.005)
    with lock:
        data = list(received)
    # Keep the file small: the first, the last 60, and a sample in between.
    keep = data[:5] + data[5:-60:25] + data[-60:] if len(data) > 70 else data
    with open(out, "w") as f:
        json.dump({"count": len(data), "all_crc_ok": all(r["crc_ok"] for r in data),
                   "received": keep}, f)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
