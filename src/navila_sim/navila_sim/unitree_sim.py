"""Unitree DDS mode: the simulated Go2 / H1 on rt/lowstate + rt/lowcmd, like unitree_mujoco.

    python -m navila_sim.unitree_sim --robot go2 --scene two_rooms --domain 1 --interface lo

Design (why a standalone process and not a mode of the ROS node): unitree_sdk2py's CycloneDDS
and rclpy must not share a process's DDS participant ("Precondition Not Met", DEPLOY_FACTS.md).
A bridge process beside the ROS node would need shared memory, a second loop and a hand-off of
every physics step; instead this runner owns the core `Sim` itself and steps it at real-time
pace WITHOUT rclpy, exactly what Unitree's simulator does. Run it INSTEAD of the navila_sim node
for a Unitree-backend test bed (the ROS node stays the Isaac-Sim-topics sim); nothing here
imports rclpy, so it also runs on a machine without ROS.

Each physics step: the newest valid LowCmd_ (CRC checked in the DDS callback: bad ones are
dropped and counted) becomes per-joint PD drive (navila_sim.unitree_io rules: mode 0 off,
stop values, idle slots ignored), then one step; LowState_ (IMU quaternion w,x,y,z, gyroscope,
accelerometer, rpy; motor q / dq / tau_est in SDK slot order; tick in ms; CRC) goes out every
`--state-every` steps. Until the first command the robot does what `--start-drive` says.

`--lidar-ros-domain N` adds the robot's LiDAR: each scan (navila_sim's LiDAR pattern, at
`--lidar-rate-hz` of sim time) goes to a child process that publishes it on ROS 2 in domain N
(`--lidar-topic`, sensor_msgs/PointCloud2), as the robot's LiDAR driver does
(navila_sim.lidar_relay); with the loco node republishing the IMU from LowState_ (its
`topics.imu_out`), heightmap_node then has everything it has on a robot.

The robot's `motion_switcher` service answers as a Go2's does (navila_sim.unitree_services).
`--sport-mode NAME` plays a real Go2 at boot: Unitree's sport controller owns the motors until
a client releases it over that service, and until then no LowCmd_ is applied (counted as
`lowcmd_ignored_sport_mode`). Default '': released, as in Unitree's own simulator.

`--camera` adds the Go2's front camera as its `videohub` service serves it (GetImageSample: the
newest JPEG, rendered at `--camera-rate-hz` of sim time, `--camera-size W H`), for
navila_loco_node's camera driver. It needs an OpenGL backend (navila_sim.mujoco_gl).

`--status-file` gets a JSON snapshot ~10 times per wall second (trunk height, joint angles by
name, the drive seen per joint, counters): tests and operators read the simulated robot's side
of the link there. `--ros-args ...` (appended by the bring-up's process launcher) is ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

import numpy as np

from navila_loco_node.backends.unitree import HEAD, LEVEL_FLAG
from navila_loco_node.observation import rpy_from_quat
from navila_sim.lidar import LidarPattern
from navila_sim.lidar_relay import LidarRelay
from navila_sim.sim import Sim, SimConfig
from navila_sim.unitree_io import (
    NUM_SLOTS,
    SlotCommand,
    decode_command,
    sdk_slots,
    slot_values,
)
from navila_sim.unitree_services import (
    SportMode,
    VideoHub,
    serve_motion_switcher,
    serve_videohub,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    if "--ros-args" in argv:
        argv = argv[: argv.index("--ros-args")]
    ap = argparse.ArgumentParser(prog="navila_sim.unitree_sim", description=__doc__.split("\n")[0])
    ap.add_argument("--robot", default="go2", help="go2 or h1 (unitree_go messages, 20 slots)")
    ap.add_argument("--scene", default="", help="scene name or YAML path; '' = empty floor")
    ap.add_argument("--domain", type=int, default=1, help="DDS domain (unitree_mujoco: 1)")
    ap.add_argument("--interface", default="lo", help="network interface for CycloneDDS")
    ap.add_argument("--physics-dt", type=float, default=0.005, help="physics step [s]")
    ap.add_argument("--state-every", type=int, default=1, help="LowState_ every N steps")
    ap.add_argument("--actuator-delay-steps", type=int, default=0)
    ap.add_argument(
        "--start-pose", type=float, nargs=3, default=(0.0, 0.0, 0.0), metavar=("X", "Y", "YAW")
    )
    ap.add_argument("--start-posture", default="stand", choices=("stand", "lie"))
    ap.add_argument(
        "--start-drive",
        default="hold",
        choices=("hold", "passive"),
        help="until the first LowCmd_: hold the default pose, or motors off",
    )
    ap.add_argument(
        "--no-support",
        action="store_true",
        help="no gantry for a humanoid (by default it hangs in one until the controller's PD "
        "targets have driven it for the robot file's release time: navila_sim.support)",
    )
    ap.add_argument(
        "--real-time-factor",
        type=float,
        default=1.0,
        help="sim seconds per wall second; 0 = as fast as possible",
    )
    ap.add_argument("--status-file", default="", help="JSON snapshot of the robot side")
    ap.add_argument(
        "--lidar-ros-domain",
        type=int,
        default=-1,
        help="publish the LiDAR on ROS 2 in this ROS_DOMAIN_ID (a child process, as the robot's "
        "LiDAR driver); -1 = no LiDAR",
    )
    ap.add_argument("--lidar-topic", default="/lidar/points", help="PointCloud2 topic")
    ap.add_argument("--lidar-frame", default="lidar", help="frame_id of the clouds")
    ap.add_argument("--lidar-rate-hz", type=float, default=15.0, help="scans per sim second")
    ap.add_argument("--camera", action="store_true", help="serve the front camera (videohub)")
    ap.add_argument("--camera-size", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    ap.add_argument("--camera-rate-hz", type=float, default=5.0, help="frames per sim second")
    ap.add_argument(
        "--sport-mode",
        default="",
        help="start with this sport controller mode active (a real Go2: 'normal'); LowCmd_ is "
        "ignored until a client releases it over motion_switcher ('' = released)",
    )
    args = ap.parse_args(argv)
    if args.state_every < 1:
        ap.error("--state-every must be >= 1")
    if args.lidar_ros_domain < -1:
        ap.error("--lidar-ros-domain must be a ROS domain id >= 0, or -1 for no LiDAR")
    if not args.lidar_rate_hz > 0:
        ap.error("--lidar-rate-hz must be > 0")
    if not args.camera_rate_hz > 0 or min(args.camera_size) < 8:
        ap.error("--camera-rate-hz must be > 0 and --camera-size at least 8 x 8")
    return args


class CommandInbox:
    """The newest CRC-valid LowCmd_ from the DDS thread, and the link counters."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.newest: SlotCommand | None = None
        self.seq = 0
        self.received = 0
        self.crc_errors = 0

    def on_lowcmd(self, msg, crc) -> None:
        self.received += 1
        if crc.Crc(msg) != msg.crc:
            with self.lock:
                self.crc_errors += 1
            return
        motors = msg.motor_cmd
        cmd = SlotCommand(
            *(
                np.array([getattr(m, f) for m in motors[:NUM_SLOTS]], dtype=np.float64)
                for f in ("mode", "q", "dq", "kp", "kd", "tau")
            )
        )
        with self.lock:
            self.newest = cmd
            self.seq += 1

    def take(self, last_seq: int) -> tuple[int, SlotCommand | None]:
        with self.lock:
            if self.seq == last_seq:
                return last_seq, None
            return self.seq, self.newest


