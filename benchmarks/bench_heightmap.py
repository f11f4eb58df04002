"""Height-map latency per frame on one core: the NumPy and numba paths vs a simple reference.

Synthetic spinning-LiDAR clouds (a floor, boxes around the robot and far walls, the sensor on the
Go2's head, points in the policy's LiDAR frame as config/go2.yaml expects) of about 3k (L1-like),
20k (MID-360-like) and 130k (64-beam) points. Timed per frame, p50/p99:

* ``decode``: PointCloud2 bytes (16-byte points with intensity) -> N x 3 float32 (node cost);
* ``fast``: ``HeightMapBuilder.add_scan + build`` with ``kernel="numpy"`` (transform, cull,
  cells, lowest, filters; vectorised NumPy);
* ``numba``: the same with ``kernel="numba"`` (``fast_kernel``: steps 1-3 compiled, one pass);
  numba's import (in a fresh interpreter) and the first call (JIT compile, or loading numba's
  on-disk cache) are reported apart, not in the percentiles; "numba not installed" without it;
* ``reference``: N x 3 transform + ``reference.simple_map`` (float64, searchsorted bins,
  np.minimum.at);

* ``clearance``: for a robot whose config enables it (the Go2), what heightmap_node adds per
  scan for navila_loco's obstacle guard: ``points_in_base`` (the mount, levelled by the
  attitude) + ``forward_clearance`` + ``around_clearance``;

and the maps are checked: numba must equal fast bit for bit, fast the reference (exact when the
affine is the identity, else to float32 rounding of the two transform orders). Threads are
pinned to 1 before NumPy (and numba) load.

    .venv/bin/python benchmarks/bench_heightmap.py [--repeat 200] [--sizes 3000 20000 130000]
"""

from __future__ import annotations

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from navila_common.distances import json_distance  # noqa: E402

from heightmap_node import fast_kernel  # noqa: E402
from heightmap_node.builder import HeightMapBuilder, transform_points  # noqa: E402
from heightmap_node.clearance import (  # noqa: E402
    around_clearance,
    forward_clearance,
    points_in_base,
)
from heightmap_node.config import (  # noqa: E402
    builder_config_from_params,
    clearance_config_from_params,
    load_params_file,
)
from heightmap_node.pointcloud import decode_xyz, encode_xyz  # noqa: E402
from heightmap_node.reference import simple_map  # noqa: E402
from heightmap_node.transforms import invert  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SENSOR_HEIGHT = 0.35  # Go2 head LiDAR above the floor


