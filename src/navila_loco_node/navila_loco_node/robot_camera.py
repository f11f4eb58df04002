"""The robot's own camera through its SDK, for the planner: a Go2 has no ROS camera driver.

NaVILA plans on the robot's RGB frames (/camera/image_raw). A real Go2 serves its front camera
over Unitree's `videohub` RPC service (unitree_sdk2py's VideoClient.GetImageSample: one JPEG per
call), not on ROS. The SDK's CycloneDDS must not share a process with rclpy (DEPLOY_FACTS.md), so
a spawned grabber process (a fresh interpreter, no DDS state inherited) calls the service at
`rate_hz` and hands each answer to the node through a one-slot queue, the newest replacing one
not yet taken; the node process decodes and publishes (navila_loco_node.camera_node). This
package holds it because it owns the robots' SDK backends.

No rclpy here, and the SDK is imported only in the grabber process.
"""

from __future__ import annotations

import contextlib
import io
import math
import multiprocessing
import queue
import signal
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
    """Parent side: starts the grabber process, takes its newest answer, stops it."""

    def __init__(self, params: CameraParams) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue(maxsize=1)
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=grabber_main,
            args=(params, self._queue, self._stop),
            name="navila_camera_grabber",
            daemon=True,
        )
        self._proc.start()

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self._proc.exitcode

    def take(self) -> Grab | None:
        """The newest answer not yet taken, or None."""
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def close(self, timeout: float = 3.0) -> int | None:
        """Stop the grabber (terminated if it does not stop in time); its exit code."""
        self._stop.set()
        with contextlib.suppress(queue.Empty):  # a full queue must not hold the child's feeder
            self._queue.get_nowait()
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout)
        self._queue.close()
        self._queue.cancel_join_thread()
        return self._proc.exitcode


def _offer(out: multiprocessing.Queue, grab: Grab) -> None:
    """Newest wins: an answer the node has not taken yet is replaced."""
    while True:
        try:
            out.put_nowait(grab)
            return
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                out.get_nowait()


def grabber_main(params: CameraParams, out: multiprocessing.Queue, stop) -> None:
    """Child side: GetImageSample at rate_hz on absolute deadlines until `stop` is set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the node decides when the grabber stops
    from unitree_sdk2py.core.channel import ChannelFactoryInitialize
    from unitree_sdk2py.go2.video.video_client import VideoClient

    ChannelFactoryInitialize(params.domain_id, params.network_interface or None)
    client = VideoClient()
    client.SetTimeout(params.timeout_s)
    client.Init()
    period = 1.0 / params.rate_hz
    deadline = time.monotonic()
    while not stop.is_set():
        code, data = client.GetImageSample()
        if code == 0 and not data:
            code = NO_DATA
        _offer(out, Grab(time.monotonic(), int(code), bytes(data) if code == 0 else b""))
        deadline = max(deadline + period, time.monotonic())
        stop.wait(max(0.0, deadline - time.monotonic()))
