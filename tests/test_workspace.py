"""The workspace builds the way a robot builds it, and its package metadata tells the truth."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from catkin_pkg.package import parse_package

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGES = sorted(p.parent for p in SRC.glob("*/package.xml"))
# Python modules that are ROS packages or have rosdep keys, and the exec_depend that provides them.
ROS_MODULES = {
    "rclpy",
    "std_msgs",
    "sensor_msgs",
    "geometry_msgs",
    "nav_msgs",
    "rosgraph_msgs",
    "rcl_interfaces",
    "builtin_interfaces",
    "std_srvs",
    "visualization_msgs",
}
ROSDEP_KEYS = {"numpy": "python3-numpy", "yaml": "python3-yaml"}
WORKSPACE = {p.name for p in PACKAGES}


def _imports(pkg: Path) -> set[str]:
    found: set[str] = set()
    for py in (pkg / pkg.name).rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def _console_scripts(pkg: Path) -> list[str]:
    text = (pkg / "setup.py").read_text()
    return re.findall(r'"([A-Za-z0-9_]+)\s*=\s*[A-Za-z0-9_.]+:[A-Za-z0-9_]+"', text)


@pytest.mark.parametrize("pkg", PACKAGES, ids=lambda p: p.name)
def test_package_metadata(pkg: Path) -> None:
    meta = parse_package(str(pkg / "package.xml"))
    assert meta.package_format == 3
    assert meta.name == pkg.name
    assert meta.get_build_type() == "ament_python"
    assert (pkg / "resource" / pkg.name).is_file()
    assert (pkg / "setup.cfg").read_text().count(f"$base/lib/{pkg.name}") == 2
    assert f'PACKAGE = "{pkg.name}"' in (pkg / "setup.py").read_text()
    declared = {d.name for d in meta.exec_depends}
    needed = set()
    for mod in _imports(pkg):
        if mod in ROS_MODULES or (mod in WORKSPACE and mod != pkg.name):
            needed.add(mod)
        elif mod in ROSDEP_KEYS:
            needed.add(ROSDEP_KEYS[mod])
    assert needed <= declared, f"{pkg.name}: imports need exec_depend {sorted(needed - declared)}"


def test_colcon_build_installs_every_package(tmp_path: Path) -> None:
    colcon = Path(sys.executable).parent / "colcon"
    env = {**os.environ, "COLCON_HOME": str(tmp_path / "colcon_home")}
    proc = subprocess.run(
        [
            str(colcon),
            "build",
            "--base-paths",
            str(SRC),
            "--build-base",
            str(tmp_path / "build"),
            "--install-base",
            str(tmp_path / "install"),
            "--event-handlers",
            "console_direct-",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    install = tmp_path / "install"
    for pkg in PACKAGES:
        index = install / pkg.name / "share" / "ament_index" / "resource_index" / "packages"
        assert (index / pkg.name).is_file()
        assert (install / pkg.name / "share" / pkg.name / "package.xml").is_file()
        for script in _console_scripts(pkg):  # where `ros2 run <pkg> <script>` looks
            assert (install / pkg.name / "lib" / pkg.name / script).is_file(), script
    # the installed code is importable from the install space alone
    site = next((install / "instruction_parser" / "lib").glob("python3*/site-packages"))
    out = subprocess.run(
        [sys.executable, "-c", "import instruction_parser as m; print(m.__file__)"],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().startswith(str(install))


def _check_spec(spec, scripts: dict[str, set[str]]) -> None:
    assert spec.package in scripts, f"{spec.name}: no package {spec.package}"
    assert spec.executable in scripts[spec.package], f"{spec.name}: no {spec.executable}"
    module = SRC / spec.package / (spec.module.replace(".", "/") + ".py")
    assert module.is_file(), f"{spec.name}: no module {spec.module}"
    assert spec.params_file is None or Path(spec.params_file).is_file(), spec.params_file


def test_launch_files_name_real_packages_executables_and_configs() -> None:
    """Every node the launch files can start exists as package, console script, module and
    parameter file (checked without the `launch` package, which has no wheel here)."""
    from navila_bringup.stack import (
        LOW_LEVELS,
        PLANNERS,
        SimStackOptions,
        isaac_stack,
        robot_stack,
        sim_stack,
    )

    scripts = {p.name: set(_console_scripts(p)) for p in PACKAGES}
    robots = sorted(p.stem for p in (REPO / "config").glob("*.yaml"))
    for robot in robots:
        cfg = str(REPO / "config" / f"{robot}.yaml")
        stacks = [isaac_stack(cfg), robot_stack(robot, cfg, network_interface="eth0")]
        for planner in PLANNERS:
            for low in LOW_LEVELS:
                opts = SimStackOptions(
                    robot=robot, config=cfg, planner=planner, low_level=low, episode_file=cfg
                )
                stacks.append(sim_stack(opts))
        for specs in stacks:
            names = [s.name for s in specs]
            assert len(set(names)) == len(names) and "navila_executor" in names
            for spec in specs:
                _check_spec(spec, scripts)
    stack_functions = {"sim_stack", "isaac_stack", "robot_stack"}
    for launch in (REPO / "launch").glob("*.launch.py"):
        tree = ast.parse(launch.read_text())
        called = {getattr(n.func, "id", None) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        if called & stack_functions:
            assert "launch_nodes" in called, launch.name
            continue
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if getattr(call.func, "id", None) != "Node":
                continue
            kw = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            assert kw["package"] in scripts, f"{launch.name}: no package {kw['package']}"
            assert kw["executable"] in scripts[kw["package"]], f"{launch.name}: {kw}"
