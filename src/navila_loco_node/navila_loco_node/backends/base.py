"""The one small interface every robot backend offers (no rclpy, no vendor SDK here).

Joint backends (ROS topics for the sims, Unitree SDK) take PD targets per joint; velocity
backends (Booster's walking controller) take a mode and (vx, vy, wz). The node talks to this
interface only, so it never knows which robot it drives.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from navila_loco_node.types import JointCommand, RobotState


@runtime_checkable
class JointBackend(Protocol):
    kind: str

    def read_state(self) -> RobotState | None:
        """The newest state in policy joint order, or None before the first message."""
        ...

    def write_command(self, cmd: JointCommand) -> None:
        """Send PD targets (policy joint order)."""
        ...

    def damp(self) -> None:
        """Send a damping command now (kp = 0, kd = damping)."""
        ...

    def close(self) -> None:
        """Damp, deliver, release resources."""
        ...


@runtime_checkable
class VelocityBackend(Protocol):
    kind: str

    def read_state(self) -> RobotState | None: ...

    def set_mode(self, mode: str) -> None:
        """Supervisor mode -> vendor mode (passive, stand_up, walk, damp)."""
        ...

    def move(self, vx: float, vy: float, wz: float) -> None: ...

    def damp(self) -> None: ...

    def close(self) -> None: ...
