"""PointCloud2 payload -> N x 3 float32 xyz, with NumPy strided views (no rclpy, no per-point loop).

Takes plain values (the raw bytes, the field list, the layout numbers) so it is unit-tested without
ROS. Every way a message can be malformed raises :class:`PointCloudError` with a ``code`` and a
message that says what is wrong, so the node logs it, skips the message and stays up.

Supported: x, y, z as FLOAT32 or FLOAT64 at any offsets, any ``point_step`` (extra fields are
ignored), padded rows (``row_step > width * point_step``), organised clouds (height > 1), NaN
points (``is_dense: false``; dropped later by the builder). Refused: big-endian payloads (no
robot LiDAR driver emits them; the flag on a little-endian robot means a corrupt or foreign
message), missing/duplicate/overlapping or non-float xyz fields, truncated data, absurd sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# sensor_msgs/PointField datatype constants
INT8, UINT8, INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64 = range(1, 9)
DATATYPE_SIZE = {
    INT8: 1,
    UINT8: 1,
    INT16: 2,
    UINT16: 2,
    INT32: 4,
    UINT32: 4,
    FLOAT32: 4,
    FLOAT64: 8,
}
DATATYPE_NAME = {
    INT8: "INT8",
    UINT8: "UINT8",
    INT16: "INT16",
    UINT16: "UINT16",
    INT32: "INT32",
    UINT32: "UINT32",
    FLOAT32: "FLOAT32",
    FLOAT64: "FLOAT64",
}
MAX_POINT_STEP = 4096  # bytes; real drivers use 16..64


class PointCloudError(ValueError):
    """A PointCloud2 that cannot be decoded. ``code`` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Field:
    """One sensor_msgs/PointField, as plain values."""

    name: str
    offset: int
    datatype: int
    count: int = 1


def decode_xyz(
    data: bytes | bytearray | memoryview | Sequence[int] | np.ndarray,
    fields: Sequence[Field],
    *,
    width: int,
    height: int,
    point_step: int,
    row_step: int,
    is_bigendian: bool = False,
    max_points: int = 2_000_000,
) -> np.ndarray:
    """Return an (N, 3) float32 array of x, y, z (a copy; NaN points kept)."""
    if is_bigendian:
        raise PointCloudError(
            "big_endian", "is_bigendian is true; only little-endian clouds are accepted"
        )
    for name, v in (("width", width), ("height", height), ("point_step", point_step)):
        if int(v) != v or v < 0:
            raise PointCloudError("bad_size", f"{name} must be a non-negative integer, got {v}")
    if int(row_step) != row_step or row_step < 0:
        raise PointCloudError(
            "bad_size", f"row_step must be a non-negative integer, got {row_step}"
        )
    n = int(width) * int(height)
    if n > max_points:
        raise PointCloudError(
            "too_many_points", f"{width} x {height} = {n} points exceeds max_points {max_points}"
        )
    if point_step <= 0 or point_step > MAX_POINT_STEP:
        raise PointCloudError(
            "bad_point_step", f"point_step {point_step} not in 1..{MAX_POINT_STEP}"
        )
    if row_step < width * point_step:
        raise PointCloudError(
            "bad_row_step", f"row_step {row_step} < width {width} * point_step {point_step}"
        )

    dtype = _xyz_dtype(fields, point_step)
    buf = _as_buffer(data)
    if n == 0:
        return np.empty((0, 3), dtype=np.float32)
    needed = (height - 1) * row_step + width * point_step
    if len(buf) < needed:
        raise PointCloudError(
            "truncated",
            f"data has {len(buf)} bytes, {width}x{height} points at point_step {point_step}, "
            f"row_step {row_step} need {needed}",
        )
    view = np.ndarray(
        shape=(height, width), dtype=dtype, buffer=buf, offset=0, strides=(row_step, point_step)
    )
    out = np.empty((n, 3), dtype=np.float32)
    for i, axis in enumerate("xyz"):
        out[:, i] = view[axis].reshape(-1)
    return out


