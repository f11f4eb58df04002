"""MuJoCo, imported with a headless OpenGL backend chosen first.

MuJoCo reads MUJOCO_GL once, when it is first imported, and a headless machine has no display for
the default GLFW; so every module of this workspace takes mujoco from here
(`from navila_sim.mujoco_gl import mujoco`), never with a bare `import mujoco` that could run
first: EGL (headless, Mesa) when present, else OSMesa (pure software). An explicit MUJOCO_GL in
the environment always wins.
"""

from __future__ import annotations

import ctypes.util
import os

if "MUJOCO_GL" not in os.environ:
    os.environ["MUJOCO_GL"] = "egl" if ctypes.util.find_library("EGL") else "osmesa"
if os.environ["MUJOCO_GL"] == "osmesa":
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import mujoco
from mujoco import rollout

BACKEND = os.environ["MUJOCO_GL"]
__all__ = ["BACKEND", "mujoco", "rollout"]
