"""Left-right mirror symmetry of a locomotion task, for rsl-rl's symmetry extension (data
augmentation and the mirror loss of Mittal et al., "Symmetry Considerations for Learning Task
Symmetric Robot Policies", ICRA 2024).

Why: a legged robot is (nearly) mirror-symmetric about its sagittal plane, and so is the task -
a left turn is a mirrored right turn - but nothing in PPO makes the learned policy symmetric.
go2_vision stage 20 turned left at 0.535 rad/s and right at 0.462 for the same 0.524 command,
which the executor's timed turns showed as 95 degrees left and 75 right. Training on mirrored
samples as well, or penalising the policy for disagreeing with its own mirror image, removes that
bias at its root: stage 23 (the mirror loss, shipped) turns at 0.525 / 0.532 and ends 88 / 86.

The reflection is y -> -y in the base frame. Everything here is derived, not written per robot:

* joints: a joint's partner is its name with the side swapped (FL/FR, RL/RR, left/right,
  Left/Right); its sign comes from the MJCF's joint axes in the default pose. Mirroring a
  rotation by q about axis a gives a rotation by -q about S a (S = diag(1, -1, 1)), so a partner
  whose axis is S a moves by -q (a roll or yaw joint: the Go2's hips) and one whose axis is -S a
  by +q (a pitch joint). The partners' anchors must mirror each other too; an asymmetric model is
  refused, not approximated.
* base vectors: linear velocity and projected gravity are polar (y flips), angular velocity is
  axial (x and z flip), roll and yaw flip, the command (vx, vy, wz) flips vy and wz.
* height map: the grid frame must be mirror-symmetric in the base frame (the LiDAR on the
  centre line, tilted about y only), and a cell's partner is the cell whose centre is nearest
  the mirrored centre. legged-loco's Go2 grid, (-0.8, 0.8] in 0.06 m cells, has its centres at
  -0.77 ... 0.79: the mirror is about y = +0.01 m, within half a cell (the tolerance).

`input_mirror` turns `inputs.input_names` (one name per policy / critic input) into an index and a
sign per input, so the history frames, the critic's privileged terms and any layout a config
builds are covered without a second description of the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from heightmap_node.grid import GridSpec

REFLECT = np.array([1.0, -1.0, 1.0])  # y -> -y in the base frame
SIDE_SWAP = {
    "FL": "FR",
    "FR": "FL",
    "RL": "RR",
    "RR": "RL",
    "left": "right",
    "right": "left",
    "Left": "Right",
    "Right": "Left",
}
# Per component of the 3-vector terms of navila_loco_node.observation.VEC3_TERMS.
VECTOR_SIGNS: dict[str, tuple[float, float, float]] = {
    "base_lin_vel": (1.0, -1.0, 1.0),
    "projected_gravity": (1.0, -1.0, 1.0),
    "base_ang_vel": (-1.0, 1.0, -1.0),
    "base_rpy": (-1.0, 1.0, -1.0),
    "velocity_command": (1.0, -1.0, -1.0),
}
JOINT_TERMS = ("joint_pos_rel", "joint_vel_rel", "last_action")
AXIS_TOL = 1e-6
ANCHOR_TOL_M = 1e-3
_INPUT_NAME = re.compile(r"^(?P<prefix>(?:[^.\[\]]+(?:\[\d+\])?\.)*)(?P<term>\w+)\[(?P<i>\d+)\]$")


def mirror_name(name: str) -> str:
    """The joint on the other side: each '_'-separated side token swapped (FL_hip_joint ->
    FR_hip_joint, left_knee_joint -> right_knee_joint); a centre joint (torso) is its own."""
    return "_".join(SIDE_SWAP.get(part, part) for part in name.split("_"))


@dataclass(frozen=True)
class MirrorMap:
    """mirrored[..., k] = sign[k] * x[..., src[k]]; an involution (applied twice: the identity)."""

    src: np.ndarray
    sign: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.src)
        if sorted(self.src.tolist()) != list(range(n)) or self.sign.shape != (n,):
            raise ValueError("a mirror map must permute every input exactly once")
        if not np.array_equal(self.src[self.src], np.arange(n)) or not np.all(
            self.sign[self.src] == self.sign
        ):
            raise ValueError("a mirror map must be its own inverse")

    def __call__(self, x: Any) -> Any:
        """numpy array or torch tensor, inputs on the last axis."""
        if isinstance(x, np.ndarray):
            return x[..., self.src] * self.sign.astype(x.dtype)
        import torch

        src = torch.as_tensor(self.src, device=x.device)
        return x.index_select(-1, src) * torch.as_tensor(self.sign, dtype=x.dtype, device=x.device)


def joint_mirror(mjcf_path: str | Path, names: list[str]) -> MirrorMap:
    """The mirror of a joint vector in `names`' order, from the robot model (module docstring)."""
    import mujoco

    m = mujoco.MjModel.from_xml_path(str(mjcf_path))
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n) for n in names]
    missing = [n for n, j in zip(names, ids, strict=True) if j < 0]
    if missing:
        raise ValueError(f"joints {missing} are not in {mjcf_path}")
    base = d.xpos[m.body_rootid[m.jnt_bodyid[ids[0]]]]
    src, sign = np.zeros(len(names), dtype=np.int64), np.zeros(len(names))
    for k, (name, j) in enumerate(zip(names, ids, strict=True)):
        partner = mirror_name(name)
        if partner not in names:
            raise ValueError(f"joint {name!r} has no mirror joint {partner!r} among {names}")
        p = ids[names.index(partner)]
        if not np.allclose(REFLECT * (d.xanchor[j] - base), d.xanchor[p] - base, atol=ANCHOR_TOL_M):
            raise ValueError(f"joints {name!r} and {partner!r} are not placed mirror-symmetrically")
        axis, partner_axis = REFLECT * d.xaxis[j], d.xaxis[p]
        if np.allclose(partner_axis, axis, atol=AXIS_TOL):
            sign[k] = -1.0
        elif np.allclose(partner_axis, -axis, atol=AXIS_TOL):
            sign[k] = 1.0
        else:
            raise ValueError(f"joints {name!r} and {partner!r} have axes that do not mirror")
        src[k] = names.index(partner)
    return MirrorMap(src, sign)


