"""A virtual gantry: holds a humanoid upright until its controller has driven it for a while.

A quadruped waits for its controller lying on the floor and stands itself up; a humanoid cannot:
on the real H1 / T1 it hangs in a gantry (a harness on the pelvis) while the low-level controller
takes over, stands it up and starts the policy, and only then is the gantry lowered. Unitree's
MuJoCo simulator has an "elastic band" for the same reason. Without one, navila_sim's H1 collapsed
while the locomotion node was still passive, and the node's stand-up from the heap tipped past its
tilt limit and damped: no humanoid policy could ever be handed the robot.

The gantry is a spring-damper on the base body, applied as an external wrench (MuJoCo
`xfrc_applied`):
* position: toward the anchor (the start x, y and the standing base height above the floor),
  F = k (anchor - p) - c v;
* tilt: the base's z axis toward the world's, tau = k_t (z_b x e_z) - c_t w_xy (yaw stays free, so
  the harness does not fight a turn).

Release, as an operator lowers a real gantry: once the controller's own joint targets (PD drive,
not the simulator's hold or a passive / damped joint) have driven the robot for
`release_after_drive_s` without a break, the wrench ramps to zero over `release_ramp_s`. A passive
or damping command before that (the controller's stop) restarts the count and the robot stays
held: a humanoid that damps in its gantry hangs in it. `release()` lowers it at once (the
operator's command). Once released it stays released until the simulation is reset.

No MuJoCo import: plain numpy on the quantities the simulator passes in, so it is unit-testable.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

_E_Z = np.array([0.0, 0.0, 1.0])


class SupportState(enum.StrEnum):
    OFF = "off"  # the robot has no gantry, or the simulation was told not to use it
    HOLDING = "holding"
    RELEASING = "releasing"  # ramping down
    RELEASED = "released"


@dataclass(frozen=True)
class SupportSpec:
    """A robot file's `support:` block (robots/h1.yaml)."""

    stiffness_n_per_m: float = 5000.0
    damping_n_s_per_m: float = 1000.0
    tilt_stiffness_nm_per_rad: float = 1000.0
    tilt_damping_nm_s_per_rad: float = 200.0
    release_after_drive_s: float = 3.0
    release_ramp_s: float = 1.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SupportSpec:
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"support: unknown keys {sorted(unknown)} (known: {sorted(known)})")
        spec = cls(**{k: float(v) for k, v in raw.items()})
        spec.validate()
        return spec

    def validate(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ValueError(f"support.{name} must be a finite value >= 0, got {value!r}")


def out_of_gantry(sim_status: dict[str, Any] | None) -> bool:
    """From navila_sim's JSON status: does its robot stand on its own? No gantry ("off", or a
    simulator too old to report one) or the gantry fully lowered. Whoever times commands against
    the robot's walking (navila-loco-eval's script, `navila sim`'s first instruction) waits for
    this: a robot still in the gantry does not go where it is told."""
    if not sim_status:
        return False
    return sim_status.get("support", SupportState.OFF.value) in (
        SupportState.OFF.value,
        SupportState.RELEASED.value,
    )


class Gantry:
    """The gantry's state and wrench for one robot; `step` once per physics step."""

    def __init__(self, spec: SupportSpec | None) -> None:
        self.spec = spec
        self.state = SupportState.OFF
        self.anchor = np.zeros(3)
        self._driven_s = 0.0
        self._release_left_s = 0.0

    def attach(self, anchor: np.ndarray) -> None:
        """Hold the base at `anchor` (world x, y, z of the base body); no-op without a spec."""
        if self.spec is None:
            self.state = SupportState.OFF
            return
        self.anchor = np.asarray(anchor, dtype=np.float64).copy()
        self.state = SupportState.HOLDING
        self._driven_s = 0.0

    def detach(self) -> None:
        """No gantry at all (the simulation's `support: false`)."""
        self.state = SupportState.OFF

    def release(self) -> None:
        """Start lowering now (an operator's command); a no-op unless holding."""
        if self.state == SupportState.HOLDING:
            self.state = SupportState.RELEASING
            self._release_left_s = self.spec.release_ramp_s if self.spec else 0.0

    @property
    def active(self) -> bool:
        return self.state in (SupportState.HOLDING, SupportState.RELEASING)

    def step(self, dt: float, driven: bool) -> float:
        """Advance dt seconds; `driven`: the controller's PD targets drive the joints now.
        Returns the wrench scale for this step (1 holding, ramping down, 0 off / released)."""
        if self.state == SupportState.HOLDING:
            self._driven_s = self._driven_s + dt if driven else 0.0
            if self._driven_s >= self.spec.release_after_drive_s:
                self.release()
        if self.state == SupportState.RELEASING:
            ramp = self.spec.release_ramp_s
            scale = self._release_left_s / ramp if ramp > 0 else 0.0
            self._release_left_s -= dt
            if self._release_left_s <= 0.0:
                self.state = SupportState.RELEASED
            return max(0.0, min(1.0, scale))
        return 1.0 if self.state == SupportState.HOLDING else 0.0

    def wrench(
        self,
        position: np.ndarray,
        velocity: np.ndarray,
        z_axis: np.ndarray,
        angular_velocity: np.ndarray,
        scale: float = 1.0,
    ) -> np.ndarray:
        """Force (3) and torque (3), world frame, on the base for its position, linear velocity,
        body z axis and angular velocity (all world frame)."""
        out = np.zeros(6)
        if self.spec is None or scale <= 0.0:
            return out
        s = self.spec
        out[0:3] = s.stiffness_n_per_m * (self.anchor - position) - s.damping_n_s_per_m * velocity
        w = np.asarray(angular_velocity, dtype=np.float64)
        w_xy = w - w[2] * _E_Z
        tilt = np.cross(np.asarray(z_axis, dtype=np.float64), _E_Z)  # |.| = sin(tilt)
        out[3:6] = s.tilt_stiffness_nm_per_rad * tilt - s.tilt_damping_nm_s_per_rad * w_xy
        return scale * out

    def status(self) -> dict[str, Any]:
        return {"state": self.state.value, "driven_s": round(self._driven_s, 3)}
