"""The robot's own camera through its SDK, for the planner: a Go2 has no ROS camera driver.

NaVILA plans on the robot's RGB frames (/camera/image_raw). A real Go2 serves its front camera
over Unitree's `videohub` RPC service (unitree_sdk2py's VideoClient.GetImageSample: one JPEG per
call), not on ROS. The SDK's CycloneDDS must not share a process with rclpy (DEPLOY_FACTS.md), so
a spawned grabber process (a fresh interpreter, no DDS state inherited) calls the service at
`rate_hz` and hands each answer to the node through a pipe, of which the node keeps the newest;
the node process decodes and publishes (navila_loco_node.camera_node). This
package holds it because it owns the robots' SDK backends.

No rclpy here, and the SDK is imported only in the grabber process.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass, field

import numpy as np

# The grabber's answer when the service answered with no data (code 0 but nothing in it).
NO_DATA = -1


@dataclass(frozen=True)
class CameraParams:
    network_interface: str = ""  # '' = the SDK's default interface
    domain_id: int = 0  # the robot's DDS domain (Unitree's simulators: 1)
    rate_hz: float = 5.0  # GetImageSample calls per second (the planner samples 1-2 Hz)
    timeout_s: float = 1.0  # one call's RPC timeout
    stale_s: float = 1.0  # no frame for this long: the camera is reported not ok

    def __post_init__(self) -> None:
        for name in ("rate_hz", "timeout_s", "stale_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"camera {name} must be finite and > 0, got {value}")
        if self.domain_id < 0:
            raise ValueError(f"camera domain_id must be >= 0, got {self.domain_id}")


@dataclass(frozen=True)
class Grab:
    """One GetImageSample answer: code 0 and the JPEG bytes, or the error code."""

    t: float  # time.monotonic() when the answer came
    code: int
    jpeg: bytes = b""


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG (or any image Pillow reads) -> (H, W, 3) uint8 RGB. ValueError for anything else:
    a garbled frame is reported, never published."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValueError("empty image data")
    try:
        with Image.open(io.BytesIO(data)) as img:
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"not a decodable image ({len(data)} bytes): {exc}") from None
    if rgb.ndim != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"image of shape {rgb.shape}")
    return rgb


@dataclass
class CameraHealth:
    """Counters and the verdict the node publishes: ok while frames keep coming."""

    stale_s: float
    frames: int = 0
    errors: int = 0
    last_frame_t: float | None = None
    last_error: str = ""
    shape: tuple[int, ...] = field(default_factory=tuple)

    def on_frame(self, t: float, shape: tuple[int, ...]) -> None:
        self.frames += 1
        self.last_frame_t, self.shape = t, tuple(shape)

    def on_error(self, text: str) -> None:
        self.errors += 1
        self.last_error = text

    def ok(self, now: float) -> bool:
        return self.last_frame_t is not None and now - self.last_frame_t <= self.stale_s

    def status(self, now: float) -> dict[str, object]:
        age = None if self.last_frame_t is None else round(now - self.last_frame_t, 3)
        return {
            "ok": self.ok(now),
            "frames": self.frames,
            "errors": self.errors,
            "age_s": age,
            "shape": list(self.shape),
            "last_error": self.last_error,
        }


class CameraGrabber:
    """Parent side: starts the grabber process, keeps its newest answer, stops it.

    Answers come through a one-way pipe read by a thread of ours, which keeps only the newest:
    a grabber killed in the middle of a message then ends the thread with EOF (the write end
    lives only in the child), where a multiprocessing.Queue would leave its reader blocked on
    the half-sent message for good."""

    def __init__(self, params: CameraParams) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=grabber_main,
            args=(params, send),
            name="navila_camera_grabber",
            daemon=True,
        )
        self._proc.start()
        send.close()  # the child's end: its death is then EOF here
        self._lock = threading.Lock()
        self._newest: Grab | None = None
        self._reader = threading.Thread(target=self._read, name="camera-grabber", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                grab = self._conn.recv()
            except (EOFError, OSError):  # the grabber is gone (or we closed the pipe)
                return
            with self._lock:
                self._newest = grab

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self._proc.exitcode

    def take(self) -> Grab | None:
        """The newest answer not yet taken, or None."""
        with self._lock:
            grab, self._newest = self._newest, None
        return grab

    def close(self, timeout: float = 3.0) -> int | None:
        """Stop the grabber (SIGTERM: it holds nothing to clean up; SIGKILL if it lingers);
        its exit code. No cross-process Event or lock: a grabber killed while holding one would
        leave the node blocked on it for good."""
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout)
        self._reader.join(timeout)  # EOF once the child is gone
        self._conn.close()
        return self._proc.exitcode


def grabber_main(params: CameraParams, out) -> None:
    """Child side: GetImageSample at rate_hz on absolute deadlines until terminated, or until
    the node is gone (the pipe breaks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the node decides when the grabber stops
    from unitree_sdk2py.core.channel import ChannelFactoryInitialize
    from unitree_sdk2py.go2.video.video_client import VideoClient

    ChannelFactoryInitialize(params.domain_id, params.network_interface or None)
    client = VideoClient()
    client.SetTimeout(params.timeout_s)
    client.Init()
    period = 1.0 / params.rate_hz
    deadline = time.monotonic()
    while True:
        code, data = client.GetImageSample()
        if code == 0 and not data:
            code = NO_DATA
        try:
            out.send(Grab(time.monotonic(), int(code), bytes(data) if code == 0 else b""))
        except (BrokenPipeError, OSError):
            return
        deadline = max(deadline + period, time.monotonic())
        time.sleep(max(0.0, deadline - time.monotonic()))