def height_map_mirror(grid: GridSpec, grid_in_base: np.ndarray) -> np.ndarray:
    """Flat index of each cell's mirror cell (the grid's own flattening order)."""
    flip = np.diag([1.0, -1.0, 1.0, 1.0])
    if not np.allclose(flip @ np.asarray(grid_in_base) @ flip, grid_in_base, atol=1e-6):
        raise ValueError(
            "the height map's grid frame is not mirror-symmetric in the base frame (sensor off "
            "the centre line, or turned about x or z): no mirror for its cells"
        )
    ys = grid.y_centers()
    partner = np.abs(ys[None, :] + ys[:, None]).argmin(axis=1)  # iy -> iy' with y' ~ -y
    error = np.abs(ys[partner] + ys)
    if np.any(error > grid.resolution / 2 + 1e-9) or not np.array_equal(
        partner[partner], np.arange(len(ys))
    ):
        raise ValueError(f"grid y centres {ys[0]:.3f} ... {ys[-1]:.3f} are not mirror-symmetric")
    out = np.empty(grid.size, dtype=np.int64)
    for ix in range(grid.nx):
        for iy in range(grid.ny):
            out[grid.flat_index(ix, iy)] = grid.flat_index(ix, int(partner[iy]))
    return out


def input_mirror(names: list[str], joints: MirrorMap, cells: np.ndarray | None) -> MirrorMap:
    """The mirror of an input vector whose elements are named as `inputs.input_names` names them
    ("base_ang_vel[2]", "history[3].joint_pos_rel[5]", "critic.height_map[40]")."""
    index = {name: k for k, name in enumerate(names)}
    src, sign = np.zeros(len(names), dtype=np.int64), np.ones(len(names))
    for k, name in enumerate(names):
        match = _INPUT_NAME.match(name)
        if match is None:
            raise ValueError(f"input name {name!r} is not '<term>[<i>]'")
        prefix, term, i = match["prefix"], match["term"], int(match["i"])
        if term in VECTOR_SIGNS:
            j, s = i, VECTOR_SIGNS[term][i]
        elif term in JOINT_TERMS:
            j, s = int(joints.src[i]), float(joints.sign[i])
        elif term == "height_map":
            if cells is None:
                raise ValueError("a height map input needs the grid's cell mirror")
            j, s = int(cells[i]), 1.0
        else:
            raise ValueError(f"no mirror rule for input term {term!r} ({name})")
        src[k], sign[k] = index[f"{prefix}{term}[{j}]"], s
    return MirrorMap(src, sign)


class Mirror:
    """rsl-rl's `data_augmentation_func`: (env, obs, actions) -> the batch followed by its
    mirror image (obs: a TensorDict of the "policy" and "critic" groups; either may be None)."""

    def __init__(self, groups: dict[str, MirrorMap], actions: MirrorMap) -> None:
        self.groups = groups
        self.actions = actions

    def __call__(self, env: Any = None, obs: Any = None, actions: Any = None) -> tuple[Any, Any]:
        import torch

        out_obs = out_actions = None
        if obs is not None:
            unknown = sorted(set(obs.keys()) - set(self.groups))
            if unknown:
                # Copied unmirrored, such a group would pair a mirrored state with the original
                # one's inputs: a wrong sample, not an error anyone would see.
                raise ValueError(f"no mirror for observation groups {unknown}")
            mirrored = obs.clone()
            for group, mirror in self.groups.items():
                mirrored[group] = mirror(obs[group])
            out_obs = torch.cat([obs, mirrored], dim=0)
        if actions is not None:
            out_actions = torch.cat([actions, self.actions(actions)], dim=0)
        return out_obs, out_actions


def build_mirror(
    mjcf_path: str | Path,
    joint_names: list[str],
    groups: dict[str, list[str]],
    height_map: tuple[GridSpec, np.ndarray] | None = None,
) -> Mirror:
    """The Mirror of observation groups whose inputs are named by `groups` (inputs.input_names'
    names), for the robot model's joints in `joint_names` order and, for a height map, its grid
    and the grid's pose in the base (one argument: a grid without its pose cannot be mirrored).
    Both trainers build theirs here."""
    joints = joint_mirror(mjcf_path, joint_names)
    cells = None
    if height_map is not None:
        grid, grid_in_base = height_map
        cells = height_map_mirror(grid, np.asarray(grid_in_base))
    return Mirror({g: input_mirror(names, joints, cells) for g, names in groups.items()}, joints)


def task_mirror(env: Any) -> Mirror:
    """The Mirror of a `LocoEnv`: its robot model's joints, its height map grid, its inputs."""
    from navila_loco_train.inputs import input_names

    names = input_names(env.loco, env.task.critic_extra_terms)
    hm = env.hm
    return build_mirror(
        env.robot.mjcf_path,
        list(env.loco.joints.names),
        {group: names[group] for group in ("policy", "critic")},
        None if hm is None else (hm.cfg.grid, np.linalg.inv(hm.base_to_grid)),
    )
