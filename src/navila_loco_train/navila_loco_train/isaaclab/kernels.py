"""The math of the Isaac Lab terms, in plain torch / numpy (no isaaclab import), so it can be
tested here against the deployed code: navila_loco_node's observation builder and heightmap_node's
height-map builder. ``mdp.py`` only fetches simulator state and calls these.

Quaternions are (w, x, y, z), Isaac Lab 2.x's order (Isaac Lab 3 switched to (x, y, z, w); the
config refuses to load there, see ``navila_loco_train.isaaclab.check_isaaclab_version``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from navila_loco_train.terrain import make_tile


# ------------------------------------------------------------------------------ rotations
def rpy_from_quat(q_wxyz: torch.Tensor) -> torch.Tensor:
    """(N, 4) -> (N, 3) roll, pitch, yaw with legged-loco's ``base_rpy`` formula.

    The same expression as navila_loco_node.observation.rpy_from_quat (pitch saturates at
    +-pi/2 when |sin p| >= 1 instead of returning NaN).
    """
    w, x, y, z = q_wxyz.unbind(-1)
    roll = torch.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    sinp = 2 * (w * y - z * x)
    pitch = torch.where(
        sinp.abs() < 1, torch.asin(sinp.clamp(-1.0, 1.0)), torch.sign(sinp) * (math.pi / 2)
    )
    yaw = torch.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return torch.stack((roll, pitch, yaw), dim=-1)


def quat_rotate_inverse(q_wxyz: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Express world vectors ``v`` (..., 3) in the frame whose orientation is ``q`` (..., 4)."""
    w = q_wxyz[..., :1]
    u = q_wxyz[..., 1:]
    uv = torch.sum(u * v, dim=-1, keepdim=True)
    return v * (2 * w * w - 1) - torch.cross(u.expand_as(v), v, dim=-1) * (2 * w) + u * (2 * uv)


def yaw_only(q_wxyz: torch.Tensor) -> torch.Tensor:
    """(N, 4) -> the heading part of each orientation, (cos(yaw/2), 0, 0, sin(yaw/2))."""
    half = rpy_from_quat(q_wxyz)[..., 2] / 2
    zero = torch.zeros_like(half)
    return torch.stack((torch.cos(half), zero, zero, torch.sin(half)), dim=-1)


def points_in_grid_frame(
    points_w: torch.Tensor,
    base_pos_w: torch.Tensor,
    base_quat_w: torch.Tensor,
    grid_pos: torch.Tensor,
    grid_quat: torch.Tensor,
    gravity_align: bool = False,
) -> torch.Tensor:
    """World points (N, R, 3) -> the height-map grid frame (the policy's LiDAR frame).

    ``grid_pos`` / ``grid_quat`` are the grid frame's pose in the base frame (heightmap_node's
    ``grid_in_base``); the base pose is the robot root's, per env. ``gravity_align``: the base
    frame levelled (heading only), as heightmap_node levels the cloud with the IMU's roll and
    pitch (the H1's map).
    """
    if gravity_align:
        base_quat_w = yaw_only(base_quat_w)
    in_base = quat_rotate_inverse(base_quat_w[:, None, :], points_w - base_pos_w[:, None, :])
    return quat_rotate_inverse(grid_quat.expand_as(base_quat_w)[:, None, :], in_base - grid_pos)


# ------------------------------------------------------------------------------ height map
def _cells(lo: float, hi: float, res: float) -> int:
    return math.floor((hi - lo + 1e-9) / res + 1e-9) + 1


