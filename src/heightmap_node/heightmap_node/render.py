"""`heightmap_render`: a height map and the cloud's top view as a PNG, from .npy or .pcd.

Looking at the map the policy gets is the fastest way to catch a wrong extrinsic or a flipped
axis. Inputs: a .pcd (ascii or binary) or .npy of N x 3 sensor-frame points (the map is built
with the node's own config: ``--params config/go2.yaml`` or a ``--preset``), or a .npy holding a
map (the flat policy vector or its 2D matrix). The PNG is written with zlib alone (no plotting
dependency). Both panels are robot top views: image up = base +x (forward), image left = base +y;
unseen cells are magenta, the grid's extent is outlined in white on the cloud.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

from heightmap_node.builder import BuilderConfig, HeightMapBuilder, transform_points
from heightmap_node.config import builder_config_from_params, load_params_file
from heightmap_node.grid import GridSpec
from heightmap_node.pcd import read_pcd

# A perceptually ordered ramp (dark blue -> teal -> yellow), interpolated linearly.
_RAMP = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64
)
_UNKNOWN = np.array([255, 0, 255], dtype=np.uint8)  # magenta: cells that saw no point
_BG = np.array([24, 24, 24], dtype=np.uint8)


def colorize(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map values to RGB uint8 with the ramp; NaN -> background."""
    t = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    pos = np.nan_to_num(t) * (len(_RAMP) - 1)
    i = np.minimum(pos.astype(int), len(_RAMP) - 2)
    f = (pos - i)[..., None]
    rgb = (_RAMP[i] * (1 - f) + _RAMP[i + 1] * f).astype(np.uint8)
    rgb[np.isnan(values)] = _BG
    return rgb


def write_png(path: str | Path, rgb: np.ndarray) -> Path:
    """Write an (H, W, 3) uint8 image as an 8-bit RGB PNG."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    path = Path(path)
    path.write_bytes(png)
    return path


def map_image(
    values: np.ndarray, known: np.ndarray | None, grid_in_base: np.ndarray, px: int = 16
) -> np.ndarray:
    """(nx, ny) map -> robot top view: image up = base +x (forward), image left = base +y.

    The grid axes may point against the base axes (the Go2 policy's LiDAR frame has x backward);
    the rows/columns are flipped accordingly, so the picture always shows the robot's front up.
    """
    lo, hi = float(np.min(values)), float(np.max(values))
    rgb = colorize(values.astype(np.float64), lo, hi)
    if known is not None:
        rgb[~known] = _UNKNOWN
    if grid_in_base[0, 0] >= 0:  # grid +x is forward: largest ix at the top
        rgb = rgb[::-1]
    if grid_in_base[1, 1] >= 0:  # grid +y is left: largest iy at the left
        rgb = rgb[:, ::-1]
    return np.repeat(np.repeat(rgb, px, axis=0), px, axis=1)


def grid_corners(grid: GridSpec, grid_in_base: np.ndarray) -> np.ndarray:
    """The grid's four corners (grid z = 0) in the base frame, 4 x 3."""
    half = 0.5 * grid.resolution if grid.cell_mode == "centered" else 0.0
    x0, x1 = grid.x_lo - half, grid.x_lo - half + grid.nx * grid.resolution
    y0, y1 = grid.y_lo - half, grid.y_lo - half + grid.ny * grid.resolution
    corners = np.array([[x0, y0, 0, 1], [x0, y1, 0, 1], [x1, y0, 0, 1], [x1, y1, 0, 1]]).T
    return (grid_in_base @ corners)[:3].T


def cloud_image(points: np.ndarray, corners: np.ndarray, extent: float, size: int) -> np.ndarray:
    """Base-frame top view (highest z per pixel, x up, y left), the grid's outline in white."""
    res = 2 * extent / size
    p = points[np.all(np.isfinite(points), axis=1)]
    row = np.floor((extent - p[:, 0]) / res).astype(np.int64)
    col = np.floor((extent - p[:, 1]) / res).astype(np.int64)
    ok = (row >= 0) & (row < size) & (col >= 0) & (col < size)
    acc = np.full(size * size, -np.inf)
    np.maximum.at(acc, row[ok] * size + col[ok], p[ok, 2].astype(np.float64))
    acc[acc == -np.inf] = np.nan
    acc = acc.reshape(size, size)
    finite = acc[np.isfinite(acc)]
    lo, hi = np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)
    rgb = colorize(acc, float(lo), float(hi))
    xs, ys = corners[:, 0], corners[:, 1]
    r0, r1 = (int(np.clip((extent - v) / res, 0, size - 1)) for v in (xs.max(), xs.min()))
    c0, c1 = (int(np.clip((extent - v) / res, 0, size - 1)) for v in (ys.max(), ys.min()))
    rgb[r0 : r1 + 1, [c0, c1]] = 255
    rgb[[r0, r1], c0 : c1 + 1] = 255
    return rgb