def _as_buffer(data: object) -> memoryview:
    if isinstance(data, np.ndarray):
        return memoryview(np.ascontiguousarray(data).view(np.uint8).reshape(-1))
    if isinstance(data, (bytes, bytearray, memoryview)):
        return memoryview(data).cast("B")
    try:  # array.array('B') from rclpy, or another buffer-protocol object
        return memoryview(data).cast("B")  # type: ignore[arg-type]
    except TypeError:
        pass
    if isinstance(data, (list, tuple)):
        try:
            return memoryview(bytes(data))
        except (TypeError, ValueError) as exc:
            raise PointCloudError("bad_data", f"data is not a list of bytes: {exc}") from exc
    raise PointCloudError("bad_data", f"data is a {type(data).__name__}, not a byte buffer")


def _xyz_dtype(fields: Sequence[Field], point_step: int) -> np.dtype:
    by_name: dict[str, Field] = {}
    for f in fields:
        if f.name in ("x", "y", "z"):
            if f.name in by_name:
                raise PointCloudError("duplicate_field", f"field {f.name!r} appears twice")
            by_name[f.name] = f
    missing = [a for a in "xyz" if a not in by_name]
    if missing:
        names = [f.name for f in fields]
        raise PointCloudError("missing_field", f"no field {missing} (fields present: {names})")
    formats, offsets = [], []
    spans: list[tuple[int, int, str]] = []
    for axis in "xyz":
        f = by_name[axis]
        if f.datatype not in (FLOAT32, FLOAT64):
            kind = DATATYPE_NAME.get(f.datatype, f"unknown({f.datatype})")
            raise PointCloudError(
                "bad_datatype", f"field {axis!r} is {kind}; x, y, z must be FLOAT32 or FLOAT64"
            )
        if f.count != 1:
            raise PointCloudError("bad_count", f"field {axis!r} has count {f.count}, expected 1")
        size = DATATYPE_SIZE[f.datatype]
        if f.offset < 0 or f.offset + size > point_step:
            raise PointCloudError(
                "bad_offset",
                f"field {axis!r} at offset {f.offset} (+{size} bytes) lies outside point_step "
                f"{point_step}",
            )
        for lo, hi, other in spans:
            if f.offset < hi and lo < f.offset + size:
                raise PointCloudError(
                    "overlapping_fields", f"fields {other!r} and {axis!r} overlap"
                )
        spans.append((f.offset, f.offset + size, axis))
        formats.append("<f4" if f.datatype == FLOAT32 else "<f8")
        offsets.append(f.offset)
    return np.dtype(
        {"names": ["x", "y", "z"], "formats": formats, "offsets": offsets, "itemsize": point_step}
    )


def encode_xyz(
    points: np.ndarray,
    extra_fields: int = 0,
    dtype: str = "<f4",
) -> tuple[bytes, list[Field], int]:
    """Pack N x 3 points (plus ``extra_fields`` float32 padding fields) little-endian.

    Returns (data, fields, point_step). Used by tests, the benchmark and simulators.
    """
    pts = np.asarray(points)
    size = np.dtype(dtype).itemsize
    datatype = FLOAT32 if size == 4 else FLOAT64
    fields = [Field(a, i * size, datatype) for i, a in enumerate("xyz")]
    step = 3 * size
    names, formats, offsets = ["x", "y", "z"], [dtype] * 3, [0, size, 2 * size]
    for k in range(extra_fields):
        name = "intensity" if k == 0 else f"extra{k}"
        fields.append(Field(name, step, FLOAT32))
        names.append(name)
        formats.append("<f4")
        offsets.append(step)
        step += 4
    rec = np.zeros(
        pts.shape[0],
        dtype=np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": step}),
    )
    for i, a in enumerate("xyz"):
        rec[a] = pts[:, i]
    return rec.tobytes(), fields, step
