"""The headless GL backend is chosen whichever workspace module imports mujoco first (a training
module importing it before the simulator once left the camera without an OpenGL context)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import navila_loco_train.env  # imports mujoco first, as the test session did
from navila_sim.sim import Sim, SimConfig
sim = Sim(SimConfig(robot="go2", mode="kinematic"))
img = sim.render()
print(img.shape, float(img.std()))
"""


def test_camera_renders_when_training_code_imported_mujoco_first() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    env.pop("DISPLAY", None)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    shape, std = out.stdout.split(")")
    assert shape.strip("(").split(",")[-1].strip() == "3"  # an RGB image
    assert float(std) > 1.0, out.stdout  # a real image, not a blank buffer


def test_backend_falls_back_to_none_when_no_gl_library_exists() -> None:
    from navila_sim.mujoco_gl import choose_backend

    assert choose_backend(lambda name: f"lib{name}.so") == "egl"
    assert choose_backend(lambda name: "libOSMesa.so" if name == "OSMesa" else None) == "osmesa"
    assert choose_backend(lambda name: None) == "disable"


DISABLED = """
from navila_sim.sim import Sim, SimConfig
sim = Sim(SimConfig(robot="go2", mode="kinematic"))
print(len(sim.lidar_points()))
try:
    sim.render()
except RuntimeError as exc:
    print("refused:", exc)
"""


def test_without_gl_physics_and_lidar_work_and_the_camera_says_why() -> None:
    """A GPU training image had neither EGL nor OSMesa: importing mujoco must not fail there."""
    env = {k: v for k, v in os.environ.items() if k != "PYOPENGL_PLATFORM"}
    env["MUJOCO_GL"] = "disable"
    out = subprocess.run(
        [sys.executable, "-c", DISABLED], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    n_points, refusal = out.stdout.strip().splitlines()
    assert int(n_points) > 1000  # the LiDAR scan is ray casting, no GL needed
    assert refusal.startswith("refused: no OpenGL backend for the camera")
