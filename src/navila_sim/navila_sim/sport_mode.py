"""The robot's own sport controller, as Unitree's motion switcher service shows it over DDS.

A real Go2 boots into Unitree's sport (walking) controller; a low-level controller must release
it through the `motion_switcher` RPC service (MotionSwitcherClient: CheckMode, ReleaseMode,
SelectMode) before its LowCmd_ reach the motors, or the two fight (DEPLOY_FACTS.md).
`navila_sim.unitree_sim --sport-mode normal` plays that robot: this service answers the
client's calls, and while a mode is active the simulator applies no LowCmd_ (counted), so a
bring-up that forgets to release it is seen standing still, as on the robot.

`SportMode` is the state (thread-safe, no DDS); `serve` puts it on the SDK's RPC server. The
SDK import stays inside `serve`: this module imports without unitree_sdk2py.
"""

from __future__ import annotations

import json
import threading
from typing import Any


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


def serve(mode: SportMode) -> Any:
    """Start the `motion_switcher` RPC service for `mode` on the process's DDS domain (after
    ChannelFactoryInitialize). Returns the server; it answers on the SDK's threads until the
    process ends. Error code 7001 (the service's "request parameter error") for a bad call."""
    from unitree_sdk2py.comm.motion_switcher import motion_switcher_api as api
    from unitree_sdk2py.rpc.server import Server

    def check(_: str) -> tuple[int, str]:
        return 0, json.dumps(mode.check())

    def release(_: str) -> tuple[int, str]:
        mode.release()
        return 0, ""

    def select(parameter: str) -> tuple[int, str]:
        try:
            mode.select(str(json.loads(parameter).get("name", "")))
        except (ValueError, AttributeError):
            return 7001, ""
        return 0, ""

    class MotionSwitcherServer(Server):
        def Init(self) -> None:  # noqa: N802 - the SDK's method name
            self._SetApiVersion(api.MOTION_SWITCHER_API_VERSION)
            self._RegistHandler(api.MOTION_SWITCHER_API_ID_CHECK_MODE, check, False)
            self._RegistHandler(api.MOTION_SWITCHER_API_ID_RELEASE_MODE, release, False)
            self._RegistHandler(api.MOTION_SWITCHER_API_ID_SELECT_MODE, select, False)

    server = MotionSwitcherServer(api.MOTION_SWITCHER_SERVICE_NAME)
    server.Init()
    server.Start(False)
    return server
