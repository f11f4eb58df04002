"""Write ROS 2 messages to MCAP files that Foxglove (and `ros2 bag`) open.

Messages are stored exactly as they travel (CDR bytes, e.g. from a raw rclpy subscription or
`rclpy.serialization.serialize_message`), with the `ros2msg` schema built from the installed
`.msg` files, so no message is converted and no definition is hand-written. No rclpy import here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mcap.writer import CompressionType, Writer

PRIMITIVES = frozenset(
    {
        "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16",
        "int32", "uint32", "int64", "uint64", "string", "wstring",
    }
)  # fmt: skip
SEPARATOR = "=" * 80


def _share_dir(package: str) -> Path:
    """share/<package> from AMENT_PREFIX_PATH (a sourced ROS 2) or this Python's prefix (wheels)."""
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in [*prefixes, sys.prefix]:
        candidate = Path(prefix) / "share" / package
        if (candidate / "package.xml").is_file() or (candidate / "msg").is_dir():
            return candidate
    raise FileNotFoundError(f"message package '{package}' not found in {[*prefixes, sys.prefix]}")


def _msg_file(type_name: str, share_dir: Callable[[str], Path]) -> Path:
    pkg, _, name = (
        type_name.partition("/msg/") if "/msg/" in type_name else type_name.partition("/")
    )
    return share_dir(pkg) / "msg" / f"{name}.msg"


def _dependencies(text: str, package: str) -> list[str]:
    """Complex field types a .msg text uses, as 'pkg/Type', in order of appearance."""
    deps: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        tokens = line.split(None, 1)
        if len(tokens) < 2 or re.match(r"^\w+\s*=", tokens[1]):
            continue  # blank, comment, or a constant "type NAME=value"
        type_token = tokens[0]
        base = re.sub(r"\[.*\]$", "", type_token)
        base = re.sub(r"<=\d+$", "", base)
        if base in PRIMITIVES:
            continue
        full = base if "/" in base else f"{package}/{base}"
        if full not in deps:
            deps.append(full)
    return deps


def message_definition(type_name: str, share_dir: Callable[[str], Path] = _share_dir) -> str:
    """The full ros2msg definition of e.g. 'geometry_msgs/msg/Twist' with all nested types."""
    norm = type_name.replace("/msg/", "/")
    main = _msg_file(norm, share_dir).read_text()
    seen: list[str] = []
    queue = _dependencies(main, norm.split("/")[0])
    while queue:
        dep = queue.pop(0)
        if dep in seen:
            continue
        seen.append(dep)
        queue.extend(_dependencies(_msg_file(dep, share_dir).read_text(), dep.split("/")[0]))
    parts = [main.rstrip("\n")]
    for dep in seen:
        text = _msg_file(dep, share_dir).read_text().rstrip("\n")
        parts.append(f"{SEPARATOR}\nMSG: {dep}\n{text}")
    return "\n".join(parts) + "\n"


class McapRosWriter:
    """MCAP writer for ROS 2 CDR messages; one channel per topic."""

    def __init__(self, path: str | Path, share_dir: Callable[[str], Path] = _share_dir) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._writer = Writer(self._fh, compression=CompressionType.ZSTD)
        self._writer.start(profile="ros2", library="navila_bringup")
        self._share_dir = share_dir
        self._schemas: dict[str, int] = {}
        self._channels: dict[str, int] = {}
        self._seq: dict[str, int] = {}
        self.count = 0

    def add_topic(self, topic: str, type_name: str) -> None:
        """type_name like 'geometry_msgs/msg/Twist'."""
        if topic in self._channels:
            return
        full = type_name if "/msg/" in type_name else type_name.replace("/", "/msg/", 1)
        if full not in self._schemas:
            text = message_definition(full, self._share_dir).encode()
            self._schemas[full] = self._writer.register_schema(full, "ros2msg", text)
        self._channels[topic] = self._writer.register_channel(topic, "cdr", self._schemas[full])
        self._seq[topic] = 0

    def write(
        self, topic: str, data: bytes, log_time_ns: int, publish_time_ns: int | None = None
    ) -> None:
        self._writer.add_message(
            channel_id=self._channels[topic],
            log_time=log_time_ns,
            data=data,
            publish_time=log_time_ns if publish_time_ns is None else publish_time_ns,
            sequence=self._seq[topic],
        )
        self._seq[topic] += 1
        self.count += 1

    def close(self) -> None:
        if not self._fh.closed:
            self._writer.finish()
            self._fh.close()

    def __enter__(self) -> McapRosWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