def side_by_side(*images: np.ndarray, gap: int = 8) -> np.ndarray:
    h = max(im.shape[0] for im in images)
    parts = []
    for k, im in enumerate(images):
        pad = np.zeros((h, im.shape[1], 3), np.uint8)
        pad[:] = _BG
        pad[: im.shape[0]] = im
        parts.append(pad)
        if k < len(images) - 1:
            parts.append(np.full((h, gap, 3), 255, np.uint8))
    return np.concatenate(parts, axis=1)


def render_file(
    path: Path, cfg: BuilderConfig, out: Path, extent: float = 2.0, size: int = 400
) -> tuple[Path, str]:
    """Render one input; returns (PNG path, one-line summary)."""
    grid = cfg.map.grid
    if path.suffix.lower() == ".pcd":
        data = read_pcd(path)
    elif path.suffix.lower() == ".npy":
        data = np.load(path, allow_pickle=False)
    else:
        raise ValueError(f"{path}: expected a .pcd or .npy file")
    if data.ndim == 2 and data.shape[1] == 3 and data.shape != grid.shape:
        builder = HeightMapBuilder(cfg)
        builder.add_scan(data.astype(np.float32), stamp=0.0)
        hm = builder.build()
        g = np.asarray(cfg.grid_in_base, dtype=np.float64)
        pts_base = transform_points(data.astype(np.float32), g @ builder.scan_to_grid())
        img = side_by_side(
            map_image(hm.values, hm.known, g),
            cloud_image(pts_base, grid_corners(grid, g), extent, size),
        )
        summary = (
            f"{data.shape[0]} points, {hm.points_used} in the grid, "
            f"{int(hm.known.sum())}/{grid.size} cells seen, values "
            f"[{hm.values.min():.3f}, {hm.values.max():.3f}]"
        )
    elif data.size == grid.size:
        values = grid.unflatten(data.reshape(-1).astype(np.float64))
        img = map_image(values, None, np.asarray(cfg.grid_in_base, dtype=np.float64))
        summary = f"map {grid.shape}, values [{values.min():.3f}, {values.max():.3f}]"
    else:
        raise ValueError(
            f"{path}: array of shape {data.shape} is neither N x 3 points nor a "
            f"{grid.shape} map ({grid.size} values)"
        )
    return write_png(out, img), summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="heightmap_render", description=__doc__.split("\n")[0])
    ap.add_argument("input", type=Path, help=".pcd or .npy (points N x 3, or a map)")
    ap.add_argument("-o", "--out", type=Path, help="PNG path (default: <input>_heightmap.png)")
    ap.add_argument("--params", type=Path, help="ROS params file with a heightmap_node section")
    ap.add_argument("--preset", default="go2", help="layout preset when no --params (go2, h1)")
    ap.add_argument("--extent", type=float, default=2.0, help="top view half-width, m")
    args = ap.parse_args(argv)
    try:
        params = load_params_file(args.params) if args.params else {"preset": args.preset}
        cfg = builder_config_from_params(params)
        out = args.out or args.input.with_name(args.input.stem + "_heightmap.png")
        png, summary = render_file(args.input, cfg, out, extent=args.extent)
    except (OSError, ValueError) as exc:
        print(f"heightmap_render: error: {exc}", file=sys.stderr)
        return 1
    print(summary)
    print(f"wrote {png.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
