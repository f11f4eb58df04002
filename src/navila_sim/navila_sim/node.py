"""navila_sim node: the embedded MuJoCo simulation speaking the Isaac Sim ROS 2 bridge's topics.

Thin shell over navila_sim.sim: declares parameters, converts messages, runs the simulation loop
in its own thread (real-time pace or as fast as possible) while the executor serves the
subscriptions. Publishes /joint_states, /imu/data, /odom and /clock every control period,
/lidar/points and /camera/image_raw at their own rates, /navila/status at 1 Hz. Subscribes
/joint_command (JointState position targets, physics mode), /cmd_vel (kinematic mode) and
/navila/sim/command (JSON faults, see navila_sim.faults). A humanoid starts in a
virtual gantry that is lowered once its controller drives it (navila_sim.support); the status
reports the gantry's state as `support`. A /joint_command is read as the Isaac
Sim bridge reads it (positions -> PD, velocities only -> damping, efforts only -> passive; see
Sim.apply_joint_state_command); the status reports the resulting `drive`.

Unitree DDS mode (rt/lowstate, rt/lowcmd) is a separate, rclpy-free process:
`python -m navila_sim.unitree_sim` (see that module for why).

Safety: a joint command that cannot be applied (unknown names, wrong sizes, NaN) is refused and
reported; the robot keeps holding its last valid targets. In kinematic mode a /cmd_vel older than
`cmd_vel_timeout_s` stops the base.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import numpy as np
import rclpy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, Imu, JointState, PointCloud2
from std_msgs.msg import String

from navila_sim.cloud_msg import xyz_cloud
from navila_sim.faults import FaultInjector, parse_fault_command
from navila_sim.lidar import LidarPattern
from navila_sim.robot import load_robot
from navila_sim.sim import CameraConfig, Outputs, Sim, SimConfig

PARAMS: dict[str, tuple[object, str]] = {
    "robot": ("go2", "robot model: go2, h1, t1 or a robot YAML path"),
    "scene": ("", "scene name (two_rooms, office, courtyard) or YAML path; '' = empty floor"),
    "mode": ("physics", "physics: PD joints from /joint_command; kinematic: base follows /cmd_vel"),
    "real_time": (True, "true: pace the simulation to the wall clock; false: as fast as possible"),
    "real_time_factor": (1.0, "sim seconds per wall second when real_time is true"),
    "physics_dt": (0.005, "physics step [s] (legged-loco: 0.005)"),
    "control_decimation": (4, "physics steps per control period (joint states/IMU/odom rate)"),
    "actuator_delay_steps": (0, "joint commands take effect this many physics steps later"),
    "block_on_collision": (True, "kinematic mode: walls and furniture stop the base"),
    "start_pose": ([0.0, 0.0, 0.0], "start x, y [m] and yaw [rad] in the scene frame"),
    "start_posture": ("stand", "stand (default pose) or lie (folded legs; robots with lie_pos)"),
    "start_drive": ("hold", "until the first joint command: hold (stand gains) or passive"),
    "support": (
        True,
        "hold a humanoid in its gantry (the robot file's support:) until its controller's PD "
        "targets have driven it for the file's release_after_drive_s; false: no gantry",
    ),
    "damping_kd": (8.0, "kd of the damping drive a velocity-only /joint_command selects (kp 0)"),
    "stamps": ("sim", "header stamps from 'sim' time (pair with use_sim_time) or 'wall' clock"),
    "cmd_vel_timeout_s": (0.5, "kinematic mode: older /cmd_vel -> zero velocity"),
    "status_rate_hz": (1.0, "rate of the JSON status on topics.status"),
    "base_frame": ("base_link", "child frame of /odom"),
    "odom_frame": ("odom", "frame of /odom"),
    "imu_frame": ("imu_link", "frame of /imu/data"),
    "lidar.enabled": (True, "publish the LiDAR point cloud"),
    "lidar.rate_hz": (15.0, "LiDAR scan rate (Unitree L1: about 15 Hz)"),
    "lidar.channels": (32, "LiDAR channels (rows)"),
    "lidar.vertical_fov_deg": ([0.0, 90.0], "LiDAR elevation range in the sensor frame"),
    "lidar.horizontal_fov_deg": ([-180.0, 180.0], "LiDAR azimuth range"),
    "lidar.horizontal_res_deg": (4.0, "LiDAR azimuth step"),
    "lidar.min_range": (0.05, "LiDAR minimum range [m]"),
    "lidar.max_range": (20.0, "LiDAR maximum range [m]"),
    "lidar.frame_id": ("lidar", "frame of /lidar/points (the policy's LiDAR frame)"),
    "lidar.mode": (
        "rays",
        "rays: the scan from the sensor; top_surface: an oracle, the scene's top surface from "
        "above without occlusion (what training's height maps see; diagnostics only)",
    ),
    "camera.enabled": (True, "publish the RGB camera"),
    "camera.width": (160, "camera image width [px]"),
    "camera.height": (120, "camera image height [px]"),
    "camera.rate_hz": (5.0, "camera frame rate"),
    "camera.frame_id": ("camera", "frame of /camera/image_raw"),
    "faults.initial": ("", "JSON fault command applied at start (see navila_sim.faults)"),
    "topics.joint_states": ("/joint_states", "JointState out"),
    "topics.imu": ("/imu/data", "Imu out"),
    "topics.odom": ("/odom", "ground-truth Odometry out"),
    "topics.clock": ("/clock", "sim Clock out"),
    "topics.lidar": ("/lidar/points", "PointCloud2 out (x, y, z float32)"),
    "topics.camera": ("/camera/image_raw", "rgb8 Image out"),
    "topics.joint_command": ("/joint_command", "JointState position targets in"),
    "topics.cmd_vel": ("/cmd_vel", "Twist in (kinematic mode)"),
    "topics.sim_command": ("/navila/sim/command", "JSON fault / push commands in"),
    "topics.status": ("/navila/status", "JSON status out"),
}
ARRAY_PARAMS = {
    "default_pos": "default joint pose in the model's joint order ([] = robot file)",
    "kp": "PD stiffness per joint in the model's joint order ([] = robot file)",
    "kd": "PD damping per joint ([] = robot file)",
    "torque_limit": "torque limit per joint [N m] ([] = robot file)",
}


def stamp_msg(t: float):
    """Sim seconds -> builtin_interfaces/Time. Rounded to whole nanoseconds FIRST: splitting off
    int(t) before rounding turned 1.9999999999 (float accumulation of 0.005 s steps) into
    1 s + 0 ns, a stamp (and /clock) one second in the past."""
    from builtin_interfaces.msg import Time

    ns = round(t * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("navila_sim")
        p = {
            name: self.declare_parameter(name, default, ParameterDescriptor(description=desc)).value
            for name, (default, desc) in PARAMS.items()
        }
        arrays = {
            name: self.declare_parameter(
                name, Parameter.Type.DOUBLE_ARRAY, ParameterDescriptor(description=desc)
            ).value
            for name, desc in ARRAY_PARAMS.items()
        }
        self.p = p
        robot = load_robot(p["robot"])
        robot.override(**{k: (v or []) for k, v in arrays.items()})
        cfg = SimConfig(
            robot=p["robot"],
            scene=p["scene"] or None,
            mode=p["mode"],
            physics_dt=p["physics_dt"],
            control_decimation=p["control_decimation"],
            actuator_delay_steps=p["actuator_delay_steps"],
            block_on_collision=p["block_on_collision"],
            lidar_enabled=p["lidar.enabled"],
            lidar=LidarPattern(
                channels=p["lidar.channels"],
                vertical_fov_deg=tuple(p["lidar.vertical_fov_deg"]),
                horizontal_fov_deg=tuple(p["lidar.horizontal_fov_deg"]),
                horizontal_res_deg=p["lidar.horizontal_res_deg"],
                min_range=p["lidar.min_range"],
                max_range=p["lidar.max_range"],
                rate_hz=p["lidar.rate_hz"],
                mode=p["lidar.mode"],
            ),
            camera=CameraConfig(
                enabled=p["camera.enabled"],
                width=p["camera.width"],
                height=p["camera.height"],
                rate_hz=p["camera.rate_hz"],
            ),
            start_pose=tuple(p["start_pose"]),
            start_posture=p["start_posture"],
            start_drive=p["start_drive"],
            damping_kd=p["damping_kd"],
            support=p["support"],
        )
        if p["stamps"] not in ("sim", "wall"):
            raise ValueError("stamps must be 'sim' or 'wall'")
        self.sim = Sim(cfg, robot)
        self.faults = FaultInjector()
        if p["faults.initial"]:
            self.faults.apply(parse_fault_command(p["faults.initial"]))
        self._lock = threading.Lock()
        self._running = True
        self._last_error = ""
        self._last_cmd_vel_t: float | None = None
        self._rtf = 0.0

        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        sensor = QoSProfile(
            depth=1, reliability=ReliabilityPolicy.BEST_EFFORT, history=HistoryPolicy.KEEP_LAST
        )
        self.pub_js = self.create_publisher(JointState, p["topics.joint_states"], reliable)
        self.pub_imu = self.create_publisher(Imu, p["topics.imu"], reliable)
        self.pub_odom = self.create_publisher(Odometry, p["topics.odom"], reliable)
        self.pub_clock = self.create_publisher(Clock, p["topics.clock"], reliable)
        self.pub_lidar = self.create_publisher(PointCloud2, p["topics.lidar"], sensor)
        self.pub_cam = self.create_publisher(Image, p["topics.camera"], sensor)
        self.pub_status = self.create_publisher(String, p["topics.status"], QoSProfile(depth=10))
        self.create_subscription(
            JointState, p["topics.joint_command"], self._on_joint_cmd, reliable
        )
        self.create_subscription(Twist, p["topics.cmd_vel"], self._on_cmd_vel, reliable)
        self.create_subscription(String, p["topics.sim_command"], self._on_sim_command, reliable)
        if p["status_rate_hz"] > 0:
            self.create_timer(1.0 / p["status_rate_hz"], self._publish_status)
        self._thread = threading.Thread(target=self._loop, name="navila_sim_loop", daemon=True)
        self._thread.start()
        self.get_logger().info(
            f"navila_sim ready: robot {robot.name}, scene {p['scene'] or 'empty'}, "
            f"mode {cfg.mode}, "
            f"{'real time' if p['real_time'] else 'as fast as possible'}"
        )

    # ------------------------------------------------------------------ callbacks
    def _error(self, text: str) -> None:
        self._last_error = text
        self.get_logger().error(text)

    def _on_joint_cmd(self, msg: JointState) -> None:
        if self.sim.mode != "physics":
            return
        names = list(msg.name) or None
        try:
            with self._lock:
                before = self.sim.drive
                self.sim.apply_joint_state_command(
                    names,
                    np.asarray(msg.position, dtype=np.float64),
                    np.asarray(msg.velocity, dtype=np.float64),
                    np.asarray(msg.effort, dtype=np.float64),
                )
                after = self.sim.drive
            if after != before:
                self.get_logger().info(f"joint drive: {before} -> {after}")
        except ValueError as exc:
            self._error(f"joint command refused, holding previous targets: {exc}")

    def _on_cmd_vel(self, msg: Twist) -> None:
        try:
            with self._lock:
                self.sim.set_cmd_vel(msg.linear.x, msg.linear.y, msg.angular.z)
                self._last_cmd_vel_t = self.sim.time
        except ValueError as exc:
            with self._lock:
                self.sim.set_cmd_vel(0.0, 0.0, 0.0)
            self._error(f"cmd_vel refused, base stopped: {exc}")

    def _on_sim_command(self, msg: String) -> None:
        try:
            cmd = parse_fault_command(msg.data)
        except (ValueError, TypeError) as exc:
            self._error(f"sim command refused: {exc}")
            return
        with self._lock:
            self.faults.apply(cmd)
            if cmd.push is not None:
                self.sim.push(cmd.push)
            if cmd.release_support:
                self.get_logger().info(f"support: {self.sim.release_support()} (commanded)")
        self.get_logger().info(f"faults now {self.faults.active()} (push {cmd.push})")

    # ------------------------------------------------------------------ loop
    def _loop(self) -> None:
        try:
            self._run()
        finally:
            self.sim.close()  # the GL context belongs to this thread: release it here

    def _run(self) -> None:
        rtf = max(float(self.p["real_time_factor"]), 1e-3)
        wall0, sim0 = time.monotonic(), self.sim.time
        win_wall, win_sim = wall0, sim0
        while self._running and rclpy.ok(context=self.context):
            with self._lock:
                if (
                    self.sim.mode == "kinematic"
                    and self._last_cmd_vel_t is not None
                    and self.sim.time - self._last_cmd_vel_t > self.p["cmd_vel_timeout_s"]
                ):
                    self.sim.set_cmd_vel(0.0, 0.0, 0.0)
                    self._last_cmd_vel_t = None
                out = self.faults.process(self.sim.run_control_period())
                now_sim = self.sim.time
            try:
                self._publish(out)
            except Exception as exc:  # context shut down under us at exit
                if self._running and rclpy.ok(context=self.context):
                    raise
                self.get_logger().debug(f"publish after shutdown: {exc}")
                return
            wall = time.monotonic()
            if wall - win_wall >= 1.0:
                self._rtf = (now_sim - win_sim) / (wall - win_wall)
                win_wall, win_sim = wall, now_sim
            if self.p["real_time"]:
                target = wall0 + (now_sim - sim0) / rtf
                lag = target - wall
                if lag > 0:
                    time.sleep(lag)
                elif lag < -0.5:  # fell behind (slow machine): do not try to catch up in a burst
                    wall0, sim0 = wall, now_sim
                    self.get_logger().warn(
                        "simulation slower than real time", throttle_duration_sec=10.0
                    )

    def _stamp(self, t: float):
        if self.p["stamps"] == "wall":
            return self.get_clock().now().to_msg()
        return stamp_msg(t)

    def _publish(self, out: Outputs) -> None:
        clock = Clock()
        clock.clock = stamp_msg(out.stamp)
        self.pub_clock.publish(clock)
        if out.joint_state is not None:
            js = out.joint_state
            msg = JointState()
            msg.header.stamp = self._stamp(js.stamp)
            msg.name = js.names
            msg.position = js.position.tolist()
            msg.velocity = js.velocity.tolist()
            msg.effort = js.effort.tolist()
            self.pub_js.publish(msg)
        if out.imu is not None:
            imu = out.imu
            msg = Imu()
            msg.header.stamp = self._stamp(imu.stamp)
            msg.header.frame_id = self.p["imu_frame"]
            q = imu.orientation_xyzw
            msg.orientation.x, msg.orientation.y = float(q[0]), float(q[1])
            msg.orientation.z, msg.orientation.w = float(q[2]), float(q[3])
            w, a = imu.angular_velocity, imu.linear_acceleration
            msg.angular_velocity.x, msg.angular_velocity.y = float(w[0]), float(w[1])
            msg.angular_velocity.z = float(w[2])
            msg.linear_acceleration.x, msg.linear_acceleration.y = float(a[0]), float(a[1])
            msg.linear_acceleration.z = float(a[2])
            self.pub_imu.publish(msg)
        if out.odom is not None:
            od = out.odom
            msg = Odometry()
            msg.header.stamp = self._stamp(od.stamp)
            msg.header.frame_id = self.p["odom_frame"]
            msg.child_frame_id = self.p["base_frame"]
            pose = msg.pose.pose
            pose.position.x, pose.position.y = float(od.position[0]), float(od.position[1])
            pose.position.z = float(od.position[2])
            q = od.orientation_xyzw
            pose.orientation.x, pose.orientation.y = float(q[0]), float(q[1])
            pose.orientation.z, pose.orientation.w = float(q[2]), float(q[3])
            tw = msg.twist.twist
            tw.linear.x, tw.linear.y = float(od.linear_velocity[0]), float(od.linear_velocity[1])
            tw.linear.z = float(od.linear_velocity[2])
            tw.angular.x, tw.angular.y = (
                float(od.angular_velocity[0]),
                float(od.angular_velocity[1]),
            )
            tw.angular.z = float(od.angular_velocity[2])
            self.pub_odom.publish(msg)
        if out.lidar is not None:
            stamp = self._stamp(out.lidar.stamp)
            self.pub_lidar.publish(xyz_cloud(out.lidar.points, stamp, self.p["lidar.frame_id"]))
        if out.image is not None:
            rgb = out.image.rgb
            msg = Image()
            msg.header.stamp = self._stamp(out.image.stamp)
            msg.header.frame_id = self.p["camera.frame_id"]
            msg.height, msg.width = rgb.shape[0], rgb.shape[1]
            msg.encoding = "rgb8"
            msg.is_bigendian = 0
            msg.step = rgb.shape[1] * 3
            msg.data = rgb.tobytes()
            self.pub_cam.publish(msg)

    def _trunk_height(self) -> float:
        """Base height above the floor under it (the stand-up tests' measure)."""
        pos, _ = self.sim.base_pose()
        return float(pos[2] - self.sim.floor_height(pos[0], pos[1]))

    def _publish_status(self) -> None:
        with self._lock:
            status = {
                "node": "navila_sim",
                "state": "running",
                "robot": self.sim.robot.name,
                "mode": self.sim.mode,
                "sim_time": round(self.sim.time, 3),
                "real_time_factor": round(self._rtf, 3),
                "holding_default_pose": self.sim.holding,
                "drive": self.sim.drive,
                # the humanoid's gantry: off (none), holding, releasing or released
                "support": self.sim.gantry.state.value,
                "kp_range": [float(self.sim.kp.min()), float(self.sim.kp.max())],
                "kd_range": [float(self.sim.kd.min()), float(self.sim.kd.max())],
                "trunk_height": round(self._trunk_height(), 4),
                "nominal_height": round(self.sim.nominal_height, 4),
                "collisions": self.sim.collisions,
                # Control periods with a robot body (not foot) touching a scene obstacle, and
                # all control periods so far: the locomotion evaluation's collision measure.
                "obstacle_contact_periods": self.sim.obstacle_contact_periods,
                # ... of those, the periods with a contact above the lower legs (body/thigh)
                "upper_contact_periods": self.sim.upper_contact_periods,
                "control_periods": self.sim.control_periods,
                "last_obstacle_contact": self.sim.last_obstacle_contact,
                "faults": self.faults.active(),
                "last_error": self._last_error,
            }
        self.pub_status.publish(String(data=json.dumps(status)))

    def safe_stop(self) -> None:
        """Stop the loop thread (the simulated robot simply stops being simulated)."""
        self._running = False
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)


def main(args: list[str] | None = None) -> int:
    return run_node(SimNode, args, name="navila_sim")


if __name__ == "__main__":
    sys.exit(main())
