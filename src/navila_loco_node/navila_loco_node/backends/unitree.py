"""Unitree Go2 / H1 low-level backend: LowState_ in, LowCmd_ out, over DDS via unitree_sdk2py.

The SDK runs in its OWN PROCESS (a "bridge", started with multiprocessing 'spawn'): rclpy and
the SDK's CycloneDDS in one process on one domain collide ("Precondition Not Met"), and a separate
process also keeps the 500 Hz LowCmd keep-alive off the policy thread and the Python GIL of the
node. The two processes share the newest state and the newest command through shared-memory
arrays (no queues: both sides always want the latest value only).

The bridge re-sends the newest command at `keepalive_hz` (Unitree's examples write LowCmd every
2 ms) with a fresh CRC; it sends nothing until the first command arrives, and when the parent
disappears or closes it, it sends damping before it exits. Motor order is the SDK's; the mapping
from policy order is by joint name (config `backend.unitree.motor_names`), tested end to end.

Message facts (unitree_go): head = [0xFE, 0xEF], level_flag = 0xFF, per motor mode / q / dq / tau
/ kp / kd, idle slot q = 2.146e9 and dq = 16000 (the SDK's stop values), CRC over the packed
struct with unitree_sdk2py.utils.crc.CRC.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.joint_map import motor_slots
from navila_loco_node.types import JointCommand, RobotState

NUM_SLOTS = 20  # unitree_go LowCmd_/LowState_ motor arrays
POS_STOP = 2.146e9
VEL_STOP = 16000.0
HEAD = (0xFE, 0xEF)
LEVEL_FLAG = 0xFF

# Shared state layout (doubles): q[20] dq[20] tau[20] quat_wxyz[4] gyro[3] stamp seq tick
_S_Q, _S_DQ, _S_TAU = 0, NUM_SLOTS, 2 * NUM_SLOTS
_S_QUAT = 3 * NUM_SLOTS
_S_GYRO = _S_QUAT + 4
_S_STAMP = _S_GYRO + 3
_S_SEQ = _S_STAMP + 1
_S_TICK = _S_SEQ + 1
_S_SIZE = _S_TICK + 1
# Shared command layout (doubles): q dq kp kd tau mode [20 each], valid, seq
_C_FIELDS = ("q", "dq", "kp", "kd", "tau", "mode")
_C_VALID = len(_C_FIELDS) * NUM_SLOTS
_C_SEQ = _C_VALID + 1
_C_SIZE = _C_SEQ + 1


@dataclass(frozen=True)
class BridgeParams:
    """Everything the bridge process needs (picklable)."""

    domain_id: int
    network_interface: str
    keepalive_hz: float
    damping_kd: float
    parent_pid: int
    release_sport_mode: bool = False
    # Listen this long on rt/lowcmd before writing it: another controller already there (a
    # second bring-up, a vendor example) means two writers on one robot's motors - refused.
    foreign_writer_check_s: float = 1.0


FOREIGN_WRITER_EXIT = 3  # the bridge's exit code when rt/lowcmd already has a writer


def another_writer_seen(channel_subscriber, lowcmd_type, listen_s: float) -> int:
    """LowCmd_ messages heard on rt/lowcmd in `listen_s` seconds before we write any: > 0 means
    some other controller is driving the motors."""
    heard = [0]

    def count(_msg) -> None:
        heard[0] += 1

    sub = channel_subscriber("rt/lowcmd", lowcmd_type)
    sub.Init(count, 1)
    time.sleep(listen_s)
    with contextlib.suppress(Exception):
        sub.Close()
    return heard[0]


def build_lowcmd(fields: dict[str, np.ndarray], used: np.ndarray):  # -> LowCmd_
    """A complete LowCmd_ (CRC set) from per-slot arrays; idle slots get the stop values."""
    from unitree_sdk2py.idl.default import unitree_go_msg_dds__LowCmd_
    from unitree_sdk2py.utils.crc import CRC

    cmd = unitree_go_msg_dds__LowCmd_()
    cmd.head[0], cmd.head[1] = HEAD
    cmd.level_flag = LEVEL_FLAG
    cmd.gpio = 0
    for i in range(NUM_SLOTS):
        m = cmd.motor_cmd[i]
        if used[i]:
            m.mode = int(fields["mode"][i])
            m.q = float(fields["q"][i])
            m.dq = float(fields["dq"][i])
            m.kp = float(fields["kp"][i])
            m.kd = float(fields["kd"][i])
            m.tau = float(fields["tau"][i])
        else:
            m.mode = 0x01
            m.q, m.dq, m.kp, m.kd, m.tau = POS_STOP, VEL_STOP, 0.0, 0.0, 0.0
    cmd.crc = CRC().Crc(cmd)
    return cmd


def release_sport_mode(attempts: int = 10) -> None:
    """A real Go2 runs Unitree's sport controller until it is released; low-level commands
    would fight it. Raises (the bridge then never reports ready) if the switcher cannot be
    reached or the mode does not go away."""
    from unitree_sdk2py.comm.motion_switcher.motion_switcher_client import MotionSwitcherClient

    msc = MotionSwitcherClient()
    msc.SetTimeout(5.0)
    msc.Init()
    for _ in range(attempts):
        code, data = msc.CheckMode()
        if code != 0:
            raise RuntimeError(f"motion switcher CheckMode failed (code {code})")
        if not (data or {}).get("name"):
            return
        msc.ReleaseMode()
        time.sleep(1.0)
    raise RuntimeError("sport mode still active after ReleaseMode")


def _bridge_main(params: BridgeParams, used: list[bool], state, command, ready, stop) -> None:
    """Child process: owns the SDK. Never returns while the parent lives and stop is unset."""
    from unitree_sdk2py.core.channel import (
        ChannelFactoryInitialize,
        ChannelPublisher,
        ChannelSubscriber,
    )
    from unitree_sdk2py.idl.unitree_go.msg.dds_ import LowCmd_, LowState_

    ChannelFactoryInitialize(params.domain_id, params.network_interface or None)
    used_arr = np.asarray(used, dtype=bool)
    if params.release_sport_mode:
        release_sport_mode()

    def on_state(msg: LowState_) -> None:
        now = time.monotonic()
        with state.get_lock():
            buf = state.get_obj()
            for i in range(NUM_SLOTS):
                ms = msg.motor_state[i]
                buf[_S_Q + i], buf[_S_DQ + i], buf[_S_TAU + i] = ms.q, ms.dq, ms.tau_est
            buf[_S_QUAT : _S_QUAT + 4] = list(msg.imu_state.quaternion)  # w, x, y, z
            buf[_S_GYRO : _S_GYRO + 3] = list(msg.imu_state.gyroscope)
            buf[_S_STAMP] = now
            buf[_S_SEQ] += 1
            buf[_S_TICK] = msg.tick

    sub = ChannelSubscriber("rt/lowstate", LowState_)
    sub.Init(on_state, 10)
    if params.foreign_writer_check_s > 0:
        heard = another_writer_seen(ChannelSubscriber, LowCmd_, params.foreign_writer_check_s)
        if heard:
            print(
                f"unitree bridge: another controller is writing rt/lowcmd ({heard} commands in "
                f"{params.foreign_writer_check_s:g} s on DDS domain {params.domain_id}): two "
                "controllers must never drive one robot; stop the other one first",
                file=sys.stderr,
                flush=True,
            )
            sys.exit(FOREIGN_WRITER_EXIT)
    pub = ChannelPublisher("rt/lowcmd", LowCmd_)
    pub.Init()
    ready.set()

    period = 1.0 / params.keepalive_hz
    start = time.monotonic()
    k = 0
    damp_fields: dict[str, np.ndarray] | None = None
    while True:
        parent_gone = os.getppid() != params.parent_pid
        if stop.is_set() or parent_gone:
            break
        with command.get_lock():
            buf = np.frombuffer(command.get_obj(), dtype=np.float64).copy()
        if buf[_C_VALID] > 0:
            fields = {f: buf[j * NUM_SLOTS : (j + 1) * NUM_SLOTS] for j, f in enumerate(_C_FIELDS)}
            pub.Write(build_lowcmd(fields, used_arr))
            damp_fields = dict(fields)
        k += 1
        delay = start + k * period - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            k += int(-delay // period)  # overrun: skip missed slots, never burst
    # Last words: damping for a moment, so a dying node never leaves the motors holding a pose.
    if damp_fields is not None:
        damp_fields["kp"] = np.zeros(NUM_SLOTS)
        damp_fields["kd"] = np.where(used_arr, params.damping_kd, 0.0)
        damp_fields["tau"] = np.zeros(NUM_SLOTS)
        msg = build_lowcmd(damp_fields, used_arr)
        for _ in range(25):
            pub.Write(msg)
            time.sleep(0.002)
    with contextlib.suppress(Exception):
        sub.Close()
        pub.Close()


class UnitreeBackend:
    """Joint backend for Go2 / H1 through the bridge process."""

    kind = "unitree_sdk2"

    def __init__(self, config: LocoConfig, start_timeout_s: float = 20.0) -> None:
        self.config = config
        u = config.unitree
        if len(u.motor_names) > NUM_SLOTS:
            raise ValueError(f"at most {NUM_SLOTS} motor slots, got {len(u.motor_names)}")
        names = list(u.motor_names) + [""] * (NUM_SLOTS - len(u.motor_names))
        self.slots = motor_slots(config.joints.names, names)  # policy joint -> SDK slot
        self.used = np.zeros(NUM_SLOTS, dtype=bool)
        self.used[self.slots] = True
        self.modes = np.zeros(NUM_SLOTS)
        self.modes[self.slots] = np.asarray(u.motor_mode, dtype=float)
        ctx = mp.get_context("spawn")
        self._state = ctx.Array("d", _S_SIZE)
        self._command = ctx.Array("d", _C_SIZE)
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._params = BridgeParams(
            domain_id=u.domain_id,
            network_interface=u.network_interface,
            keepalive_hz=u.keepalive_hz,
            damping_kd=config.safety.damping_kd,
            parent_pid=os.getpid(),
            release_sport_mode=u.release_sport_mode,
            foreign_writer_check_s=u.foreign_writer_check_s,
        )
        self._proc = ctx.Process(
            target=_bridge_main,
            args=(self._params, self.used.tolist(), self._state, self._command, self._ready,
                  self._stop),
            name="unitree-bridge",
            daemon=True,
        )  # fmt: skip
        self._proc.start()
        deadline = time.monotonic() + start_timeout_s
        while not self._ready.wait(0.05):
            if not self._proc.is_alive() or time.monotonic() > deadline:
                self.close()
                if self._proc.exitcode == FOREIGN_WRITER_EXIT:
                    raise RuntimeError(
                        f"another controller is already writing rt/lowcmd on DDS domain "
                        f"{u.domain_id}: refusing to drive the same motors (stop it first)"
                    )
                raise RuntimeError(
                    f"unitree bridge did not start (exit code {self._proc.exitcode}; domain "
                    f"{u.domain_id}, interface {u.network_interface!r}): see its output above"
                )
        self._cmd_seq = 0

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def read_state(self) -> RobotState | None:
        with self._state.get_lock():
            buf = np.frombuffer(self._state.get_obj(), dtype=np.float64).copy()
        if buf[_S_SEQ] == 0:
            return None
        stamp = float(buf[_S_STAMP])
        return RobotState(
            joint_pos=buf[_S_Q : _S_Q + NUM_SLOTS][self.slots],
            joint_vel=buf[_S_DQ : _S_DQ + NUM_SLOTS][self.slots],
            quat_wxyz=buf[_S_QUAT : _S_QUAT + 4].copy(),
            ang_vel=buf[_S_GYRO : _S_GYRO + 3].copy(),
            joint_stamp=stamp,
            imu_stamp=stamp,
            seq=int(buf[_S_SEQ]),
        )

    def write_command(self, cmd: JointCommand) -> None:
        """Place policy-order targets into their SDK slots; the bridge sends them."""
        if not self.alive:
            raise RuntimeError("unitree bridge process is not running")
        values = np.zeros(_C_SIZE)
        per_field = {"q": cmd.q, "dq": cmd.dq, "kp": cmd.kp, "kd": cmd.kd, "tau": cmd.tau}
        for j, f in enumerate(_C_FIELDS):
            row = np.zeros(NUM_SLOTS)
            if f == "mode":
                row = self.modes
            else:
                row[self.slots] = per_field[f]
            values[j * NUM_SLOTS : (j + 1) * NUM_SLOTS] = row
        self._cmd_seq += 1
        values[_C_VALID], values[_C_SEQ] = 1.0, self._cmd_seq
        with self._command.get_lock():
            self._command.get_obj()[:] = values.tolist()

    def damp(self) -> None:
        state = self.read_state()
        q = None if state is None else state.joint_pos
        self.write_command(
            JointCommand.damping(self.config.joints.n, self.config.safety.damping_kd, q)
        )

    def close(self, timeout: float = 3.0) -> None:
        """Damp, let the keep-alive deliver it, then stop the bridge."""
        if not self._proc.is_alive():
            # A bridge that died may have died holding the stop Event's lock (it polls
            # is_set() at 500 Hz): setting it now could block this node for good.
            self._proc.join(timeout)
            return
        with contextlib.suppress(RuntimeError):
            self.damp()
        time.sleep(0.05)
        self._stop.set()
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(1.0)
