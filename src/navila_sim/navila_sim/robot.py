"""Robot descriptions (drive parameters beside the MJCF) and the composed robot + scene model text.

The MJCF files under robots/ hold bodies, joints and motors written from published facts; the
robot YAML beside each holds what the *drive* needs (default pose, kp, kd, torque limits, which
site is the IMU/LiDAR, which camera). Per-joint values are fnmatch patterns over joint names, so a
file reads like the papers' tables ("*_knee_joint: 200") instead of 19-long lists. No MuJoCo
import: composing is plain XML, so it is unit-testable and cheap.
"""

from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from navila_sim.scene import Scene
from navila_sim.support import SupportSpec

ROBOT_DIR = Path(__file__).resolve().parent / "robots"


@dataclass
class RobotSpec:
    """A robot's drive description; arrays are in MJCF joint order (`joint_names`)."""

    name: str
    mjcf_path: Path
    base_body: str
    imu_site: str
    lidar_site: str
    camera: str
    joint_names: list[str]
    default_pos: np.ndarray
    kp: np.ndarray
    kd: np.ndarray
    torque_limit: np.ndarray
    stand_kp: np.ndarray | None = None  # hold gains before any command (None = kp)
    stand_kd: np.ndarray | None = None
    sdk_order: str = ""
    stand_tolerance_m: float = 0.05
    lie_pos: np.ndarray | None = None  # folded "lying down" pose (start_posture: lie), if any
    support: SupportSpec | None = None  # a gantry until the controller has it (humanoids)

    def override(self, **arrays: Sequence[float]) -> None:
        """Replace default_pos/kp/kd/torque_limit from full lists in joint order (empty = keep)."""
        for key, values in arrays.items():
            if key not in ("default_pos", "kp", "kd", "torque_limit"):
                raise ValueError(f"unknown robot override {key!r}")
            if values is None or len(values) == 0:
                continue
            arr = np.asarray(values, dtype=np.float64)
            if arr.shape != (len(self.joint_names),) or not np.all(np.isfinite(arr)):
                raise ValueError(
                    f"{key}: need {len(self.joint_names)} finite values in joint order "
                    f"{self.joint_names}, got {list(values)}"
                )
            if key in ("kp", "kd", "torque_limit") and np.any(arr < 0):
                raise ValueError(f"{key}: values must be >= 0")
            setattr(self, key, arr)


def per_joint(table: Mapping[str, Any], names: Sequence[str], what: str) -> np.ndarray:
    """Resolve a {pattern: value} table for each joint name; the first matching pattern wins."""
    out = np.zeros(len(names))
    for i, name in enumerate(names):
        for pattern, value in table.items():
            if fnmatch.fnmatchcase(name, str(pattern)):
                out[i] = float(value)
                break
        else:
            raise ValueError(f"{what}: no pattern matches joint {name!r}")
    return out


def mjcf_joint_names(mjcf_text: str) -> list[str]:
    """Hinge/slide joint names in MJCF document order (MuJoCo's joint order, no free joint)."""
    root = ET.fromstring(mjcf_text)
    names = []
    for joint in root.iter("joint"):
        if joint.get("type", "hinge") in ("hinge", "slide") and joint.get("name"):
            names.append(joint.get("name"))
    return names


def robot_names() -> list[str]:
    return sorted(p.stem for p in ROBOT_DIR.glob("*.yaml"))


def load_robot(name_or_path: str | Path) -> RobotSpec:
    """A shipped robot by name (go2, h1, t1) or a robot YAML path."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = ROBOT_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise FileNotFoundError(f"no robot {str(name_or_path)!r}; shipped: {robot_names()}")
    with open(path) as fh:
        spec = yaml.safe_load(fh)
    mjcf = (path.parent / spec["mjcf"]).resolve()
    names = mjcf_joint_names(mjcf.read_text())
    return RobotSpec(
        name=str(spec["name"]),
        mjcf_path=mjcf,
        base_body=str(spec["base_body"]),
        imu_site=str(spec.get("imu_site", "imu")),
        lidar_site=str(spec.get("lidar_site", "lidar")),
        camera=str(spec.get("camera", "front_camera")),
        joint_names=names,
        default_pos=per_joint(spec["default_pos"], names, "default_pos"),
        kp=per_joint(spec["kp"], names, "kp"),
        kd=per_joint(spec["kd"], names, "kd"),
        torque_limit=per_joint(spec["torque_limit"], names, "torque_limit"),
        stand_kp=per_joint(spec["stand_kp"], names, "stand_kp") if "stand_kp" in spec else None,
        stand_kd=per_joint(spec["stand_kd"], names, "stand_kd") if "stand_kd" in spec else None,
        sdk_order=str(spec.get("sdk_order", "") or ""),
        stand_tolerance_m=float(spec.get("stand_tolerance_m", 0.05)),
        lie_pos=per_joint(spec["lie_pos"], names, "lie_pos") if "lie_pos" in spec else None,
        support=SupportSpec.from_dict(spec["support"] or {}) if "support" in spec else None,
    )


def compose_mjcf(robot: RobotSpec, scene: Scene | None, timestep: float = 0.005) -> str:
    """One MJCF document: the robot, the scene's static geoms, lighting and the physics options."""
    root = ET.fromstring(robot.mjcf_path.read_text())
    option = root.find("option")
    if option is None:
        option = ET.Element("option")
        root.insert(1, option)
    option.set("timestep", f"{timestep:g}")
    option.set("integrator", "implicitfast")
    option.set("cone", "elliptic")
    visual = ET.SubElement(root, "visual")
    ET.SubElement(visual, "headlight", ambient="0.3 0.3 0.3", diffuse="0.4 0.4 0.4")
    ET.SubElement(visual, "quality", shadowsize="0")
    ET.SubElement(visual, "global", offwidth="640", offheight="480")
    asset = root.find("asset")
    if asset is None:
        asset = ET.SubElement(root, "asset")
    ET.SubElement(
        asset,
        "texture",
        name="grid",
        type="2d",
        builtin="checker",
        rgb1="0.55 0.55 0.5",
        rgb2="0.45 0.45 0.42",
        width="256",
        height="256",
    )
    ET.SubElement(
        asset, "material", name="grid", texture="grid", texrepeat="1 1", texuniform="true"
    )
    ET.SubElement(
        asset,
        "texture",
        name="sky",
        type="skybox",
        builtin="gradient",
        rgb1="0.6 0.75 0.9",
        rgb2="0.9 0.9 0.95",
        width="64",
        height="64",
    )
    world = root.find("worldbody")
    assert world is not None, "robot MJCF without worldbody"
    if scene is not None:
        fragment = ET.fromstring(f"<w>{scene.mjcf_worldbody()}</w>")
        for i, child in enumerate(fragment):
            world.insert(i, child)
    else:
        world.insert(
            0,
            ET.fromstring(
                '<geom name="floor" type="plane" size="20 20 0.1" material="grid" group="0" '
                'contype="1" conaffinity="2"/>'
            ),
        )
        world.insert(0, ET.fromstring('<light pos="0 0 6" dir="0 0 -1" directional="true"/>'))
    return ET.tostring(root, encoding="unicode")
