"""PCD reader, PNG rendering CLI and the params-file loader."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from heightmap_node.config import builder_config_from_params, load_params_file
from heightmap_node.pcd import PcdError, read_pcd, write_pcd
from heightmap_node.render import main as render_main

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"


def sample(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.uniform([-1, -1, 0.0], [0.5, 1, 0.6], (n, 3)).astype(np.float32)


@pytest.mark.parametrize("binary", [True, False])
def test_pcd_roundtrip(tmp_path: Path, binary: bool) -> None:
    pts = sample()
    path = write_pcd(tmp_path / "c.pcd", pts, binary=binary)
    np.testing.assert_array_equal(read_pcd(path), pts)


def test_pcd_with_extra_fields_and_mixed_types(tmp_path: Path) -> None:
    header = (
        "# hand-written\nVERSION .7\nFIELDS intensity x y z ring\nSIZE 4 8 8 4 2\n"
        "TYPE F F F F U\nCOUNT 1 1 1 1 1\nWIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\n"
        "POINTS 2\nDATA binary\n"
    )
    rec = np.zeros(2, dtype=[("i", "<f4"), ("x", "<f8"), ("y", "<f8"), ("z", "<f4"),
                             ("r", "<u2")])  # fmt: skip
    rec["x"], rec["y"], rec["z"] = [1.5, -2.0], [0.25, 3.0], [0.1, 0.2]
    (tmp_path / "b.pcd").write_bytes(header.encode() + rec.tobytes())
    np.testing.assert_allclose(read_pcd(tmp_path / "b.pcd"), [[1.5, 0.25, 0.1], [-2, 3, 0.2]])
    ascii_text = header.replace("DATA binary", "DATA ascii") + "9 1.5 0.25 0.1 3\n9 -2 3 0.2 4\n"
    (tmp_path / "a.pcd").write_text(ascii_text)
    np.testing.assert_allclose(read_pcd(tmp_path / "a.pcd"), [[1.5, 0.25, 0.1], [-2, 3, 0.2]])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("FIELDS x y\nSIZE 4 4\nTYPE F F\nWIDTH 1\nPOINTS 1\nDATA ascii\n1 2\n", "no field 'z'"),
        ("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nPOINTS 1\nDATA binary_compressed\n",
         "not supported"),
        ("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nPOINTS 2\nDATA binary\n1234", "truncated"),
        ("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\n", "header ends"),
    ],
)  # fmt: skip
def test_pcd_errors(tmp_path: Path, text: str, match: str) -> None:
    (tmp_path / "bad.pcd").write_text(text)
    with pytest.raises(PcdError, match=match):
        read_pcd(tmp_path / "bad.pcd")


def png_size(path: Path) -> tuple[int, int]:
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", raw[16:24])
    # the image data decompresses to h rows of (1 filter byte + 3 * w)
    idat = raw.index(b"IDAT")
    (length,) = struct.unpack(">I", raw[idat - 4 : idat])
    assert len(zlib.decompress(raw[idat + 4 : idat + 4 + length])) == h * (1 + 3 * w)
    return w, h


def test_render_cli_points_pcd_and_map(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pts = sample(2000)
    np.save(tmp_path / "pts.npy", pts)
    assert render_main([str(tmp_path / "pts.npy")]) == 0
    out = capsys.readouterr().out
    png = tmp_path / "pts_heightmap.png"
    assert f"wrote {png.resolve()}" in out and "cells seen" in out
    w, h = png_size(png)
    assert h == 400 and w == 27 * 16 + 8 + 400  # map (17x27 cells at 16 px) | gap | top view

    write_pcd(tmp_path / "c.pcd", pts)
    params = CONFIG_DIR / "h1.yaml"
    assert render_main([str(tmp_path / "c.pcd"), "--params", str(params), "-o",
                        str(tmp_path / "h1.png")]) == 0  # fmt: skip
    assert png_size(tmp_path / "h1.png")[0] == 11 * 16 + 8 + 400

    np.save(tmp_path / "map.npy", np.linspace(0, 1, 459, dtype=np.float32))
    assert render_main([str(tmp_path / "map.npy")]) == 0
    assert png_size(tmp_path / "map_heightmap.png") == (27 * 16, 17 * 16)

    np.save(tmp_path / "junk.npy", np.zeros((5, 5)))
    assert render_main([str(tmp_path / "junk.npy")]) == 1
    assert "neither" in capsys.readouterr().err


@pytest.mark.parametrize("robot", ["go2", "h1", "t1"])
def test_robot_param_files_load(robot: str) -> None:
    cfg = builder_config_from_params(load_params_file(CONFIG_DIR / f"{robot}.yaml"))
    assert cfg.map.grid.size == (459 if robot == "go2" else 187)


def test_go2_file_is_the_navila_layout_with_identity_frames() -> None:
    cfg = builder_config_from_params(load_params_file(CONFIG_DIR / "go2.yaml"))
    m = cfg.map
    assert (m.grid.nx, m.grid.ny, m.grid.resolution) == (17, 27, 0.06)
    assert (m.reduction, m.z_min, m.z_max, m.zero_below, m.empty_value, m.max_filter) == (
        "lowest",
        0.0,
        5.0,
        0.05,
        0.0,
        True,
    )
    # the cloud is in the policy's LiDAR frame: sensor -> grid is the identity
    np.testing.assert_allclose(np.linalg.inv(cfg.grid_in_base) @ cfg.sensor_to_base, np.eye(4),
                               atol=1e-12)  # fmt: skip


def test_bad_params_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        builder_config_from_params({"preset": "spot"})
    with pytest.raises(ValueError, match="unknown heightmap parameters"):
        builder_config_from_params({"preset": "go2", "grid.reslution": 0.1})
    with pytest.raises(ValueError, match="quaternion"):
        builder_config_from_params({"sensor_to_base.rotation_wxyz": [0.0, 0.0, 0.0, 0.0]})
    with pytest.raises(ValueError, match="reduction"):
        builder_config_from_params({"reduction": "median"})
    with pytest.raises(ValueError, match="kernel must be one of"):
        builder_config_from_params({"kernel": "cuda"})


def test_kernel_parameter_picks_the_implementation() -> None:
    assert builder_config_from_params({}).resolved_kernel == "numba"  # a requirement: installed
    assert builder_config_from_params({"kernel": "numpy"}).resolved_kernel == "numpy"


def test_a_file_that_runs_every_node_in_sim_time_loads_the_same_map(tmp_path: Path) -> None:
    """The common `/**: ros__parameters: use_sim_time: true` block reaches every node; the
    loader leaves rclpy's own parameter to rclpy (the builder would refuse a key it does not
    know)."""
    text = (CONFIG_DIR / "go2.yaml").read_text()
    wildcard = "/**:\n  ros__parameters:\n    use_sim_time: true\n\n"
    (tmp_path / "go2.yaml").write_text(wildcard + text)
    want = builder_config_from_params(load_params_file(CONFIG_DIR / "go2.yaml"))
    got = builder_config_from_params(load_params_file(tmp_path / "go2.yaml"))
    assert got.map == want.map and got.grid_in_base.tolist() == want.grid_in_base.tolist()
