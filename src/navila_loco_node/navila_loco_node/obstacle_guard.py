"""Hold the velocity command short of what the robot would strike (no rclpy, no clocks).

heightmap_node measures, from each LiDAR scan, the free distance straight ahead and the distance
to the nearest obstacle in any direction (`heightmap_node.clearance`: +inf free, NaN unseen,
else metres from the base origin). The planner speaks at 1-2 Hz and may say "move forward 1 m"
towards a wall or "turn left 90 degrees" between two boxes; the policy tracks velocities and does
not steer. This guard sits between them in navila_loco:

* forward: the speed is scaled down linearly from `slow_m` of clearance ahead to zero at
  `stop_m`, and held at zero there (until the clearance is `hysteresis_m` more). A backward
  command is never limited.
* turning: held (zero yaw rate) while an obstacle is nearer than `turn_stop_m` in any direction,
  the circle the body's corners sweep when it turns in place (0 = never held; released past
  `turn_stop_m + hysteresis_m`). The robot may
  still walk forward out of the tight spot where the way ahead is free.

No fresh clearance (none yet, older than `timeout_s`, or NaN: the sensor saw nothing) holds
both: never moving on a guess.

`mode`: `always` (the bring-up then starts heightmap_node for any policy), `never`, or `auto`:
on exactly when the policy reads the height map, i.e. where the LiDAR pipeline runs anyway (a
blind policy is the fallback for a LiDAR that fails: it must not depend on it).
(Not on/off: YAML 1.1 reads those as booleans, and a params file would hand the node a bool.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from navila_common.distances import json_distance

GUARD_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class ObstacleGuardConfig:
    mode: str = "never"
    stop_m: float = 0.55  # forward held at or below this clearance ahead (from the base origin), m
    slow_m: float = 0.95  # full forward speed allowed from here on, m
    turn_stop_m: float = 0.0  # turning held with an obstacle this near around (0: never), m
    hysteresis_m: float = 0.05  # a hold ends only this far beyond where it began, m
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
        if not (math.isfinite(self.turn_stop_m) and self.turn_stop_m >= 0):
            raise ValueError(f"safety.obstacle_turn_stop_m must be >= 0, got {self.turn_stop_m}")
        if not (math.isfinite(self.hysteresis_m) and self.hysteresis_m >= 0):
            raise ValueError(f"safety.obstacle_hysteresis_m must be >= 0, got {self.hysteresis_m}")
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError(f"safety.obstacle_timeout_s must be > 0, got {self.timeout_s}")

    def active(self, policy_sees_height_map: bool) -> bool:
        return self.mode == "always" or (self.mode == "auto" and policy_sees_height_map)


class ObstacleGuard:
    """The newest clearances and the forward-speed factor (0..1) and turn hold they allow."""

    def __init__(self, config: ObstacleGuardConfig, active: bool) -> None:
        self.config = config
        self.active = active
        self.ahead: float | None = None
        self.around: float | None = None
        self.stamp: float | None = None
        self.factor = 0.0 if active else 1.0
        self.reason = "no clearance received yet" if active else ""
        self.turn_reason = self.reason if active and config.turn_stop_m > 0 else ""

    @property
    def holding(self) -> bool:
        """Forward motion held (factor 0)."""
        return self.factor == 0.0

    @property
    def turn_held(self) -> bool:
        return bool(self.turn_reason)

    def set_clearance(self, ahead: float, around: float, stamp: float) -> None:
        self.ahead, self.around, self.stamp = float(ahead), float(around), stamp

    def update(self, now: float) -> list[str]:
        """Recompute the limits; log lines when forward motion or turning starts or stops being
        held (or is held for another kind of reason)."""
        if not self.active:
            return []
        c = self.config
        stale = None
        if self.stamp is None:  # set_clearance sets ahead, around and stamp together
            stale = "no clearance received yet"
        elif now - self.stamp > c.timeout_s:
            stale = f"clearance stale (> {c.timeout_s:g} s)"
        if stale:
            factor, reason = 0.0, stale
        elif math.isnan(self.ahead):
            factor, reason = 0.0, "nothing seen ahead (clearance unknown)"
        else:
            # A hold ends hysteresis_m past where it began: the 5 cm bins of the clearance
            # would otherwise start and stop a robot standing at the line several times a second.
            stop = c.stop_m + (c.hysteresis_m if self.reason.startswith("obstacle") else 0.0)
            factor = min(1.0, max(0.0, (self.ahead - c.stop_m) / (c.slow_m - c.stop_m)))
            if self.ahead <= stop:
                factor = 0.0
            reason = f"obstacle or drop {self.ahead:.2f} m ahead" if factor == 0.0 else ""
        turn_reason = ""
        if c.turn_stop_m > 0:
            beside = self.turn_reason.startswith("obstacle")
            turn_stop = c.turn_stop_m + (c.hysteresis_m if beside else 0.0)
            if stale:
                turn_reason = stale
            elif math.isnan(self.around):
                turn_reason = "nothing seen around (clearance unknown)"
            elif self.around < turn_stop:
                turn_reason = f"obstacle {self.around:.2f} m beside: a turn in place would hit it"
        self.factor = factor
        notes = []
        note = _change("forward motion", self.reason, reason)
        if note:
            notes.append(note)
        note = _change("turning", self.turn_reason, turn_reason)
        if note:
            notes.append(note)
        self.reason, self.turn_reason = reason, turn_reason
        return notes

    def limit(self, vx: float, wz: float) -> tuple[float, float]:
        """(vx, wz) as the guard lets them through: forward scaled, turning held or not."""
        return (vx * self.factor if vx > 0 else vx), (0.0 if self.turn_held else wz)

    def status(self) -> dict[str, object]:
        if not self.active:
            return {"active": False}
        return {
            "active": True,
            "clearance_m": json_distance(self.ahead),
            "around_m": json_distance(self.around),
            "forward_factor": round(self.factor, 3),
            "holding": self.holding,
            "reason": self.reason,
            "turn_held": self.turn_held,
            "turn_reason": self.turn_reason,
        }


def _change(what: str, was: str, now: str) -> str | None:
    """A log line when a hold begins, changes kind ("obstacle ..." -> "clearance stale"), or
    ends; None while it stays the same kind (a changing distance is not news)."""
    if now and was.split(" ")[0] != now.split(" ")[0]:
        return f"{what} held: {now}"
    if was and not now:
        return f"{what} released: the way is clear"
    return None
