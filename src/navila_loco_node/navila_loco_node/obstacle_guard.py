"""Hold the forward command in front of what the robot cannot step onto (no rclpy, no clocks).

heightmap_node measures the free distance straight ahead from each LiDAR scan
(`heightmap_node.clearance`: +inf free, NaN unseen, else metres from the base origin). The
planner speaks at 1-2 Hz and may say "move forward 1 m" towards a wall; the policy tracks
velocities and does not steer. This guard sits between them in navila_loco: the forward speed
is scaled down linearly from `slow_m` of clearance to zero at `stop_m`, and held at zero there.
Turning and standing are untouched (the robot can turn away), and a backward command is never
limited. No fresh clearance (none yet, older than `timeout_s`, or NaN: the sensor saw nothing
ahead) holds forward motion too: never walking on a guess.

`mode`: `always` (the bring-up then starts heightmap_node for any policy), `never`, or `auto`:
on exactly when the policy reads the height map, i.e. where the LiDAR pipeline runs anyway.
(Not on/off: YAML 1.1 reads those as booleans, and a params file would hand the node a bool.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GUARD_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class ObstacleGuardConfig:
    mode: str = "never"
    stop_m: float = 0.55  # forward held at or below this clearance (from the base origin), m
    slow_m: float = 0.95  # full forward speed allowed from here on, m
    timeout_s: float = 0.5  # clearance older than this counts as none

    def __post_init__(self) -> None:
        if self.mode not in GUARD_MODES:
            raise ValueError(f"safety.obstacle_guard must be one of {GUARD_MODES}: {self.mode!r}")
        if not (math.isfinite(self.stop_m) and math.isfinite(self.slow_m)):
            raise ValueError("safety.obstacle_stop_m and obstacle_slow_m must be finite")
        if not 0 <= self.stop_m < self.slow_m:
            raise ValueError(
                f"safety.obstacle_stop_m ({self.stop_m}) must be >= 0 and below "
                f"safety.obstacle_slow_m ({self.slow_m})"
            )
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError(f"safety.obstacle_timeout_s must be > 0, got {self.timeout_s}")

    def active(self, policy_sees_height_map: bool) -> bool:
        return self.mode == "always" or (self.mode == "auto" and policy_sees_height_map)


class ObstacleGuard:
    """The newest clearance and the forward-speed factor it allows (0..1)."""

    def __init__(self, config: ObstacleGuardConfig, active: bool) -> None:
        self.config = config
        self.active = active
        self.clearance: float | None = None
        self.stamp: float | None = None
        self.factor = 0.0 if active else 1.0
        self.holding = active  # forward held (factor 0)
        self.reason = "no clearance received yet" if active else ""

    def set_clearance(self, value: float, stamp: float) -> None:
        self.clearance, self.stamp = float(value), stamp

    def update(self, now: float) -> str | None:
        """Recompute the factor; a log line when forward motion starts or stops being held."""
        if not self.active:
            return None
        c = self.config
        value = self.clearance
        if value is None or self.stamp is None:
            factor, reason = 0.0, "no clearance received yet"
        elif now - self.stamp > c.timeout_s:
            factor, reason = 0.0, f"clearance stale (> {c.timeout_s:g} s)"
        elif math.isnan(value):
            factor, reason = 0.0, "nothing seen ahead (clearance unknown)"
        else:
            factor = min(1.0, max(0.0, (value - c.stop_m) / (c.slow_m - c.stop_m)))
            reason = f"obstacle {value:.2f} m ahead" if factor == 0.0 else ""
        self.factor = factor
        was, self.holding = self.holding, factor == 0.0
        kind_changed = reason.split(" ")[0] != self.reason.split(" ")[0]
        self.reason = reason
        if self.holding and (not was or kind_changed):
            return f"forward motion held: {reason}"
        if was and not self.holding:
            return "forward motion released: the way ahead is clear"
        return None

    def limit_vx(self, vx: float) -> float:
        return vx * self.factor if vx > 0 else vx

    def status(self) -> dict[str, object]:
        if not self.active:
            return {"active": False}
        value = self.clearance
        shown: float | str | None = None  # JSON has no inf/NaN
        if value is not None and not math.isnan(value):
            shown = "free" if math.isinf(value) else round(value, 3)
        return {
            "active": True,
            "clearance_m": shown,
            "forward_factor": round(self.factor, 3),
            "holding": self.holding,
            "reason": self.reason,
        }
