"""The robot's own RPC services, as Unitree's SDK clients see them over DDS, for unitree_sim.

- `motion_switcher` (MotionSwitcherClient: CheckMode, ReleaseMode, SelectMode): a real Go2 boots
  into Unitree's sport (walking) controller; a low-level controller must release it before its
  LowCmd_ reach the motors, or the two fight (DEPLOY_FACTS.md). `SportMode` is that state:
  `navila_sim.unitree_sim --sport-mode normal` plays the robot at boot, and while a mode is
  active the simulator applies no LowCmd_ (counted), so a bring-up that forgets to release it
  is seen standing still, as on the robot.
- `videohub` (the Go2's VideoClient.GetImageSample: one JPEG of the front camera per call):
  `VideoHub` holds the newest frame the simulator rendered (`--camera`).

The state classes are thread-safe and need no DDS; `serve_*` put them on the SDK's RPC server
(imported there: this module imports without unitree_sdk2py).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

BAD_PARAMETER = 7001  # the motion switcher's "request parameter error"
NO_FRAME_YET = 3001  # videohub: asked before the first frame (a code of this module's own)


class SportMode:
    """Which controller owns the motors: a mode name ('normal', 'ai', ...) or '' (released)."""

    def __init__(self, name: str = "") -> None:
        self._lock = threading.Lock()
        self._name = name
        self.releases = 0  # ReleaseMode calls answered

    @property
    def name(self) -> str:
        with self._lock:
            return self._name

    @property
    def active(self) -> bool:
        return bool(self.name)

    def check(self) -> dict[str, str]:
        """CheckMode's answer: the robot's form ('0': the standard body) and the mode's name."""
        return {"form": "0", "name": self.name}

    def release(self) -> None:
        with self._lock:
            self._name = ""
            self.releases += 1

    def select(self, name: str) -> None:
        if not name:
            raise ValueError("SelectMode needs a mode name")
        with self._lock:
            self._name = name


class VideoHub:
    """The newest camera frame as the robot's video service hands it out: JPEG bytes."""

    def __init__(self, quality: int = 85) -> None:
        self._lock = threading.Lock()
        self._jpeg = b""
        self.quality = quality
        self.frames = 0  # frames put in
        self.requests = 0  # GetImageSample calls answered

    def put(self, rgb: np.ndarray) -> None:
        """Encode an (H, W, 3) uint8 RGB frame; it replaces the previous one."""
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(
            buf, format="JPEG", quality=self.quality
        )
        with self._lock:
            self._jpeg = buf.getvalue()
            self.frames += 1

    def sample(self) -> tuple[int, bytes]:
        """GetImageSample's answer: (0, JPEG) or (NO_FRAME_YET, b'') before the first frame."""
        with self._lock:
            self.requests += 1
            return (0, self._jpeg) if self._jpeg else (NO_FRAME_YET, b"")


def _start(
    service: str,
    version: str,
    handlers: dict[int, Callable[[str], tuple[int, str]]],
    binary: dict[int, Callable[[list], tuple[int, list]]],
) -> Any:
    """An SDK RPC server for `service` answering with these handlers (api id -> handler)."""
    from unitree_sdk2py.rpc.server import Server

    class _Server(Server):
        def Init(self) -> None:  # noqa: N802 - the SDK's method name
            # The SDK (1.0.x) starts its set of binary API ids as a dict, which has no .add():
            # registering a binary handler would raise. Give it the set it means.
            self._Server__apiBinarySet = set()
            self._SetApiVersion(version)
            for api, fn in handlers.items():
                self._RegistHandler(api, fn, False)
            for api, fn in binary.items():
                self._RegistBinaryHandler(api, fn, False)

    server = _Server(service)
    server.Init()
    server.Start(False)
    return server


def serve_motion_switcher(mode: SportMode) -> Any:
    """The `motion_switcher` service for `mode` on the process's DDS domain (after
    ChannelFactoryInitialize); it answers on the SDK's threads until the process ends."""
    from unitree_sdk2py.comm.motion_switcher import motion_switcher_api as api

    def check(_: str) -> tuple[int, str]:
        return 0, json.dumps(mode.check())

    def release(_: str) -> tuple[int, str]:
        mode.release()
        return 0, ""

    def select(parameter: str) -> tuple[int, str]:
        try:
            mode.select(str(json.loads(parameter).get("name", "")))
        except (ValueError, AttributeError):
            return BAD_PARAMETER, ""
        return 0, ""

    return _start(
        api.MOTION_SWITCHER_SERVICE_NAME,
        api.MOTION_SWITCHER_API_VERSION,
        {
            api.MOTION_SWITCHER_API_ID_CHECK_MODE: check,
            api.MOTION_SWITCHER_API_ID_RELEASE_MODE: release,
            api.MOTION_SWITCHER_API_ID_SELECT_MODE: select,
        },
        {},
    )


def serve_videohub(hub: VideoHub) -> Any:
    """The Go2's `videohub` service: GetImageSample answers the newest JPEG as bytes."""
    from unitree_sdk2py.go2.video import video_api as api

    def sample(_: list) -> tuple[int, list]:
        code, jpeg = hub.sample()
        return code, list(jpeg)

    return _start(
        api.VIDEO_SERVICE_NAME,
        api.VIDEO_API_VERSION,
        {},
        {api.VIDEO_API_ID_GETIMAGESAMPLE: sample},
    )
