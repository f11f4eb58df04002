"""Which joints turn a sensor relative to the robot's base.

The H1 carries its IMU and its LiDAR in the torso, above torso_joint (a yaw hinge on the pelvis),
as the real robot does; its policy observes the pelvis (the free joint's body, Isaac Lab's root).
Training and deployment agree only if both account for that joint: the locomotion node turns the
IMU's readings into the pelvis frame with it (navila_loco `observation.imu_yaw_joint`), and the
trainer samples the height map in the frame the deployed map is built in - the LiDAR's body,
levelled (Isaac Lab's H1 height scanner hangs on torso_link too).

Only chains of yaw hinges are supported (each body on the way: no offset or rotation from its
parent, one hinge about z through its origin): then the sensor body's frame is the base's turned
about z by the sum of the joint angles. Anything else is refused with the reason.
"""

from __future__ import annotations

import numpy as np

from navila_sim.mujoco_gl import mujoco


def _site_id(model: mujoco.MjModel, site: str) -> int:
    sid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, site)
    if sid < 0:
        raise ValueError(f"model has no site {site!r}")
    return int(sid)


def site_body(model: mujoco.MjModel, site: str) -> str:
    """Name of the body `site` is on."""
    body = int(model.site_bodyid[_site_id(model, site)])
    return str(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, body))


def yaw_joints_to_site(model: mujoco.MjModel, site: str, base_body: str) -> tuple[str, ...]:
    """Names of the hinge joints between `base_body` and the body carrying `site`, base first;
    () when the site is on the base."""
    sid = _site_id(model, site)
    base = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, base_body)
    if base < 0:
        raise ValueError(f"model has no body {base_body!r}")
    path = [int(model.site_bodyid[sid])]  # the site's body up to (without) the base
    while path[-1] != base:
        if path[-1] == 0:
            raise ValueError(f"site {site!r} is not on {base_body!r} or a body below it")
        path.append(int(model.body_parentid[path[-1]]))
    joints = []
    for body in reversed(path[:-1]):
        n, adr = int(model.body_jntnum[body]), int(model.body_jntadr[body])
        if (
            n != 1
            or model.jnt_type[adr] != mujoco.mjtJoint.mjJNT_HINGE
            or not np.allclose(model.jnt_axis[adr], (0.0, 0.0, 1.0))
            or not np.allclose(model.jnt_pos[adr], 0.0)
            or not np.allclose(model.body_pos[body], 0.0)
            or not np.allclose(model.body_quat[body], (1.0, 0.0, 0.0, 0.0))
        ):
            name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, body)
            raise ValueError(
                f"body {name!r} between {base_body!r} and site {site!r} is not a yaw hinge at the "
                "parent's origin: only such mounts are supported"
            )
        joints.append(str(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, adr)))
    return tuple(joints)
