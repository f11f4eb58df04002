"""The training MuJoCo model: navila_sim's robot (the very MJCF the simulation and evaluation use)
on the curriculum height field, with the PD drive as MuJoCo position servos and contact sensors.

Why servos: batched stepping (`mujoco.rollout`) runs the physics sub-steps in C on many threads,
so the PD law must live in the model: force = kp (target - q) - kd dq, limited to the robot's
torque limit (the smaller of the policy config's limit and the motor's own range), which is the
law navila_sim applies in Python at every physics step. The one difference: MuJoCo's implicitfast
integrator treats the servo's velocity term implicitly, navila_sim's explicit torque does not;
at kd = 1 and dt = 0.005 s the two agree closely (the evaluation runs on navila_sim's drive).

Domain randomisation lives in a few model *variants* (friction, base mass, motor strength),
shared round-robin by the envs; `rollout` takes one model per env, so variants cost no copies of
the stepping code, and they are re-drawn from time to time.
"""

from __future__ import annotations

import copy
import fnmatch
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.joint_map import index_map
from navila_loco_train.task_spec import RandomizationSpec
from navila_loco_train.terrain import Terrain
from navila_sim.mujoco_gl import mujoco
from navila_sim.robot import RobotSpec, compose_mjcf

CONTACT_MARGIN_M = 0.01  # touch sites are the body's geoms grown by this


@dataclass
class TrainModel:
    """A compiled model plus the index maps the env needs."""

    model: mujoco.MjModel
    hfield_data: np.ndarray
    act_of_policy: np.ndarray  # actuator index of each policy joint
    qadr: np.ndarray  # qpos address of each policy joint
    vadr: np.ndarray  # qvel address of each policy joint
    feet_sensors: np.ndarray  # sensordata index of each foot's touch sensor
    # sensordata indices (feet x 3) of each foot's net contact force, world x, y, z: touch
    # sensors give only the normal's magnitude, a stumble is told by the force's direction
    feet_force_sensors: np.ndarray
    undesired_sensors: np.ndarray  # sensordata index of each undesired-contact touch sensor
    force_sensors: np.ndarray  # sensordata index of each policy joint's actuator force
    base_body: int
    # sensordata indices (3,) of the base body's strongest contact force (any of its geoms), or
    # empty: built only for a task that ends on a base contact, so other tasks' models (and the
    # shipped policies' training runs) stay exactly as they were
    base_contact_sensor: np.ndarray
    pos_min: np.ndarray
    pos_max: np.ndarray
    # sensordata indices (feet x 3) of each foot's world-frame linear velocity (its touch site),
    # or empty: built only for a task that weights feet_slide (the Go2 models stay as they were)
    feet_vel_sensors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))


def _bodies(root: ET.Element, patterns: list[str]) -> list[ET.Element]:
    return [
        b
        for b in root.iter("body")
        if any(fnmatch.fnmatchcase(b.get("name", ""), p) for p in patterns)
    ]


def _touch_site(body: ET.Element, index: int, tag: str) -> str:
    """Add a site over the body's `index`-th geom, its shape grown by the margin, for a touch
    sensor (which reads one site: a body with several collision geoms needs one per geom). Named
    `<tag>_<body>`, `<tag>_<body>_<index>` after the first."""
    geom = _geoms(body)[index]
    kind = geom.get("type", "sphere")
    sizes = [float(v) + CONTACT_MARGIN_M for v in geom.get("size", "0.01").split()]
    name = f"{tag}_{body.get('name')}" + (f"_{index}" if index else "")
    attrs = {"name": name, "type": kind, "size": " ".join(f"{s:g}" for s in sizes), "group": "5"}
    for key in ("pos", "quat", "zaxis", "fromto", "euler", "axisangle", "xyaxes"):
        if geom.get(key) is not None:
            attrs[key] = geom.get(key)
    if "fromto" in attrs:  # a site's fromto gives the half-length; keep only the radius
        attrs["size"] = f"{sizes[0]:g}"
    body.append(ET.Element("site", attrs))
    return name


