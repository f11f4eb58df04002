"""PointCloud2 decoding from raw bytes: layouts that must work, messages that must be refused."""

from __future__ import annotations

import array

import numpy as np
import pytest

from heightmap_node.pointcloud import (
    FLOAT32,
    FLOAT64,
    UINT16,
    Field,
    PointCloudError,
    decode_xyz,
    encode_xyz,
)


def cloud(n: int = 50, seed: int = 0) -> np.ndarray:
    pts = np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)
    pts[3] = np.nan  # is_dense false: NaN points are passed through (dropped by the builder)
    return pts


def decode(data, fields, n, step, **kw):
    return decode_xyz(data, fields, width=n, height=1, point_step=step, row_step=n * step, **kw)


def test_plain_xyz_and_extra_fields() -> None:
    pts = cloud()
    for extra in (0, 1, 3):
        data, fields, step = encode_xyz(pts, extra_fields=extra)
        out = decode(data, fields, len(pts), step)
        assert out.dtype == np.float32 and out.shape == pts.shape
        np.testing.assert_array_equal(out, pts)
    # rclpy hands the payload over as array.array('B')
    data, fields, step = encode_xyz(pts, extra_fields=1)
    np.testing.assert_array_equal(decode(array.array("B", data), fields, len(pts), step), pts)


def test_any_offsets_float64_and_padding() -> None:
    pts = cloud(20)
    # Ouster-like: 48-byte points, z first, then an int field, then x, y as float64
    dt = np.dtype(
        {
            "names": ["z", "ring", "x", "y"],
            "formats": ["<f4", "<u2", "<f8", "<f8"],
            "offsets": [0, 4, 16, 32],
            "itemsize": 48,
        }
    )
    rec = np.zeros(len(pts), dt)
    rec["x"], rec["y"], rec["z"] = pts[:, 0], pts[:, 1], pts[:, 2]
    fields = [
        Field("z", 0, FLOAT32),
        Field("ring", 4, UINT16),
        Field("x", 16, FLOAT64),
        Field("y", 32, FLOAT64),
    ]
    np.testing.assert_array_equal(decode(rec.tobytes(), fields, len(pts), 48), pts)


def test_organised_cloud_with_row_padding() -> None:
    pts = cloud(24)
    data, fields, step = encode_xyz(pts)
    rows = [data[r * 6 * step : (r + 1) * 6 * step] + b"\xab" * 8 for r in range(4)]
    out = decode_xyz(b"".join(rows), fields, width=6, height=4, point_step=step,
                     row_step=6 * step + 8)  # fmt: skip
    np.testing.assert_array_equal(out, pts)


def test_empty_cloud() -> None:
    _, fields, step = encode_xyz(np.empty((0, 3)))
    assert decode(b"", fields, 0, step).shape == (0, 3)


XYZ = [Field("x", 0, FLOAT32), Field("y", 4, FLOAT32), Field("z", 8, FLOAT32)]


@pytest.mark.parametrize(
    ("fields", "kwargs", "code"),
    [
        ([Field("x", 0, FLOAT32), Field("y", 4, FLOAT32)], {}, "missing_field"),
        ([Field("a", 0, FLOAT32), Field("b", 4, FLOAT32), Field("c", 8, FLOAT32)], {},
         "missing_field"),
        ([*XYZ[:2], Field("z", 8, UINT16)], {}, "bad_datatype"),
        ([*XYZ[:2], Field("z", 8, 42)], {}, "bad_datatype"),
        ([*XYZ[:2], Field("z", 8, FLOAT32, count=3)], {}, "bad_count"),
        ([*XYZ[:2], Field("z", 10, FLOAT32)], {}, "bad_offset"),
        ([*XYZ[:2], Field("z", 2, FLOAT32)], {}, "overlapping_fields"),
        ([*XYZ, Field("x", 0, FLOAT32)], {}, "duplicate_field"),
        (XYZ, {"is_bigendian": True}, "big_endian"),
        (XYZ, {"point_step": 0}, "bad_point_step"),
        (XYZ, {"point_step": 100_000}, "bad_point_step"),
        (XYZ, {"row_step": 10}, "bad_row_step"),
        (XYZ, {"width": 10_000_000}, "too_many_points"),
        (XYZ, {"width": -3}, "bad_size"),
        (XYZ, {"data": b"\x00" * 100}, "truncated"),
        (XYZ, {"data": 12345}, "bad_data"),
    ],
)  # fmt: skip
def test_malformed_clouds_raise_typed_errors(fields, kwargs, code) -> None:
    data, _, _ = encode_xyz(cloud(10))
    args = {"width": 10, "height": 1, "point_step": 12, "row_step": 120, "data": data}
    args.update(kwargs)
    if "row_step" not in kwargs and "point_step" in kwargs:
        args["row_step"] = args["width"] * max(args["point_step"], 0)
    payload = args.pop("data")
    with pytest.raises(PointCloudError) as info:
        decode_xyz(payload, fields, **args)
    assert info.value.code == code
    assert code in str(info.value) and len(str(info.value)) > len(code) + 10
    assert isinstance(info.value, ValueError)