def _axis_cells(
    v: torch.Tensor, lo: float, hi: float, res: float, n: int, cell_mode: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell index along one axis (float64 values) and the inside mask, heightmap_node.grid's
    rules: left-open cells (e_k, e_k+1] in (lo, hi] (the last one cut at hi), or centred cells
    [c_k - res/2, c_k + res/2) around the centres c_k = lo + k * res."""
    k = torch.arange(n, dtype=torch.float64, device=v.device)
    if cell_mode == "left_open":
        edges = lo + k * res
        return (torch.bucketize(v, edges) - 1).clamp(0, n - 1), (v > lo) & (v <= hi)
    bounds = lo + (k - 0.5) * res
    inside = (v >= bounds[0]) & (v < lo + (n - 0.5) * res)
    return (torch.bucketize(v, bounds, right=True) - 1).clamp(0, n - 1), inside


def height_map(
    points: torch.Tensor,
    *,
    x_lo: float,
    x_hi: float,
    y_lo: float,
    y_hi: float,
    resolution: float,
    reduction: str,
    z_min: float,
    z_max: float,
    value_scale: float,
    value_offset: float,
    zero_below: float | None,
    empty_value: float,
    max_filter: bool,
    map_clip: tuple[float, float] | list[float] | None,
    cell_mode: str = "left_open",
    order: str = "x_major",
) -> torch.Tensor:
    """Grid-frame points (N, R, 3) -> (N, nx * ny) maps, as heightmap_node builds them.

    Cells (heightmap_node.grid): ``left_open`` ``(e_k, e_k+1]`` with ``e_k = lo + k * res``
    (legged-loco's bucketize, the Go2's), or ``centered`` ``[c_k - res/2, c_k + res/2)`` around
    ``c_k = lo + k * res`` (Isaac Lab's grid pattern, the H1's); flattened ``x_major`` (ix * ny +
    iy) or ``y_major`` (iy * nx + ix). Per cell the lowest (or highest) z in [z_min, z_max];
    value = value_scale * z - value_offset; values below ``zero_below`` become 0; a NaN-aware
    3x3 max over known cells; cells still unknown take ``empty_value``; then the optional map
    clip. Non-finite points (missed rays) are dropped, as heightmap_node drops them.
    """
    if reduction not in ("lowest", "highest"):
        raise ValueError(f"height map reduction {reduction!r} not supported (lowest, highest)")
    if cell_mode not in ("left_open", "centered") or order not in ("x_major", "y_major"):
        raise ValueError(f"height map grid {cell_mode}/{order} not supported")
    n = points.shape[0]
    nx, ny = _cells(x_lo, x_hi, resolution), _cells(y_lo, y_hi, resolution)
    dtype, device = points.dtype, points.device
    x, y, z = points.unbind(-1)
    # Cheap cull in the points' dtype with a little slack, then the exact tests in float64 on the
    # few candidates (the cell edges are float64, as heightmap_node computes them).
    slack = 1e-3
    half = resolution / 2 if cell_mode == "centered" else 0.0
    cand = torch.isfinite(points).all(dim=-1)
    cand &= (x > x_lo - half - slack) & (x <= x_hi + half + slack)
    cand &= (y > y_lo - half - slack) & (y <= y_hi + half + slack)
    cand &= (z >= z_min - slack) & (z <= z_max + slack)
    env = torch.arange(n, device=device)[:, None].expand_as(cand)[cand]
    xs, ys, zs = x[cand].to(torch.float64), y[cand].to(torch.float64), z[cand]
    z64 = zs.to(torch.float64)
    ix, in_x = _axis_cells(xs, x_lo, x_hi, resolution, nx, cell_mode)
    iy, in_y = _axis_cells(ys, y_lo, y_hi, resolution, ny, cell_mode)
    ok = in_x & in_y & (z64 >= z_min) & (z64 <= z_max)
    ix, iy = ix[ok], iy[ok]
    flat = env[ok] * (nx * ny) + ix * ny + iy
    zs = zs[ok]
    lowest = reduction == "lowest"
    fill = math.inf if lowest else -math.inf
    acc = torch.full((n * nx * ny,), fill, dtype=dtype, device=device)
    acc.scatter_reduce_(0, flat, zs, reduce="amin" if lowest else "amax", include_self=True)
    known = torch.isfinite(acc)
    vals = torch.where(known, value_scale * acc - value_offset, torch.zeros_like(acc))
    if zero_below is not None:
        vals = torch.where(known & (vals < zero_below), torch.zeros_like(vals), vals)
    vals = vals.view(n, 1, nx, ny)
    known = known.view(n, 1, nx, ny)
    if max_filter:
        masked = torch.where(known, vals, torch.full_like(vals, -math.inf))
        pooled = F.max_pool2d(masked, kernel_size=3, stride=1, padding=1)
        known = torch.isfinite(pooled)
        vals = torch.where(known, pooled, torch.zeros_like(pooled))
    out = torch.where(known, vals, torch.full_like(vals, empty_value)).view(n, nx, ny)
    if order == "y_major":
        out = out.transpose(1, 2)
    out = out.reshape(n, nx * ny)
    if map_clip is not None:
        out = out.clamp(float(map_clip[0]), float(map_clip[1]))
    return out


# ------------------------------------------------------------------------------ history
class HistoryBuffer:
    """The proprio history of the policy input, frame-major and oldest first.

    Matches legged-loco's RslRlVecEnvHistoryWrapper layout and navila_loco_node's observation
    builders: the newest frame is the current one, and an env whose episode (re)starts gets its
    whole history filled with copies of its first frame (the deployed node does the same on
    start). Isaac Lab's per-term ``history_length`` cannot be used: it flattens term-major.

    ``push`` takes the env's control-step counter: the observation manager may evaluate a term
    more than once per step (e.g. the rsl-rl wrapper's ``get_observations``); a second call in the
    same step replaces the newest frame instead of shifting the history again.
    """

    def __init__(self, num_envs: int, length: int, device: str | torch.device = "cpu") -> None:
        if num_envs < 1 or length < 1:
            raise ValueError(f"history needs num_envs, length >= 1; got {num_envs}, {length}")
        self.num_envs = num_envs
        self.length = length
        self.device = torch.device(device)
        self._buf: torch.Tensor | None = None
        self._fresh = torch.ones(num_envs, dtype=torch.bool, device=self.device)
        self._step: int | None = None

    def mark_fresh(self, env_ids: torch.Tensor | list[int] | slice | None = None) -> None:
        """These envs (all when None) restart: their next frame fills their history."""
        if env_ids is None:
            self._fresh[:] = True
        else:
            self._fresh[env_ids] = True

    def push(self, frame: torch.Tensor, step: int | None = None) -> torch.Tensor:
        """Append ``frame`` (num_envs, F); returns the (num_envs, length * F) history view."""
        if frame.dim() != 2 or frame.shape[0] != self.num_envs:
            raise ValueError(f"frame must be ({self.num_envs}, F), got {tuple(frame.shape)}")
        if self._buf is None or self._buf.shape[-1] != frame.shape[1]:
            self._buf = frame.new_zeros((self.num_envs, self.length, frame.shape[1]))
            self._fresh[:] = True
        if step is None or step != self._step:
            self._buf = torch.roll(self._buf, shifts=-1, dims=1)
            self._step = step
        self._buf[:, -1] = frame
        if bool(self._fresh.any()):
            ids = self._fresh.nonzero().squeeze(-1)
            self._buf[ids] = frame[ids].unsqueeze(1).expand(-1, self.length, -1)
            self._fresh[ids] = False
        return self._buf.reshape(self.num_envs, -1)


# ------------------------------------------------------------------------------ rewards
def command_moving(command: torch.Tensor, small: float) -> torch.Tensor:
    """Envs told to move: |(vx, vy, wz)| > small (the MuJoCo trainer's rule; a pure turn is
    moving, so turning in place earns air time and is not penalised for leaving the pose)."""
    return torch.linalg.norm(command, dim=-1) > small


def feet_air_time_reward(
    last_air_time: torch.Tensor,
    first_contact: torch.Tensor,
    threshold: float,
    command: torch.Tensor,
    small: float,
) -> torch.Tensor:
    """At each touchdown, the foot's air time beyond ``threshold``; zero when standing."""
    gain = torch.sum((last_air_time - threshold) * first_contact.to(last_air_time.dtype), dim=1)
    return gain * command_moving(command, small).to(gain.dtype)


def feet_air_time_biped_reward(
    air_time: torch.Tensor,
    contact_time: torch.Tensor,
    in_contact: torch.Tensor,
    threshold: float,
    command: torch.Tensor,
    small: float,
) -> torch.Tensor:
    """The humanoid air-time reward (rewards.feet_air_time_biped), per env.

    While exactly one foot is down, the shortest of the feet's times in their current mode (the
    stance foot's contact time, the swing foot's air time), capped at ``threshold``; zero in
    double support, in flight and when told to stand. A biped's steps are shorter than the
    quadruped term's threshold, so its "air time beyond the threshold at touchdown" would
    penalise every step; this pays for a long single-support phase instead. ``air_time`` /
    ``contact_time``: (N, feet) seconds in the current mode; ``in_contact``: (N, feet) bool.
    Moving is ``command_moving`` (turning in place counts), not Isaac Lab's |v_xy| > 0.1.
    """
    mode_time = torch.where(in_contact, contact_time, air_time)
    single = torch.sum(in_contact.to(torch.int64), dim=1) == 1
    held = torch.min(torch.where(single[:, None], mode_time, torch.zeros_like(mode_time)), dim=1)
    capped = held.values.clamp(max=threshold)
    return capped * command_moving(command, small).to(capped.dtype)


def feet_slide_penalty(foot_vel_xy: torch.Tensor, in_contact: torch.Tensor) -> torch.Tensor:
    """sum over the grounded feet of their horizontal speed (m/s) (rewards.feet_slide): a
    planted foot should not skid. ``foot_vel_xy``: (N, feet, 2) world-frame velocity;
    ``in_contact``: (N, feet) bool, contact during the control period."""
    speed = torch.linalg.norm(foot_vel_xy, dim=-1)
    return torch.sum(speed * in_contact.to(speed.dtype), dim=1)


def joint_deviation_l1(
    joint_pos: torch.Tensor, default_pos: torch.Tensor, scales: torch.Tensor
) -> torch.Tensor:
    """sum_j scale_j |q_j - q_default_j| (rewards.joint_deviation_l1): the joints that do not
    walk (a humanoid's hip yaw / roll, arms, torso) should hold their pose; per-joint scales
    (task_spec.joint_deviation_scales) fold Isaac Lab's several deviation terms into one, a
    scale of 0 leaves a joint free."""
    return torch.sum(scales * torch.abs(joint_pos - default_pos), dim=1)


def stand_still_penalty(
    joint_pos: torch.Tensor, default_pos: torch.Tensor, command: torch.Tensor, small: float
) -> torch.Tensor:
    """sum |q - q0| when told to stand (not moving), else 0."""
    dev = torch.sum(torch.abs(joint_pos - default_pos), dim=1)
    return dev * (~command_moving(command, small)).to(dev.dtype)


def joint_limit_violation(
    joint_pos: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor
) -> torch.Tensor:
    """sum over joints of how far each is outside [lower, upper] (rad)."""
    below = (lower - joint_pos).clamp(min=0.0)
    above = (joint_pos - upper).clamp(min=0.0)
    return torch.sum(below + above, dim=1)


# ------------------------------------------------------------------------------ terrain
def level_of(difficulty: float, levels: int) -> int:
    """Isaac Lab's curriculum difficulty for row i is in [i / rows, (i + 1) / rows): row i."""
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty}")
    return min(int(difficulty * levels), levels - 1)


def tile_heights(
    kind: str,
    difficulty: float,
    n: int,
    resolution: float,
    levels: int,
    rough_noise_m: tuple[float, float],
    step_height_m: tuple[float, float],
    box_height_m: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """One n x n curriculum tile (metres, indexed [x, y] as Isaac Lab height fields are).

    The MuJoCo trainer's tile for the same level (navila_loco_train.terrain.make_tile), so both
    trainers walk on the same ground. Its tiles are indexed [y, x]; they are transposed here.
    """
    level = level_of(difficulty, levels)
    ranges = (rough_noise_m, step_height_m, box_height_m)
    tile = make_tile(kind, level, levels, n, resolution, *ranges, rng)
    return np.ascontiguousarray(tile.T)