def _geoms(body: ET.Element) -> list[ET.Element]:
    geoms = body.findall("geom")
    if not geoms:
        raise ValueError(f"body {body.get('name')!r} has no geom to sense contacts on")
    return geoms


def build_train_model(
    robot: RobotSpec,
    loco: LocoConfig,
    terrain: Terrain,
    feet: list[str],
    undesired: list[str],
    physics_dt: float,
    base_contact: bool = False,
    feet_velocity: bool = False,
) -> TrainModel:
    root = ET.fromstring(compose_mjcf(robot, None, physics_dt))
    world = root.find("worldbody")
    asset = root.find("asset")
    assert world is not None and asset is not None
    for floor in [g for g in world.findall("geom") if g.get("name") == "floor"]:
        world.remove(floor)
    asset_xml, geom_xml, data = terrain.hfield_mjcf()
    asset.append(ET.fromstring(asset_xml))
    world.insert(0, ET.fromstring(geom_xml))
    sensor = root.find("sensor")
    if sensor is None:
        sensor = ET.SubElement(root, "sensor")
    foot_bodies, bad_bodies = _bodies(root, feet), _bodies(root, undesired)
    if not foot_bodies:
        raise ValueError(f"no body matches the feet patterns {feet}")
    foot_names, bad_names, foot_sites = [], [], []
    for b in foot_bodies:  # a foot is its first geom (the Go2's sphere, a humanoid's sole)
        site = _touch_site(b, 0, "foot")
        foot_sites.append(site)
        foot_names.append(f"touch_{site}")
        sensor.append(ET.Element("touch", {"name": foot_names[-1], "site": site}))
    for site in foot_sites if feet_velocity else []:  # no reference frame given: world frame
        sensor.append(
            ET.Element("framelinvel", {"name": f"vel_{site}", "objtype": "site", "objname": site})
        )
    for b in foot_bodies:
        sensor.append(
            ET.Element(
                "contact",
                {
                    "name": f"netforce_{b.get('name')}",
                    "body1": str(b.get("name")),
                    "data": "force",
                    "reduce": "netforce",
                    "num": "1",
                },
            )
        )
    for b in bad_bodies:  # every geom: the Go2's base is its trunk and its head
        for i in range(len(_geoms(b))):
            site = _touch_site(b, i, "bad")
            bad_names.append(f"touch_{site}")
            sensor.append(ET.Element("touch", {"name": bad_names[-1], "site": site}))
    if base_contact:  # a contact sensor matches every geom of the body, unlike a touch site
        sensor.append(
            ET.Element(
                "contact",
                {
                    "name": "base_contact",
                    "body1": robot.base_body,
                    "data": "force",
                    "reduce": "maxforce",
                    "num": "1",
                },
            )
        )
    for act in root.iter("motor"):
        sensor.append(
            ET.Element(
                "actuatorfrc", {"name": f"force_{act.get('name')}", "actuator": act.get("name")}
            )
        )
    m = mujoco.MjModel.from_xml_string(ET.tostring(root, encoding="unicode"))
    hid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_HFIELD, "terrain")
    m.hfield_data[m.hfield_adr[hid] : m.hfield_adr[hid] + data.size] = data.reshape(-1)

    names = list(loco.joints.names)
    jids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n) for n in names]
    if min(jids) < 0:
        raise ValueError(f"policy joints {names} not all in the robot model")
    act_joint = [int(m.actuator_trnid[a, 0]) for a in range(m.nu)]
    act_names = [mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_JOINT, j) for j in act_joint]
    act_of_policy = index_map(act_names, names)  # act_of_policy[i] = actuator of policy joint i

    def sensor_index(name: str) -> int:
        sid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SENSOR, name)
        return int(m.sensor_adr[sid])

    force_names = [
        f"force_{mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_ACTUATOR, a)}" for a in act_of_policy
    ]
    tm = TrainModel(
        model=m,
        hfield_data=data,
        act_of_policy=np.asarray(act_of_policy),
        qadr=np.array([m.jnt_qposadr[j] for j in jids]),
        vadr=np.array([m.jnt_dofadr[j] for j in jids]),
        feet_sensors=np.array([sensor_index(n) for n in foot_names]),
        feet_force_sensors=np.array(
            [sensor_index(f"netforce_{b.get('name')}") + np.arange(3) for b in foot_bodies]
        ),
        undesired_sensors=np.array([sensor_index(n) for n in bad_names], dtype=np.int64),
        force_sensors=np.array([sensor_index(n) for n in force_names]),
        base_body=mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, robot.base_body),
        base_contact_sensor=(
            sensor_index("base_contact") + np.arange(3) if base_contact else np.zeros(0, int)
        ),
        pos_min=np.asarray(loco.joints.pos_min),
        pos_max=np.asarray(loco.joints.pos_max),
        feet_vel_sensors=np.array(
            [sensor_index(f"vel_{s}") + np.arange(3) for s in foot_sites if feet_velocity],
            dtype=np.int64,
        ).reshape(-1, 3),
    )
    set_pd(
        tm,
        m,
        np.asarray(loco.joints.kp),
        np.asarray(loco.joints.kd),
        np.asarray(loco.joints.torque_limit),
        strength=1.0,
    )
    return tm