def lidar_cloud(n_target: int, sensor_height: float = SENSOR_HEIGHT, seed: int = 0) -> np.ndarray:
    """A level-frame cloud: rays from the sensor hit the floor, 6 boxes near the robot or a wall."""
    rng = np.random.default_rng(seed)
    channels = 32 if n_target < 50_000 else 64
    az_steps = max(8, n_target // channels)
    elev = np.deg2rad(np.linspace(-55.0, 15.0, channels))
    az = np.linspace(-np.pi, np.pi, az_steps, endpoint=False)
    el, a = np.meshgrid(elev, az, indexing="ij")
    el, a = el.ravel(), a.ravel() + rng.normal(0, 1e-3, el.size)
    d = np.stack([np.cos(el) * np.cos(a), np.cos(el) * np.sin(a), np.sin(el)], axis=1)
    wall = rng.uniform(4.0, 25.0, d.shape[0])  # far walls for rays that miss the floor
    t = np.where(d[:, 2] < -1e-6, sensor_height / np.maximum(-d[:, 2], 1e-6), np.inf)
    t = np.minimum(t, wall / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6))
    pts = d * t[:, None]
    for _ in range(6):  # boxes: points on their tops within a few metres
        c = rng.uniform(-1.5, 1.5, 2)
        top = rng.uniform(0.05, 0.3) - sensor_height
        m = max(50, n_target // 60)
        box = np.column_stack([c[0] + rng.uniform(-0.15, 0.15, m), c[1] + rng.uniform(-0.2, 0.2, m),
                               np.full(m, top)])  # fmt: skip
        pts = np.concatenate([pts, box])
    pts[rng.integers(0, pts.shape[0], pts.shape[0] // 100)] = np.nan  # dropouts (is_dense false)
    return pts.astype(np.float32)


def reference_frame(points: np.ndarray, affine: np.ndarray, cfg) -> np.ndarray:
    """The straightforward way: transform every point (N x 3 matmul), then bin and reduce."""
    return simple_map(transform_points(points, affine), cfg.map)


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
            "mean_ms": float(a.mean())}  # fmt: skip


ROBOTS = {
    # robot: (sensor height above the floor, attitude for gravity_align or None)
    "go2": (0.35, None),  # sensor frame == policy LiDAR frame: the affine is the identity
    "h1": (1.5, (0.02, 0.05)),  # levelled by the IMU: a full 3D affine on every point
}


def load_numba() -> dict:
    """numba's one-off costs, none in the percentiles: import and JIT compile (each in a fresh
    interpreter, the compile with an empty cache directory), first call here (compile or cache
    load, as a node's start-up sees it)."""
    info: dict = {"available": fast_kernel.AVAILABLE, "version": fast_kernel.VERSION}
    if not fast_kernel.AVAILABLE:
        return info
    code = (
        "import time; t0 = time.perf_counter(); from heightmap_node import fast_kernel; "
        "t1 = time.perf_counter(); fast_kernel.warm_up(); t2 = time.perf_counter(); "
        "print((t1 - t0) * 1e3, (t2 - t1) * 1e3, fast_kernel.cache_hits())"
    )
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
    import_ms, compile_ms, hits = out.stdout.split()[-3:]
    info["import_ms"] = float(import_ms)  # numba + llvmlite + the module
    info["compile_ms"] = float(compile_ms) if hits == "0" else None
    t0 = time.perf_counter()
    fast_kernel.warm_up()  # what HeightMapBuilder does at construction with the numba kernel
    info["first_call_ms"] = (time.perf_counter() - t0) * 1e3
    info["first_call_from_cache"] = fast_kernel.cache_hits() > 0
    return info


def run(sizes: list[int], repeat: int, robots: list[str]) -> dict:
    numba_info = load_numba()
    results = []
    for robot in robots:
        height, attitude = ROBOTS[robot]
        params = load_params_file(REPO / "config" / f"{robot}.yaml")
        cfg = builder_config_from_params(params)
        clearance = clearance_config_from_params(params)
        # the level cloud (sensor at the origin) seen from the sensor as mounted on the base
        level_to_sensor = invert(cfg.sensor_to_base)
        for n in sizes:
            level = lidar_cloud(n, height)
            pts = (level @ level_to_sensor[:3, :3].T.astype(np.float32)).astype(np.float32)
            row = bench_one(robot, cfg, pts, attitude, repeat, numba_info)
            if clearance.enabled:
                bench_clearance(row, cfg, clearance, pts, attitude, repeat)
            results.append(row)
    return {
        "benchmark": "heightmap",
        "threads": 1,
        "numpy": np.__version__,
        "numba": numba_info,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "repeat": repeat,
        "results": results,
    }


def bench_one(robot: str, cfg, pts: np.ndarray, attitude, repeat: int, numba_info: dict) -> dict:
    data, fields, step = encode_xyz(pts, extra_fields=1)

    def frame_fn(kernel: str):
        builder = HeightMapBuilder(replace(cfg, kernel=kernel))
        if attitude is not None:
            builder.set_attitude(*attitude)

        def frame(b=builder, p=pts):
            b.add_scan(p, stamp=0.0)
            return b.build().flat

        return builder, frame

    builder, fast = frame_fn("numpy")
    got = fast()
    affine = builder.scan_to_grid()
    ref = reference_frame(pts, affine, cfg)
    row = {
        "robot": robot,
        "points": int(pts.shape[0]),
        "in_grid": int(builder.build().points_used),
        "identity_affine": bool(np.allclose(affine, np.eye(4), rtol=0, atol=1e-12)),
        "identical": bool(np.array_equal(got, ref)),
        "max_abs_diff": float(np.max(np.abs(got - ref))),
        "decode": stats(
            timed(
                lambda d=data, f=fields, s=step, k=pts.shape[0]: decode_xyz(
                    d, f, width=k, height=1, point_step=s, row_step=k * s
                ),
                repeat,
            )
        ),
        "fast": stats(timed(fast, repeat)),
        "numba": None,
        "reference": stats(
            timed(lambda p=pts, a=affine: reference_frame(p, a, cfg), max(20, repeat // 4))
        ),
    }
    row["speedup_p50"] = row["reference"]["p50_ms"] / row["fast"]["p50_ms"]
    numba_text = "numba not installed"
    if numba_info["available"]:
        nb_builder, nb = frame_fn("numba")
        nb_map = nb()
        row["numba"] = stats(timed(nb, repeat))
        row["numba_identical"] = bool(  # bit for bit (the sign of a zero included)
            np.array_equal(nb_map.view(np.uint32), got.view(np.uint32))
            and nb_builder.build().points_used == row["in_grid"]
        )
        row["numba_speedup_p50"] = row["reference"]["p50_ms"] / row["numba"]["p50_ms"]
        numba_text = (
            f"numba p50 {row['numba']['p50_ms']:6.3f} p99 {row['numba']['p99_ms']:6.3f} ms "
            f"x{row['numba_speedup_p50']:.1f} == fast: {row['numba_identical']}"
        )
    print(
        f"{robot} {row['points']:>7} pts ({row['in_grid']:>5} in grid)  "
        f"decode p50 {row['decode']['p50_ms']:6.3f} ms | "
        f"fast p50 {row['fast']['p50_ms']:6.3f} p99 {row['fast']['p99_ms']:6.3f} ms "
        f"x{row['speedup_p50']:.1f} | {numba_text} | "
        f"reference p50 {row['reference']['p50_ms']:6.3f} p99 {row['reference']['p99_ms']:6.3f}"
        f" ms | fast == reference: {row['identical']} (max diff {row['max_abs_diff']:.1e})"
    )
    return row


def bench_clearance(row: dict, cfg, clearance, pts: np.ndarray, attitude, repeat: int) -> None:
    """The obstacle guard's per-scan cost in heightmap_node, added to the row and printed."""

    def frame(p=pts):
        base = points_in_base(p, cfg.sensor_to_base, attitude)
        return forward_clearance(base, clearance), around_clearance(base, clearance)

    ahead, around = frame()
    row["clearance"] = {
        **stats(timed(frame, repeat)),
        "ahead_m": json_distance(ahead),
        "around_m": json_distance(around),
    }
    print(
        f"{row['robot']} {row['points']:>7} pts  clearance (base frame + ahead + around) "
        f"p50 {row['clearance']['p50_ms']:6.3f} p99 {row['clearance']['p99_ms']:6.3f} ms "
        f"(ahead {ahead:.2f} m, around {around:.2f} m)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[3000, 20000, 130000])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--robots", nargs="+", default=list(ROBOTS), choices=list(ROBOTS))
    ap.add_argument("--out", type=Path, default=REPO / "results" / "bench_heightmap.json")
    args = ap.parse_args(argv)
    report = run(args.sizes, args.repeat, args.robots)
    nb = report["numba"]
    if nb["available"]:
        compile_ms = "n/a" if nb["compile_ms"] is None else f"{nb['compile_ms']:.0f} ms"
        print(
            f"numba {nb['version']} (not in the percentiles): import {nb['import_ms']:.0f} ms, "
            f"JIT compile {compile_ms} (fresh interpreters, empty cache), first call here "
            f"{nb['first_call_ms']:.0f} ms "
            f"({'numba cache load' if nb['first_call_from_cache'] else 'JIT compile'})"
        )
    else:
        print("numba not installed: the numba column is empty")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"results written to {args.out.resolve()}")
    # exact when the affine is skipped; otherwise float32 rounding of the two transform orders
    ok = all(r["identical"] or r["max_abs_diff"] < 1e-4 for r in report["results"])
    ok &= all(r.get("numba_identical", True) for r in report["results"])  # numba: bit for bit
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
