"""A small reader/writer for PCL's .pcd files (DATA ascii and binary), xyz only.

Written here rather than taking open3d (hundreds of MB) for one file format. ``binary_compressed``
(LZF) is refused with a clear error: convert such files with ``pcl_convert_pcd_ascii_binary``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_TYPES = {("F", 4): "f4", ("F", 8): "f8"} | {
    (t, size): ("i" if t == "I" else "u") + str(size) for t in "IU" for size in (1, 2, 4, 8)
}


class PcdError(ValueError):
    """A .pcd file this reader cannot use, with the reason."""


def read_pcd(path: str | Path) -> np.ndarray:
    """Return the (N, 3) float32 x, y, z of a .pcd file (NaN points kept)."""
    raw = Path(path).read_bytes()
    header: dict[str, list[str]] = {}
    pos = 0
    while True:
        end = raw.find(b"\n", pos)
        if end < 0:
            raise PcdError(f"{path}: header ends before a DATA line")
        line = raw[pos:end].decode("ascii", errors="replace").strip()
        pos = end + 1
        if not line or line.startswith("#"):
            continue
        key, *vals = line.split()
        header[key.upper()] = vals
        if key.upper() == "DATA":
            break
    try:
        names = header["FIELDS"]
        sizes = [int(v) for v in header["SIZE"]]
        types = [v.upper() for v in header["TYPE"]]
        counts = [int(v) for v in header.get("COUNT", ["1"] * len(names))]
        width = int(header["WIDTH"][0])
        height = int(header.get("HEIGHT", ["1"])[0])
        npts = int(header.get("POINTS", [str(width * height)])[0])
        kind = header["DATA"][0].lower()
    except (KeyError, IndexError, ValueError) as exc:
        raise PcdError(f"{path}: malformed header ({exc})") from exc
    if not (len(names) == len(sizes) == len(types) == len(counts)):
        raise PcdError(f"{path}: FIELDS/SIZE/TYPE/COUNT lengths differ")
    for axis in "xyz":
        if axis not in names:
            raise PcdError(f"{path}: no field {axis!r} (fields: {names})")
    cols: dict[str, int] = {}
    formats: list[tuple[str, str, tuple[int, ...]]] = []
    col = 0
    for name, size, typ, count in zip(names, sizes, types, counts, strict=True):
        code = _TYPES.get((typ, size))
        if code is None:
            raise PcdError(f"{path}: unsupported TYPE {typ} SIZE {size} for field {name!r}")
        cols.setdefault(name, col)
        col += count
        formats.append((f"f{len(formats)}", "<" + code, (count,) if count > 1 else ()))
    if kind == "ascii":
        text = raw[pos:].decode("ascii", errors="replace").split()
        if len(text) < npts * col:
            raise PcdError(f"{path}: {len(text)} values, expected {npts * col}")
        table = np.array(text[: npts * col], dtype=np.float64).reshape(npts, col)
        return np.stack([table[:, cols[a]] for a in "xyz"], axis=1).astype(np.float32)
    if kind == "binary":
        dtype = np.dtype(formats)
        need = npts * dtype.itemsize
        if len(raw) - pos < need:
            raise PcdError(f"{path}: binary data truncated ({len(raw) - pos} of {need} bytes)")
        rec = np.frombuffer(raw, dtype=dtype, count=npts, offset=pos)
        idx = {name: i for i, name in reversed(list(enumerate(names)))}
        return np.stack([rec[f"f{idx[a]}"] for a in "xyz"], axis=1).astype(np.float32)
    raise PcdError(f"{path}: DATA {kind} not supported (use ascii or binary)")


def write_pcd(path: str | Path, points: np.ndarray, binary: bool = True) -> Path:
    """Write (N, 3) points as an unorganised float32 xyz .pcd file."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    n = pts.shape[0]
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\n"
        f"TYPE F F F\nCOUNT 1 1 1\nWIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\n"
        f"DATA {'binary' if binary else 'ascii'}\n"
    )
    path = Path(path)
    with open(path, "wb") as fh:
        fh.write(header.encode("ascii"))
        if binary:
            fh.write(pts.astype("<f4").tobytes())
        else:
            fh.write("".join(f"{x!r} {y!r} {z!r}\n" for x, y, z in pts.tolist()).encode())
    return path