def set_pd(
    tm: TrainModel,
    m: mujoco.MjModel,
    kp: np.ndarray,
    kd: np.ndarray,
    torque_limit: np.ndarray,
    strength: float,
    motor_range: np.ndarray | None = None,
) -> None:
    """Turn the robot's torque motors into PD position servos (gains in policy order)."""
    a = tm.act_of_policy
    if motor_range is None:
        motor_range = np.abs(m.actuator_ctrlrange[a, 1]).copy()
        tm.motor_range = motor_range  # type: ignore[attr-defined]
    limit = np.minimum(torque_limit, motor_range) * strength
    m.actuator_gaintype[a] = mujoco.mjtGain.mjGAIN_FIXED
    m.actuator_biastype[a] = mujoco.mjtBias.mjBIAS_AFFINE
    m.actuator_gainprm[a, :] = 0.0
    m.actuator_biasprm[a, :] = 0.0
    m.actuator_gainprm[a, 0] = kp * strength
    m.actuator_biasprm[a, 1] = -kp * strength
    m.actuator_biasprm[a, 2] = -kd
    m.actuator_ctrllimited[a] = 0
    m.actuator_forcelimited[a] = 1
    m.actuator_forcerange[a, 0] = -limit
    m.actuator_forcerange[a, 1] = limit


@dataclass
class Variant:
    model: mujoco.MjModel
    friction: float
    added_mass: float
    strength: float


def make_variants(
    tm: TrainModel,
    loco: LocoConfig,
    dr: RandomizationSpec,
    count: int,
    rng: np.random.Generator,
    randomize: bool = True,
) -> list[Variant]:
    """`count` model copies with their own friction, base mass and motor strength."""
    out = []
    base_mass = float(tm.model.body_mass[tm.base_body])
    for _ in range(count):
        m = copy.copy(tm.model)
        f = float(rng.uniform(*dr.friction)) if randomize else 1.0
        dm = float(rng.uniform(*dr.added_base_mass_kg)) if randomize else 0.0
        s = float(rng.uniform(*dr.motor_strength)) if randomize else 1.0
        if randomize:
            m.geom_friction[:, 0] = f
        m.body_mass[tm.base_body] = base_mass + dm
        set_pd(
            tm,
            m,
            np.asarray(loco.joints.kp),
            np.asarray(loco.joints.kd),
            np.asarray(loco.joints.torque_limit),
            s,
            tm.motor_range,
        )  # type: ignore[attr-defined]
        out.append(Variant(m, f, dm, s))
    return out