class UnitreeSimRunner:
    """Steps a Sim and exchanges LowState_ / LowCmd_ through the SDK (no rclpy)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        cfg = SimConfig(
            robot=args.robot,
            scene=args.scene or None,
            mode="physics",
            physics_dt=args.physics_dt,
            actuator_delay_steps=args.actuator_delay_steps,
            lidar_enabled=args.lidar_ros_domain >= 0,
            lidar=LidarPattern(rate_hz=args.lidar_rate_hz),
            start_pose=tuple(args.start_pose),
            start_posture=args.start_posture,
            start_drive=args.start_drive,
            support=not args.no_support,
        )
        cfg.camera.enabled = args.camera
        cfg.camera.width, cfg.camera.height = args.camera_size
        cfg.camera.rate_hz = args.camera_rate_hz
        self.sim = Sim(cfg)
        self.slots = sdk_slots(self.sim.robot.sdk_order, self.sim.robot.joint_names)
        self.used = np.zeros(NUM_SLOTS, dtype=bool)
        self.used[self.slots] = True
        self.inbox = CommandInbox()
        self.applied = 0
        self.rejected = 0
        self.last_error = ""
        self.states = 0
        self.steps = 0
        self._cmd_seq = 0
        self._rtf = 0.0
        self.lidar: LidarRelay | None = None
        self._lidar_lost = False
        self.sport = SportMode(args.sport_mode)
        self.video = VideoHub() if args.camera else None
        self.ignored_sport_mode = 0
        self._sport_server = self._video_server = None  # the SDK RPC servers, kept alive

    # ------------------------------------------------------------------ DDS
    def open(self) -> None:
        from unitree_sdk2py.core.channel import (
            ChannelFactoryInitialize,
            ChannelPublisher,
            ChannelSubscriber,
        )
        from unitree_sdk2py.idl.default import unitree_go_msg_dds__LowState_
        from unitree_sdk2py.idl.unitree_go.msg.dds_ import LowCmd_, LowState_
        from unitree_sdk2py.utils.crc import CRC

        ChannelFactoryInitialize(self.args.domain, self.args.interface or None)
        self._crc = CRC()
        self._state_msg = unitree_go_msg_dds__LowState_()
        self._state_msg.head = list(HEAD)
        self._state_msg.level_flag = LEVEL_FLAG
        for k in range(NUM_SLOTS):
            self._state_msg.motor_state[k].mode = 0x01 if self.used[k] else 0
        self._pub = ChannelPublisher("rt/lowstate", LowState_)
        self._pub.Init()
        crc_for_cb = CRC()
        self._sub = ChannelSubscriber("rt/lowcmd", LowCmd_)
        self._sub.Init(lambda msg: self.inbox.on_lowcmd(msg, crc_for_cb), 10)
        self._sport_server = serve_motion_switcher(self.sport)
        if self.video is not None:
            self._video_server = serve_videohub(self.video)
        if self.args.lidar_ros_domain >= 0:
            a = self.args
            self.lidar = LidarRelay(a.lidar_ros_domain, a.lidar_topic, a.lidar_frame)

    def close(self) -> None:
        if self.lidar is not None:
            code = self.lidar.close()
            if code != 0:
                print(f"unitree_sim: LiDAR driver exit code {code}", file=sys.stderr)
        for ch in (getattr(self, "_sub", None), getattr(self, "_pub", None)):
            if ch is not None:
                try:
                    ch.Close()
                except Exception as exc:  # closing at exit: report, never mask the exit code
                    print(f"unitree_sim: closing a channel failed: {exc}", file=sys.stderr)
        self.sim.close()

    def publish_state(self) -> None:
        sim, msg = self.sim, self._state_msg
        js, imu = sim.joint_state(), sim.imu()
        q = slot_values(js.position, self.slots)
        dq = slot_values(js.velocity, self.slots)
        tau = slot_values(js.effort, self.slots)
        for k in range(NUM_SLOTS):
            ms = msg.motor_state[k]
            ms.q, ms.dq, ms.tau_est = float(q[k]), float(dq[k]), float(tau[k])
        x, y, z, w = (float(v) for v in imu.orientation_xyzw)
        quat_wxyz = np.array([w, x, y, z])
        msg.imu_state.quaternion = [w, x, y, z]
        msg.imu_state.gyroscope = [float(v) for v in imu.angular_velocity]
        msg.imu_state.accelerometer = [float(v) for v in imu.linear_acceleration]
        msg.imu_state.rpy = [float(v) for v in rpy_from_quat(quat_wxyz)]
        msg.tick = round(sim.time * 1000.0) & 0xFFFFFFFF  # ms, as the robot counts
        msg.crc = self._crc.Crc(msg)
        self._pub.Write(msg)
        self.states += 1

    def publish_scan(self) -> None:
        """A scan when one is due (sim time: Sim.due_lidar); a dead driver is reported once and
        not restarted: the robot's LiDAR is gone, heightmap_node's map goes stale."""
        lidar = self.lidar
        if lidar is None or self._lidar_lost:
            return
        scan = self.sim.due_lidar()
        if scan is None:
            return
        if lidar.alive:
            lidar.offer(scan.points)
            return
        self._lidar_lost = True
        self.last_error = f"LiDAR driver process exited (code {lidar.exitcode})"
        print(f"unitree_sim: {self.last_error}: no more clouds", file=sys.stderr, flush=True)

    def publish_frame(self) -> None:
        """A camera frame into the video service when one is due (sim time)."""
        if self.video is None:
            return
        frame = self.sim.due_camera()
        if frame is not None:
            self.video.put(frame.rgb)

    # ------------------------------------------------------------------ commands
    def apply_newest_command(self) -> None:
        seq, cmd = self.inbox.take(self._cmd_seq)
        if cmd is None:
            return
        self._cmd_seq = seq
        if self.sport.active:  # the sport controller owns the motors: the command never lands
            if self.ignored_sport_mode == 0:
                print(
                    f"unitree_sim: LowCmd_ ignored: sport mode {self.sport.name!r} is active "
                    "(release it over motion_switcher)",
                    flush=True,
                )
            self.ignored_sport_mode += 1
            return
        sim = self.sim
        try:
            drive = decode_command(cmd, self.slots, sim.joint_state().position)
            sim.set_joint_targets(None, drive.q, drive.dq, drive.tau, drive.kp, drive.kd)
        except ValueError as exc:
            self.rejected += 1
            if str(exc) != self.last_error:
                print(f"unitree_sim: LowCmd_ rejected, previous drive kept: {exc}", flush=True)
            self.last_error = str(exc)
            return
        self.applied += 1

    # ------------------------------------------------------------------ status
    def status(self) -> dict:
        sim = self.sim
        pos, quat = sim.base_pose()
        names = sim.robot.joint_names
        q = sim.joint_state().position
        with self.inbox.lock:
            crc_errors, received = self.inbox.crc_errors, self.inbox.received
        return {
            "node": "navila_sim.unitree_sim",
            "robot": sim.robot.name,
            "domain": self.args.domain,
            "interface": self.args.interface,
            "sim_time": round(sim.time, 4),
            "real_time_factor": round(self._rtf, 3),
            "trunk_height": float(pos[2] - sim.floor_height(pos[0], pos[1])),
            "nominal_height": float(sim.nominal_height),
            "base_rpy": [float(v) for v in rpy_from_quat(quat)],
            "base_pos": [float(v) for v in pos],
            "joint_pos": {n: float(v) for n, v in zip(names, q, strict=True)},
            "default_pos": {n: float(v) for n, v in zip(names, sim.robot.default_pos, strict=True)},
            "drive": sim.drive,
            "support": sim.gantry.state.value,
            "kp": {n: float(v) for n, v in zip(names, sim.kp, strict=True)},
            "kd": {n: float(v) for n, v in zip(names, sim.kd, strict=True)},
            "lowcmd_received": received,
            "lowcmd_applied": self.applied,
            "lowcmd_crc_errors": crc_errors,
            "lowcmd_rejected": self.rejected,
            "lowcmd_ignored_sport_mode": self.ignored_sport_mode,
            "sport_mode": self.sport.name,
            "sport_mode_releases": self.sport.releases,
            "camera_frames": None if self.video is None else self.video.frames,
            "camera_requests": None if self.video is None else self.video.requests,
            "lowstate_published": self.states,
            "lidar_scans": None if self.lidar is None else self.lidar.offered,
            "lidar_scans_dropped": None if self.lidar is None else self.lidar.dropped,
            "last_error": self.last_error,
        }

    def write_status(self) -> None:
        path = self.args.status_file
        if not path:
            return
        tmp = f"{path}.tmp"
        Path(tmp).write_text(json.dumps(self.status()))
        os.replace(tmp, path)  # readers never see a half-written file

    # ------------------------------------------------------------------ loop
    def run(self, stop: threading.Event) -> None:
        """Step until `stop` is set: real-time pace on absolute deadlines, never a catch-up
        burst after a stall (the robot would see a jump in time)."""
        rtf = self.args.real_time_factor
        wall0, sim0 = time.monotonic(), self.sim.time
        win_wall, win_sim = wall0, sim0
        next_status = wall0
        while not stop.is_set():
            self.apply_newest_command()
            self.sim.step(1)
            self.steps += 1
            if self.steps % self.args.state_every == 0:
                self.publish_state()
            self.publish_scan()
            self.publish_frame()
            wall = time.monotonic()
            if wall >= next_status:
                if wall - win_wall >= 1.0:
                    self._rtf = (self.sim.time - win_sim) / (wall - win_wall)
                    win_wall, win_sim = wall, self.sim.time
                self.write_status()
                next_status = wall + 0.1
            if rtf > 0:
                lag = wall0 + (self.sim.time - sim0) / rtf - wall
                if lag > 0:
                    time.sleep(lag)
                elif lag < -0.5:
                    wall0, sim0 = wall, self.sim.time


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runner = UnitreeSimRunner(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"navila_sim.unitree_sim: {exc}", file=sys.stderr)
        return 2
    try:
        runner.open()
        print(
            f"navila_sim.unitree_sim ready: robot {runner.sim.robot.name}, scene "
            f"{args.scene or 'empty'}, domain {args.domain} on {args.interface!r}, "
            f"{runner.slots.size} motors, start {args.start_posture}/{args.start_drive}, LiDAR "
            + (
                f"on {args.lidar_topic} (ROS domain {args.lidar_ros_domain})"
                if runner.lidar
                else "off"
            )
            + (f", sport mode {args.sport_mode!r} until released" if args.sport_mode else "")
            + (", camera on videohub" if runner.video else ""),
            flush=True,
        )
        runner.run(stop)
    finally:
        runner.write_status()
        runner.close()
    print(
        f"navila_sim.unitree_sim: stopped at sim time {runner.sim.time:.2f} s, "
        f"{runner.applied} commands applied, {runner.inbox.crc_errors} CRC errors",
        flush=True,
    )
    return 0


def cli(argv: list[str] | None = None) -> NoReturn:
    """The process entry point: main(), then exit without the interpreter's finalization. The
    SDK's RPC servers (motion_switcher, videohub) have no stop, and their DDS threads can crash
    that finalization after everything here is closed, written and flushed (SIGSEGV at exit, seen
    once in CI): the exit code must be main()'s."""
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()
