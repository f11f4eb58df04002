"""MuJoCo, imported with a headless OpenGL backend chosen first.

MuJoCo reads MUJOCO_GL once, when it is first imported, and a headless machine has no display for
the default GLFW; so every module of this workspace takes mujoco from here
(`from navila_sim.mujoco_gl import mujoco`), never with a bare `import mujoco` that could run
first: EGL (headless, Mesa) when present, else OSMesa (pure software), else no rendering at all
(physics and training need none; a GPU image may ship neither library, and PyOpenGL then fails
inside `import mujoco` with an AttributeError). An explicit MUJOCO_GL in the environment always
wins.
"""

from __future__ import annotations

import ctypes.util
import os
from collections.abc import Callable


def choose_backend(find_library: Callable[[str], str | None] = ctypes.util.find_library) -> str:
    """The MUJOCO_GL value for this machine: 'egl', 'osmesa', or 'disable' when neither exists."""
    if find_library("EGL"):
        return "egl"
    if find_library("OSMesa"):
        return "osmesa"
    return "disable"


if "MUJOCO_GL" not in os.environ:
    os.environ["MUJOCO_GL"] = choose_backend()
if os.environ["MUJOCO_GL"] == "osmesa":
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import mujoco  # noqa: E402 - MUJOCO_GL must be set before this import
from mujoco import rollout  # noqa: E402

BACKEND = os.environ["MUJOCO_GL"]
__all__ = ["BACKEND", "mujoco", "rollout"]
