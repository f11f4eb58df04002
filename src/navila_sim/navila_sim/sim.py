"""The simulation core: MuJoCo model, PD drive, kinematic "oracle" base, LiDAR, camera, clock.

No rclpy here. The node, the Unitree DDS bridge, batch evaluation and training all drive the
same `Sim` through a small stepping API:

    sim = Sim(SimConfig(robot="go2", scene="two_rooms"))
    sim.set_joint_targets(names, positions)       # physics mode
    sim.set_cmd_vel(0.5, 0.0, 0.0)                 # kinematic mode
    out = sim.run_control_period()                 # decimation physics steps -> sensor outputs

Two low-level modes, as in the paper's evaluation:
* `physics`: joints driven by PD toward position targets at the physics rate (dt 0.005 s), with
  per-joint kp/kd, torque limits and an optional actuator delay (in physics steps);
* `kinematic`: the base follows the commanded (vx, vy, wz) exactly, legs held at the default
  pose, height following the floor (steps) - the "oracle low level". Walls still stop it when
  `block_on_collision` is on, and every blocked step is counted.

Obstacle contacts (the collision rate of the paper's Table V): `obstacle_contact_periods` counts
the control periods in which, at any physics step, a robot *body* geom touched the scene. Body
geoms are every robot geom except the support geoms, i.e. the ones the robot stands on (within
1 cm of its lowest point in the default pose: the Go2's feet spheres, a humanoid's soles), so
trunk, head, hips, thighs and calves (knees, arms) count. Scene geoms are everything but the
floor plane; on a *traversable* step (a platform no higher than TRAVERSABLE_HEIGHT, which the
robot is meant to walk onto) only side contacts count (contact normal more than 45 degrees from
vertical: a shin or thigh hitting the step edge), not a body resting on its top. In kinematic
mode a step refused by `block_on_collision` marks its period the same way.

`upper_contact_periods` counts the periods with such a contact above the lower legs: trunk, head,
hips, thighs (a humanoid's arms), i.e. the issue's "body/thigh contacts" and legged_gym's
penalised bodies. The lower legs are the support geoms' bodies and the nearest link above each
that has geoms (the Go2's calves, a humanoid's shins): a shin scraping a step's edge while
climbing it counts in `obstacle_contact_periods` only. The kinematic base's refused steps count
in both.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from navila_loco_node.joint_map import index_map
from navila_sim.lidar import LidarPattern
from navila_sim.mujoco_gl import BACKEND, mujoco
from navila_sim.robot import RobotSpec, compose_mjcf, load_robot
from navila_sim.scene import Scene, load_scene, xml_name
from navila_sim.support import Gantry

GRAVITY = 9.81
MODES = ("physics", "kinematic")
START_POSTURES = ("stand", "lie")
START_DRIVES = ("hold", "passive")


SURFACE_RAY_HEIGHT_M = 30.0  # the top_surface oracle's ray origin above the base


@dataclass
class CameraConfig:
    enabled: bool = True
    width: int = 160
    height: int = 120
    rate_hz: float = 5.0


def shape_bottom_z(kind: int, size: np.ndarray, pos: np.ndarray, xmat: np.ndarray) -> float:
    """World height of the lowest point of a MuJoCo geom or site shape (`kind` a mjtGeom) at
    `pos` with orientation `xmat` (9 values): a sphere's radius below its centre, a box's
    half-extents projected on the vertical (a flat foot's half-length is not its half-height),
    a capsule's or cylinder's projected half-length plus its radius (a cylinder's: its end disc's
    rim, tilted); inf for other shapes."""
    mat = np.asarray(xmat).reshape(3, 3)
    if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
        return float(pos[2] - size[0])
    if kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
        return float(pos[2] - abs(mat[2, 2]) * size[1] - size[0])
    if kind == mujoco.mjtGeom.mjGEOM_BOX:
        return float(pos[2] - np.abs(mat[2, :]) @ size[:3])
    if kind == mujoco.mjtGeom.mjGEOM_CYLINDER:
        axis_z = abs(mat[2, 2])
        return float(pos[2] - axis_z * size[1] - math.sqrt(max(0.0, 1 - axis_z**2)) * size[0])
    return math.inf


@dataclass
class SimConfig:
    robot: str = "go2"
    scene: str | None = None  # a shipped scene name or YAML path; None = an empty floor
    mode: str = "physics"
    physics_dt: float = 0.005
    control_decimation: int = 4  # joint states / IMU / odom every 4 physics steps (50 Hz)
    actuator_delay_steps: int = 0
    block_on_collision: bool = True  # kinematic mode: walls stop the base
    lidar_enabled: bool = True
    lidar: LidarPattern = field(default_factory=LidarPattern)
    camera: CameraConfig = field(default_factory=CameraConfig)
    start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)  # x, y, yaw
    # Until the first joint command: "stand" + "hold" = standing on the stand gains (a robot on
    # its stand); "lie" + "passive" = lying with the motors off, as a real robot waits for its
    # controller to stand it up (the stand-up tests start here).
    start_posture: str = "stand"
    start_drive: str = "hold"
    # kd of the damping drive that a velocity-only joint command selects (kp = 0).
    damping_kd: float = 8.0
    # Hold the robot in its gantry (the robot file's `support:`, humanoids) until its controller
    # has driven it for a while (navila_sim.support); False: no gantry, as for a quadruped.
    support: bool = True

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.start_posture not in START_POSTURES:
            raise ValueError(f"start_posture must be one of {START_POSTURES}")
        if self.start_drive not in START_DRIVES:
            raise ValueError(f"start_drive must be one of {START_DRIVES}")
        if not (self.damping_kd >= 0.0 and math.isfinite(self.damping_kd)):
            raise ValueError("damping_kd must be a finite value >= 0")
        if not (0.0 < self.physics_dt <= 0.02):
            raise ValueError("physics_dt must be in (0, 0.02] s")
        if self.control_decimation < 1:
            raise ValueError("control_decimation must be >= 1")
        if self.actuator_delay_steps < 0:
            raise ValueError("actuator_delay_steps must be >= 0")
        if self.camera.enabled and (
            self.camera.width < 8 or self.camera.height < 8 or self.camera.rate_hz <= 0
        ):
            raise ValueError("camera needs width, height >= 8 and rate_hz > 0")
        if self.lidar_enabled:
            self.lidar.validate()


@dataclass
class JointStateData:
    stamp: float
    names: list[str]
    position: np.ndarray
    velocity: np.ndarray
    effort: np.ndarray


@dataclass
class ImuData:
    stamp: float
    orientation_xyzw: np.ndarray  # world (ENU) -> IMU
    angular_velocity: np.ndarray  # IMU frame, rad/s
    linear_acceleration: np.ndarray  # IMU frame, m/s^2 (specific force: +g when at rest)


@dataclass
class OdomData:
    stamp: float
    position: np.ndarray  # world
    orientation_xyzw: np.ndarray
    linear_velocity: np.ndarray  # base frame (REP 105 child frame twist)
    angular_velocity: np.ndarray  # base frame


@dataclass
class LidarData:
    stamp: float
    points: np.ndarray  # (N, 3) float32 in the LiDAR frame


@dataclass
class SensorSchedule:
    """When a sensor running at `rate_hz` of sim time is next due. After a stall the next one
    is due one period on, never a burst of the missed ones."""

    rate_hz: float
    next_t: float = 0.0

    def take(self, t: float) -> bool:
        """Whether one is due at sim time t; if so, the next is scheduled."""
        if t + 1e-9 < self.next_t:
            return False
        self.next_t = max(self.next_t + 1.0 / self.rate_hz, t)
        return True


@dataclass
class ImageData:
    stamp: float
    rgb: np.ndarray  # (H, W, 3) uint8


@dataclass
class Outputs:
    """What one control period produced; lidar/image only when their rate makes them due."""

    stamp: float
    joint_state: JointStateData | None = None
    imu: ImuData | None = None
    odom: OdomData | None = None
    lidar: LidarData | None = None
    image: ImageData | None = None


def yaw_quat_wxyz(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])


def quat_wxyz_to_yaw(q: np.ndarray) -> float:
    w, x, y, z = q
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    return np.array([q[1], q[2], q[3], q[0]])


class Sim:
    """One simulated robot in one scene."""

    def __init__(self, config: SimConfig, robot: RobotSpec | None = None) -> None:
        config.validate()
        self.config = config
        self.robot = robot if robot is not None else load_robot(config.robot)
        self.scene: Scene | None = load_scene(config.scene) if config.scene else None
        xml = compose_mjcf(self.robot, self.scene, config.physics_dt)
        self.model = mujoco.MjModel.from_xml_string(xml)
        self.data = mujoco.MjData(self.model)
        m = self.model
        self.n = len(self.robot.joint_names)
        jids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n) for n in self.robot.joint_names]
        if min(jids) < 0:
            raise ValueError("robot spec names a joint the MJCF does not have")
        self._qadr = np.array([m.jnt_qposadr[j] for j in jids])
        self._vadr = np.array([m.jnt_dofadr[j] for j in jids])
        act_of_joint = {int(m.actuator_trnid[a, 0]): a for a in range(m.nu)}
        self._act = np.array([act_of_joint[j] for j in jids])
        self._base = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, self.robot.base_body)
        self._lidar_site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, self.robot.lidar_site)
        self._imu_site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, self.robot.imu_site)
        if self._base < 0 or self._lidar_site < 0 or self._imu_site < 0:
            raise ValueError("robot MJCF lacks the base body, imu or lidar site named in its spec")
        self._sens = {
            name: (m.sensor_adr[i], m.sensor_dim[i])
            for i in range(m.nsensor)
            if (name := mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_SENSOR, i))
        }
        # Scene geoms that block the kinematic base (walls, furniture, landmarks; not steps).
        blocking = {xml_name(g.name) for g in self.scene.obstacles()} if self.scene else set()
        self._blocking_geoms = {
            i
            for i in range(m.ngeom)
            if m.geom_bodyid[i] == 0
            and (mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_GEOM, i) or "") in blocking
        }
        self._robot_geoms = {i for i in range(m.ngeom) if m.geom_bodyid[i] != 0}
        floor = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "floor")
        # Per geom: True = a robot body geom (not a support geom); scene kind: 1 = obstacle (any
        # contact counts), 2 = traversable step (side contacts only), 0 = floor / not scene.
        self._support_geoms = self._find_support_geoms()
        self._is_body_geom = np.zeros(m.ngeom, dtype=bool)
        self._is_body_geom[sorted(self._robot_geoms - self._support_geoms)] = True
        self._lower_leg = self._lower_leg_geoms()
        self._is_upper_geom = self._is_body_geom & ~self._lower_leg
        self._scene_kind = np.zeros(m.ngeom, dtype=np.int8)
        for i in range(m.ngeom):
            if m.geom_bodyid[i] == 0 and i != floor:
                self._scene_kind[i] = 1 if i in self._blocking_geoms else 2
        self._scene_group = np.array([1, 0, 0, 0, 0, 0], dtype=np.uint8)
        self._lidar_dirs = config.lidar.directions() if config.lidar_enabled else np.zeros((0, 3))
        # top_surface_points' lattice (a disabled LiDAR's pattern is not validated, as before)
        self._surface_xy = (
            config.lidar.surface_offsets() if config.lidar_enabled else np.zeros((0, 2))
        )
        self._renderer: mujoco.Renderer | None = None
        self.mode = config.mode
        self.torque_limit = self.robot.torque_limit.copy()
        self.collisions = 0  # kinematic steps refused because the base would enter an obstacle
        self.obstacle_contact_periods = 0  # control periods with a body-obstacle contact
        self.upper_contact_periods = 0  # ... with one above the lower legs (module doc)
        self.control_periods = 0
        self.last_obstacle_contact = ""  # "robot geom / scene geom" of the latest one
        self._contact_this_period = False
        self._upper_contact_this_period = False
        if config.start_posture == "lie" and self.robot.lie_pos is None:
            raise ValueError(f"robot {self.robot.name} has no lie_pos: cannot start lying")
        self.gantry = Gantry(self.robot.support if config.support else None)
        self.reset(*config.start_pose)

    # ----------------------------------------------------------------------------- set-up
    def reset(self, x: float = 0.0, y: float = 0.0, yaw: float = 0.0) -> None:
        """Put the robot at its start posture (standing at the default pose, or lying folded),
        resting on the floor under (x, y)."""
        m, d = self.model, self.data
        mujoco.mj_resetData(m, d)
        lying = self.config.start_posture == "lie" and self.robot.lie_pos is not None
        start_q = self.robot.lie_pos if lying else self.robot.default_pos
        d.qpos[self._qadr] = start_q
        d.qpos[0:3] = (x, y, 2.0)
        d.qpos[3:7] = yaw_quat_wxyz(yaw)
        mujoco.mj_kinematics(m, d)
        lowest = self._lowest_robot_point()
        floor = self.floor_height(x, y, start_z=2.0)
        self.start_height = 2.0 - lowest  # base height above the floor in the start posture
        if lying:
            d.qpos[self._qadr] = self.robot.default_pos
            mujoco.mj_kinematics(m, d)
            self.nominal_height = 2.0 - self._lowest_robot_point()
            d.qpos[self._qadr] = start_q
        else:
            self.nominal_height = self.start_height  # base height at the default pose
        d.qpos[2] = floor + self.start_height + 0.002
        mujoco.mj_forward(m, d)
        # The gantry holds the base where it stands at the default pose (lying: lifted to it);
        # a kinematic base needs none.
        if self.mode == "physics":
            self.gantry.attach(np.array([x, y, floor + self.nominal_height + 0.002]))
        else:
            self.gantry.detach()
        # Until the first joint command the robot holds its default pose on its stand gains: a
        # humanoid cannot stand on a policy's soft ankle gains without the balancing policy.
        rb = self.robot
        self.kp = (rb.stand_kp if rb.stand_kp is not None else rb.kp).copy()
        self.kd = (rb.stand_kd if rb.stand_kd is not None else rb.kd).copy()
        self.holding = True
        if self.config.start_drive == "passive":  # motors off until the first command
            self.kp, self.kd = np.zeros(self.n), np.zeros(self.n)
        self._q_des = np.array(start_q, dtype=np.float64)
        self._dq_des = np.zeros(self.n)
        self._tau_ff = np.zeros(self.n)
        self._pending: deque[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = deque()
        self._steps = 0
        self._cmd = np.zeros(3)
        self._kin_pose = np.array([x, y, yaw], dtype=np.float64)
        self._tau = np.zeros(self.n)
        self._lidar_due = SensorSchedule(self.config.lidar.rate_hz)
        self._camera_due = SensorSchedule(self.config.camera.rate_hz)
        self.collisions = 0
        self.obstacle_contact_periods = 0
        self.upper_contact_periods = 0
        self.control_periods = 0
        self.last_obstacle_contact = ""
        self._contact_this_period = False
        self._upper_contact_this_period = False

    def _geom_bottom(self, g: int) -> float:
        m, d = self.model, self.data
        return shape_bottom_z(m.geom_type[g], m.geom_size[g], d.geom_xpos[g], d.geom_xmat[g])

    def _lowest_robot_point(self) -> float:
        """Lowest z over the robot's collision geoms (spheres, capsules, boxes, cylinders)."""
        return min((self._geom_bottom(g) for g in self._robot_geoms_iter()), default=math.inf)

    def _find_support_geoms(self, tolerance: float = 0.01) -> set[int]:
        """Robot geoms within `tolerance` of the lowest point in the default pose: what the
        robot stands on (feet), so their contacts are walking, not collisions."""
        m, d = self.model, self.data
        d.qpos[self._qadr] = self.robot.default_pos
        d.qpos[0:3] = (0.0, 0.0, 2.0)
        d.qpos[3:7] = (1.0, 0.0, 0.0, 0.0)
        mujoco.mj_kinematics(m, d)
        bottoms = {g: self._geom_bottom(g) for g in self._robot_geoms_iter()}
        lowest = min(bottoms.values())
        return {g for g, z in bottoms.items() if z <= lowest + tolerance}

    def _lower_leg_geoms(self) -> np.ndarray:
        """Per geom: on a lower leg, i.e. in a support geom's body or in its nearest ancestor
        that has geoms (the Go2's calf, the H1's knee link, the T1's shank past its geomless
        ankle cross link)."""
        m = self.model
        feet = {int(m.geom_bodyid[g]) for g in self._support_geoms}
        with_geoms = set(m.geom_bodyid.tolist())
        legs = set(feet)
        for b in feet:
            b = int(m.body_parentid[b])
            while b not in (0, self._base) and b not in with_geoms:
                b = int(m.body_parentid[b])
            if b not in (0, self._base):
                legs.add(b)
        return np.isin(m.geom_bodyid, sorted(legs))

    @property
    def lower_leg_body_names(self) -> list[str]:
        """The bodies whose obstacle contacts are not upper-body ones (see the module doc)."""
        m = self.model
        ids = {int(m.geom_bodyid[g]) for g in np.flatnonzero(self._lower_leg)}
        return sorted(mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_BODY, b) or f"body{b}" for b in ids)

    @property
    def support_geom_names(self) -> list[str]:
        """The robot geoms whose contacts are walking, not collisions (see the module doc)."""
        return sorted(self._geom_name(g) for g in self._support_geoms)

    def _geom_name(self, g: int) -> str:
        return mujoco.mj_id2name(self.model, mujoco.mjtObj.mjOBJ_GEOM, int(g)) or f"geom{g}"

    def _check_obstacle_contact(self) -> None:
        """Mark this control period if a body geom touches the scene (see the module doc)."""
        d = self.data
        if self._upper_contact_this_period or d.ncon == 0:
            return
        pairs = d.contact.geom[: d.ncon]
        a, b = pairs[:, 0], pairs[:, 1]
        body_a, body_b = self._is_body_geom[a], self._is_body_geom[b]
        kind = np.where(body_a, self._scene_kind[b], np.where(body_b, self._scene_kind[a], 0))
        # Traversable steps: only contacts whose normal is > 45 deg from vertical (the side).
        side = np.abs(d.contact.frame[: d.ncon, 2]) < math.sqrt(0.5)
        hit = np.flatnonzero((kind == 1) | ((kind == 2) & side))
        if not hit.size:
            return
        robot = np.where(body_a[hit], a[hit], b[hit])
        upper = self._is_upper_geom[robot]
        # report an upper-body contact before a shin's: the worse of the two
        i = int(np.argmax(upper)) if upper.any() else 0
        if not self._contact_this_period or upper[i]:
            j = int(hit[i])
            scene_g = b[j] if body_a[j] else a[j]
            self.last_obstacle_contact = f"{self._geom_name(robot[i])} / {self._geom_name(scene_g)}"
        self._contact_this_period = True
        self._upper_contact_this_period = bool(upper.any())

    def _robot_geoms_iter(self):
        return (g for g in range(self.model.ngeom) if self.model.geom_bodyid[g] != 0)

    def floor_height(self, x: float, y: float, start_z: float | None = None) -> float:
        """Height of the scene surface under (x, y) (the floor, a step), by a downward ray."""
        z0 = self.data.qpos[2] + 0.3 if start_z is None else start_z
        geomid = np.zeros(1, dtype=np.int32)
        dist = mujoco.mj_ray(
            self.model,
            self.data,
            np.array([x, y, z0]),
            np.array([0.0, 0.0, -1.0]),
            self._scene_group,
            1,
            -1,
            geomid,
        )
        return 0.0 if dist < 0 else z0 - dist

    def _cast(
        self, origin: np.ndarray, world_dirs: np.ndarray, cutoff: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rays from one point against the scene (robot geoms are not in the group): the hit
        geom per ray (-1: none) and its distance."""
        geomid = np.empty(len(world_dirs), dtype=np.int32)
        dist = np.empty(len(world_dirs), dtype=np.float64)
        mujoco.mj_multiRay(
            self.model,
            self.data,
            origin,
            np.ascontiguousarray(world_dirs).reshape(-1),
            self._scene_group,
            1,
            -1,
            geomid,
            dist,
            None,
            len(world_dirs),
            cutoff,
        )
        return geomid, dist

    def top_surface_points(self) -> np.ndarray:
        """The oracle scan (LidarPattern mode top_surface, and benchmarks/probe_map_gap.py in
        any mode): the scene's top surface under a lattice around the base, hit by rays from one
        point SURFACE_RAY_HEIGHT_M above it (the rays to the lattice's corners lean < 4 deg: a 12
        cm block's face shades < 8 mm), in the LiDAR frame."""
        base, _ = self.base_pose()
        top = np.array([base[0], base[1], base[2] + SURFACE_RAY_HEIGHT_M])
        targets = np.column_stack(
            [
                base[0] + self._surface_xy[:, 0],
                base[1] + self._surface_xy[:, 1],
                # aimed at the standing robot's ground: a surface dz off it lands dz/30 of the
                # offset (< 1 cm for 12 cm blocks) from its lattice point
                np.full(len(self._surface_xy), base[2] - self.nominal_height),
            ]
        )
        dirs = targets - top
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        geomid, dist = self._cast(top, dirs, 2.0 * SURFACE_RAY_HEIGHT_M)
        ok = (geomid >= 0) & (dist >= 0)
        hits = top + dirs[ok] * dist[ok, None]
        origin, rot = self.lidar_pose()
        return ((hits - origin) @ rot).astype(np.float32)

    # ----------------------------------------------------------------------------- commands
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "kinematic" and self.mode != "kinematic":
            self._kin_pose = np.array(
                [self.data.qpos[0], self.data.qpos[1], quat_wxyz_to_yaw(self.data.qpos[3:7])]
            )
            self.gantry.detach()  # an oracle base; reset() in physics mode attaches it again
            self.data.xfrc_applied[self._base] = 0.0
        self.mode = mode

    def set_joint_targets(
        self,
        names: list[str] | None,
        position: np.ndarray,
        velocity: np.ndarray | None = None,
        effort: np.ndarray | None = None,
        kp: np.ndarray | None = None,
        kd: np.ndarray | None = None,
    ) -> None:
        """New PD targets by joint name (None = the robot's own order). Bad input raises
        ValueError and leaves the previous targets in place (the robot keeps holding)."""
        order = self.robot.joint_names if names is None else list(names)
        pos = np.asarray(position, dtype=np.float64)
        if pos.shape != (len(order),):
            raise ValueError(f"got {pos.size} positions for {len(order)} joint names")
        if not np.all(np.isfinite(pos)):
            raise ValueError("joint command has a non-finite position")
        # Joints the command does not name keep their last target (Isaac Sim bridge behaviour).
        idx = index_map(self.robot.joint_names, order)  # raises on unknown/duplicate names
        _, last_q, _, _ = (
            self._pending[-1] if self._pending else (0, self._q_des, self._dq_des, self._tau_ff)
        )

        def merged(v: np.ndarray | None, last: np.ndarray | None, what: str) -> np.ndarray | None:
            if v is None or len(v) == 0:
                return None if last is None else last.copy()
            a = np.asarray(v, dtype=np.float64)
            if a.shape != (len(order),):
                raise ValueError(f"{what}: got {a.size} values for {len(order)} joints")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{what}: non-finite value")
            full = (np.zeros(self.n) if last is None else last).copy()
            full[idx] = a
            return full

        q = merged(pos, last_q, "position")
        dq = merged(velocity, np.zeros(self.n), "velocity")
        tau = merged(effort, np.zeros(self.n), "effort")
        new_kp, new_kd = merged(kp, None, "kp"), merged(kd, None, "kd")
        if new_kp is not None and names is not None and len(order) != self.n:
            new_kp = merged(kp, self.kp, "kp")
        if new_kd is not None and names is not None and len(order) != self.n:
            new_kd = merged(kd, self.kd, "kd")
        for what, a in (("kp", new_kp), ("kd", new_kd)):
            if a is not None and np.any(a < 0):
                raise ValueError(f"{what} must be >= 0")
        self._pending.append((self._steps + self.config.actuator_delay_steps, q, dq, tau))
        if self.holding:  # the controller has taken over: switch to the configured gains
            self.kp, self.kd = self.robot.kp.copy(), self.robot.kd.copy()
            self.holding = False
        if new_kp is not None:
            self.kp = new_kp
        if new_kd is not None:
            self.kd = new_kd

    def apply_joint_state_command(
        self,
        names: list[str] | None,
        position: np.ndarray | None,
        velocity: np.ndarray | None = None,
        effort: np.ndarray | None = None,
    ) -> str:
        """A /joint_command JointState, read the way the Isaac Sim bridge's articulation
        controller reads it; returns the drive it selected for the named joints.

        * positions given -> PD toward them on the configured kp/kd ("pd"; a damped or passive
          joint gets its gains back);
        * no positions, velocities given -> damping toward those velocities: kp = 0,
          kd = `damping_kd` ("damping", the locomotion node's safe stop);
        * efforts only -> zero gains, feed-forward torque only ("passive").
        Anything else raises ValueError and leaves the previous drive in place.
        """
        order = self.robot.joint_names if names is None else list(names)
        idx = index_map(self.robot.joint_names, order)
        pos, vel, eff = (
            None if a is None or len(a) == 0 else np.asarray(a, dtype=np.float64)
            for a in (position, velocity, effort)
        )
        if pos is not None:
            self.set_joint_targets(names, pos, vel, eff, self.robot.kp[idx], self.robot.kd[idx])
            return "pd"
        hold_here = self.data.qpos[self._qadr][idx]  # kp = 0: the position target is moot
        zeros = np.zeros(len(order))
        if vel is not None:
            kd = np.full(len(order), self.config.damping_kd)
            self.set_joint_targets(names, hold_here, vel, eff, zeros, kd)
            return "damping"
        if eff is not None:
            self.set_joint_targets(names, hold_here, None, eff, zeros, zeros)
            return "passive"
        raise ValueError("joint command has no position, velocity or effort values")

    @property
    def drive(self) -> str:
        """What the joints are driven by now: hold, pd, damping or passive (all kp = kd = 0)."""
        if not np.any(self.kp > 0):
            return "damping" if np.any(self.kd > 0) else "passive"
        return "hold" if self.holding else "pd"

    def set_cmd_vel(self, vx: float, vy: float, wz: float) -> None:
        """Base velocity command for kinematic mode (base frame, m/s and rad/s)."""
        cmd = np.array([vx, vy, wz], dtype=np.float64)
        if not np.all(np.isfinite(cmd)):
            raise ValueError("cmd_vel has a non-finite component")
        self._cmd = cmd

    def push(self, velocity: tuple[float, float, float]) -> None:
        """Add a velocity to the base (world frame, m/s): Isaac Lab's push-by-velocity event."""
        v = np.asarray(velocity, dtype=np.float64)
        if v.shape != (3,) or not np.all(np.isfinite(v)):
            raise ValueError("push velocity must be 3 finite numbers")
        if self.mode == "kinematic":
            self._kin_pose[0:2] += v[0:2] * 0.1  # an oracle base is shoved, not knocked over
        else:
            self.data.qvel[0:3] += v

    # ----------------------------------------------------------------------------- stepping
    @property
    def time(self) -> float:
        return float(self.data.time)

    def step(self, n: int = 1) -> None:
        """Advance n physics steps in the current mode.

        In physics mode the derived quantities are brought up to the new state at the end:
        `mj_step` computes sensors, body poses and contacts *before* it integrates, so after it
        the IMU, the odometry pose and the LiDAR's origin would describe the state one physics
        step earlier than the joint positions and velocities read from qpos / qvel (a 5 ms
        lag of the IMU alone; benchmarks/probe_deploy_gap.py measured it). A forward pass
        changes no state (the trajectory stays bit for bit the same, tested).
        """
        for _ in range(n):
            if self.mode == "physics":
                self._physics_step()
            else:
                self._kinematic_step()
        if n > 0 and self.mode == "physics":
            mujoco.mj_forward(self.model, self.data)

    def _physics_step(self) -> None:
        m, d = self.model, self.data
        # Actuator delay: a command takes effect `actuator_delay_steps` physics steps after it
        # was given (the newest one due wins).
        while self._pending and self._pending[0][0] <= self._steps:
            _, self._q_des, self._dq_des, self._tau_ff = self._pending.popleft()
        self._steps += 1
        q = d.qpos[self._qadr]
        dq = d.qvel[self._vadr]
        tau = self.kp * (self._q_des - q) + self.kd * (self._dq_des - dq) + self._tau_ff
        np.clip(tau, -self.torque_limit, self.torque_limit, out=tau)
        self._tau = tau
        d.ctrl[self._act] = tau
        if self.gantry.spec is not None:
            self._apply_gantry()
        mujoco.mj_step(m, d)
        self._check_obstacle_contact()

    def _apply_gantry(self) -> None:
        """The gantry's wrench on the base for this physics step (zero once released)."""
        d, b = self.data, self._base
        scale = self.gantry.step(self.model.opt.timestep, driven=self.drive == "pd")
        if scale <= 0.0:
            d.xfrc_applied[b] = 0.0
            return
        # the pose from the free joint's qpos (xpos / xmat are the state before the last step's
        # integration); qvel[0:3] world linear velocity, qvel[3:6] body-frame angular velocity
        rot = np.empty(9)
        mujoco.mju_quat2Mat(rot, d.qpos[3:7])
        rot = rot.reshape(3, 3)
        d.xfrc_applied[b] = self.gantry.wrench(
            d.qpos[0:3], d.qvel[0:3], rot[:, 2], rot @ d.qvel[3:6], scale
        )

    def release_support(self) -> str:
        """Lower the gantry now (an operator's command); returns its state."""
        self.gantry.release()
        return self.gantry.state.value

    def _kinematic_step(self) -> None:
        m, d = self.model, self.data
        dt = m.opt.timestep
        x, y, yaw = self._kin_pose
        vx, vy, wz = self._cmd
        c, s = math.cos(yaw), math.sin(yaw)
        new = np.array([x + (vx * c - vy * s) * dt, y + (vx * s + vy * c) * dt, yaw + wz * dt])
        new[2] = math.atan2(math.sin(new[2]), math.cos(new[2]))
        if not self._place_base(new) and self.config.block_on_collision:
            self.collisions += 1
            self._contact_this_period = self._upper_contact_this_period = True
            self.last_obstacle_contact = "base blocked (kinematic)"
            self._place_base(self._kin_pose)  # refuse the move: the base stays where it was
            d.qvel[:] = 0.0
        else:
            self._kin_pose = new
            d.qvel[:] = 0.0
            c, s = math.cos(new[2]), math.sin(new[2])
            d.qvel[0:3] = (vx * c - vy * s, vx * s + vy * c, 0.0)
            d.qvel[5] = wz
        d.time += dt

    def _place_base(self, pose: np.ndarray) -> bool:
        """Put the base at (x, y, yaw) on the floor; False if it then overlaps an obstacle."""
        m, d = self.model, self.data
        x, y, yaw = pose
        d.qpos[self._qadr] = self.robot.default_pos
        d.qpos[0:3] = (x, y, self.floor_height(x, y) + self.nominal_height + 0.002)
        d.qpos[3:7] = yaw_quat_wxyz(yaw)
        mujoco.mj_kinematics(m, d)
        mujoco.mj_collision(m, d)
        for i in range(d.ncon):
            g1, g2 = d.contact.geom1[i], d.contact.geom2[i]
            if (g1 in self._blocking_geoms and g2 in self._robot_geoms) or (
                g2 in self._blocking_geoms and g1 in self._robot_geoms
            ):
                return False
        return True

    def _kinematic_forward(self) -> None:
        """Positions of bodies, sites and cameras for the current pose (no dynamics needed)."""
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)
        mujoco.mj_camlight(self.model, self.data)

    def pose_is_free(self, x: float, y: float, yaw: float) -> bool:
        """Would the robot, standing at its default pose at (x, y, yaw), overlap an obstacle?"""
        saved = self.data.qpos.copy()
        free = self._place_base(np.array([x, y, yaw], dtype=np.float64))
        self.data.qpos[:] = saved
        self._kinematic_forward()
        return free

    def run_control_period(self) -> Outputs:
        """Step one control period (control_decimation physics steps) and read what is due."""
        self._contact_this_period = self._upper_contact_this_period = False
        self.step(self.config.control_decimation)
        self.control_periods += 1
        self.obstacle_contact_periods += self._contact_this_period
        self.upper_contact_periods += self._upper_contact_this_period
        if self.mode == "kinematic":
            self._kinematic_forward()
        out = Outputs(
            stamp=self.time, joint_state=self.joint_state(), imu=self.imu(), odom=self.odom()
        )
        out.lidar = self.due_lidar()
        out.image = self.due_camera()
        return out

    def due_lidar(self) -> LidarData | None:
        """A scan when the LiDAR's rate makes one due at the current sim time (then the next
        is scheduled), else None; None without a LiDAR."""
        if not self.config.lidar_enabled or not self._lidar_due.take(self.time):
            return None
        return LidarData(self.time, self.lidar_points())

    def due_camera(self) -> ImageData | None:
        """A frame when the camera's rate makes one due at the current sim time (then the next
        is scheduled), else None; None without a camera."""
        if not self.config.camera.enabled or not self._camera_due.take(self.time):
            return None
        return ImageData(self.time, self.render())

    # ----------------------------------------------------------------------------- sensors
    def joint_state(self) -> JointStateData:
        d = self.data
        return JointStateData(
            stamp=self.time,
            names=list(self.robot.joint_names),
            position=d.qpos[self._qadr].copy(),
            velocity=d.qvel[self._vadr].copy(),
            effort=self._tau.copy() if self.mode == "physics" else np.zeros(self.n),
        )

    def _sensor(self, name: str) -> np.ndarray:
        adr, dim = self._sens[name]
        return self.data.sensordata[adr : adr + dim].copy()

    def imu(self) -> ImuData:
        if self.mode == "kinematic":
            yaw = self._kin_pose[2]
            return ImuData(
                self.time,
                wxyz_to_xyzw(yaw_quat_wxyz(yaw)),
                np.array([0.0, 0.0, self._cmd[2]]),
                np.array([0.0, 0.0, GRAVITY]),
            )
        return ImuData(
            self.time,
            wxyz_to_xyzw(self._sensor("imu_quat")),
            self._sensor("imu_gyro"),
            self._sensor("imu_acc"),
        )

    def base_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Base position (world) and orientation quaternion (w, x, y, z)."""
        return self.data.xpos[self._base].copy(), self.data.xquat[self._base].copy()

    def odom(self) -> OdomData:
        pos, quat = self.base_pose()
        rot = self.data.xmat[self._base].reshape(3, 3)
        lin_world = self.data.qvel[0:3]
        ang_body = self.data.qvel[3:6]  # free joint: angular velocity in the body frame
        return OdomData(self.time, pos, wxyz_to_xyzw(quat), rot.T @ lin_world, ang_body.copy())

    def lidar_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The LiDAR frame in the world: origin (3,) and rotation (3, 3), columns = its axes."""
        d = self.data
        return d.site_xpos[self._lidar_site].copy(), d.site_xmat[self._lidar_site].reshape(3, 3)

    def lidar_points(self) -> np.ndarray:
        """One scan: (N, 3) float32 hit points in the LiDAR frame (misses are left out)."""
        if not len(self._lidar_dirs):
            return np.zeros((0, 3), dtype=np.float32)
        pat = self.config.lidar
        if pat.mode == "top_surface":
            return self.top_surface_points()
        origin, rot = self.lidar_pose()
        geomid, dist = self._cast(origin, self._lidar_dirs @ rot.T, pat.max_range)
        ok = (dist >= pat.min_range) & (dist <= pat.max_range) & (geomid >= 0)
        return (self._lidar_dirs[ok] * dist[ok, None]).astype(np.float32)

    def render(self) -> np.ndarray:
        """The robot's camera image, (H, W, 3) uint8 RGB."""
        cam = self.config.camera
        if self._renderer is None:
            if BACKEND == "disable":
                raise RuntimeError(
                    "no OpenGL backend for the camera: neither EGL nor OSMesa was found (install "
                    "libegl1 or libosmesa6, or set MUJOCO_GL); physics and LiDAR still work"
                )
            self._renderer = mujoco.Renderer(self.model, cam.height, cam.width)
        self._renderer.update_scene(self.data, camera=self.robot.camera)
        return self._renderer.render().copy()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
