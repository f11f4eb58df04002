"""The real-robot bring-up as data: each config's `navila_robot` section (what differs on the
hardware), `navila robot`'s `--set` overrides, its refusals before any node starts, and the
Follower that prints a running stack (fed recorded messages, no ROS)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from navila_bringup.cli import main as navila_main
from navila_bringup.follow import Follower
from navila_bringup.probe import Recorder
from navila_bringup.robot_run import console_line, parse_overrides
from navila_bringup.stack import hardware_params, robot_stack

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
GO2_VISION = CONFIG_DIR.parent / "models" / "go2_vision"


def test_each_robot_config_says_how_its_hardware_is_driven() -> None:
    hw = {r: hardware_params(str(CONFIG_DIR / f"{r}.yaml")) for r in ("go2", "h1", "t1")}
    # Unitree's robots listen on DDS domain 0 (its simulators on 1, the node sections' default).
    for robot in ("go2", "h1"):
        loco = hw[robot]["navila_loco"]
        assert loco["backend.name"] == "unitree_sdk2" and loco["backend.unitree.domain_id"] == 0
    assert hw["go2"]["navila_loco"]["backend.unitree.release_sport_mode"] is True
    assert hw["h1"]["navila_loco"]["backend.unitree.release_sport_mode"] is False
    assert hw["t1"]["navila_loco"]["backend.name"] == "booster_loco"
    # The H1's policy reads base_lin_vel, which its SDK state lacks: estimated from the legs.
    assert hw["h1"]["navila_loco"]["leg_odometry.enabled"] is True
    assert "leg_odometry.enabled" not in hw["go2"]["navila_loco"]


def test_robot_stack_applies_the_section_the_nic_the_sdk_domain_and_extras() -> None:
    specs = robot_stack(
        "go2",
        str(CONFIG_DIR / "go2.yaml"),
        network_interface="eth0",
        sdk_domain_id=7,
        extra={"navila_loco": {"safety.state_timeout_s": 0.1}, "navila_vla": {"x": 1}},
    )
    by_name = {s.name: s.params for s in specs}
    loco = by_name["navila_loco"]
    assert loco["backend.unitree.network_interface"] == "eth0"
    assert loco["backend.unitree.domain_id"] == 7  # a rehearsal's domain beats the robot's 0
    assert loco["backend.unitree.release_sport_mode"] is True
    assert loco["safety.state_timeout_s"] == 0.1
    assert by_name["navila_vla"]["x"] == 1 and by_name["navila_vla"]["use_sim_time"] is False
    # The Go2's camera comes through its SDK: its driver talks to the same robot.
    camera = by_name["navila_camera"]
    assert camera == {"unitree.network_interface": "eth0", "unitree.domain_id": 7}
    assert by_name["navila_vla"]["image_stale_s"] == 1.0  # a dead camera stops the planner
    vision = {
        s.name: s.params
        for s in robot_stack("go2", str(CONFIG_DIR / "go2.yaml"), policy_path=str(GO2_VISION))
    }
    assert vision["heightmap_node"]["topics.points"] == "/utlidar/cloud"  # the L1's own topic
    t1 = {s.name: s.params for s in robot_stack("t1", str(CONFIG_DIR / "t1.yaml"), sdk_domain_id=3)}
    assert t1["navila_loco"]["backend.booster.domain_id"] == 3 and "heightmap_node" not in t1
    h1 = {s.name: s.params for s in robot_stack("h1", str(CONFIG_DIR / "h1.yaml"))}
    for robot in (t1, h1):  # their head cameras have ROS drivers of their own
        assert "navila_camera" not in robot and robot["navila_vla"]["image_stale_s"] == 1.0
    # the H1's leg odometry: the config's robot name becomes navila_sim's MJCF path for the node
    model = Path(h1["navila_loco"]["leg_odometry.model"])
    assert model.name == "h1.xml" and model.is_file() and model.parent.name == "robots"
    assert "leg_odometry.model" not in vision["navila_loco"]  # the Go2: not estimated


def test_a_config_without_a_robot_section_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "sim_only.yaml"
    cfg.write_text((CONFIG_DIR / "go2.yaml").read_text().split("\nnavila_robot:")[0])
    with pytest.raises(ValueError, match="navila_robot"):
        robot_stack("go2", str(cfg))
    cfg.write_text(
        "navila_robot:\n  ros__parameters:\n    navila_loco:\n      backend:\n"
        "        name: ros_topics\n"
    )
    with pytest.raises(ValueError, match="not a robot SDK"):
        robot_stack("go2", str(cfg))


def test_set_overrides_are_typed_and_checked() -> None:
    nodes = ["navila_loco", "navila_vla"]
    got = parse_overrides(
        [
            "navila_loco:safety.state_timeout_s=0.5",
            "navila_vla:backend=vllm",
            "navila_loco:safety.auto_start=false",
            "navila_loco:a.b=[1, 2]",
        ],
        nodes,
    )
    assert got == {
        "navila_loco": {"safety.state_timeout_s": 0.5, "safety.auto_start": False, "a.b": [1, 2]},
        "navila_vla": {"backend": "vllm"},
    }
    for bad in (
        "navila_loco",
        "navila_loco:=1",
        ":x=1",
        "navila_loco:x",
        "nope:x=1",
        "navila_loco:x=[1",
    ):
        with pytest.raises(ValueError, match="--set"):
            parse_overrides([bad], nodes)


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "navila_loco"],
        ["--set", "heightmap_node:x=1", "--policy", "models/go2_blind"],  # blind: no map node
        ["--policy", "/no/such/policy"],
        ["--robot", "no_such_robot"],
    ],
)
def test_navila_robot_refuses_before_starting_anything(args, capsys, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    args = [a.replace("models/", f"{root}/models/") for a in args]
    assert navila_main(["robot", "--out", str(tmp_path / "out"), *args]) == 2
    assert "[navila] refused:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _msg(data: object) -> SimpleNamespace:
    return SimpleNamespace(data=data if isinstance(data, str) else json.dumps(data))


def test_follower_says_each_message_once_and_keeps_no_history() -> None:
    outputs, actions, status = Recorder(), Recorder(), Recorder()
    said: list[str] = []
    f = Follower(outputs, actions, status, said.append)
    outputs._add(_msg("The next action is move forward 1 m."))
    actions._add(_msg({"ok": True, "actions": [{}], "total_duration": 2.0}))
    for mode, reason in (("stand_up", "auto start"), ("stand_up", "auto start"), ("walk", "")):
        status._add(_msg({"node": "navila_loco", "mode": mode, "reason": reason}))
    status._add(_msg("not json"))
    new = f.poll()
    assert len(new) == 1 and f.episodes_ended == 0
    assert said == [
        "[planner] The next action is move forward 1 m.",
        "[executor] 1 action(s), 2.00 s",
        "[loco] stand_up: auto start",
        "[loco] walk",
    ]
    assert len(outputs) == len(actions) == len(status) == 0  # drained
    actions._add(_msg({"ok": False, "actions": [], "error": {"reason": "unparsed"}}))
    actions._add(_msg("{not json"))  # skipped with a line, not a crash
    status._add(_msg({"node": "navila_executor", "event": "episode_end"}))
    status._add(_msg({"node": "navila_loco", "mode": "damp", "reason": "tilt 1.2 rad"}))
    assert len(f.poll()) == 1
    assert said[-3] == "[executor] refused: unparsed"
    assert said[-2].startswith("[executor] unreadable /navila/action message")
    assert said[-1] == "[loco] damp: tilt 1.2 rad"
    assert f.episodes_ended == 1 and f.loco_mode == "damp"
    assert [m["mode"] for m in f.loco_modes] == ["stand_up", "walk", "damp"]
    assert f.planner_outputs == ["The next action is move forward 1 m."]
    assert f.poll() == [] and len(said) == 7
    for ok, err in ((False, "GetImageSample failed: code 3104"), (False, "x"), (True, "")):
        status._add(_msg({"node": "navila_camera", "ok": ok, "last_error": err}))
    f.poll()
    assert said[-2:] == [
        "[camera] no frame: GetImageSample failed: code 3104",
        "[camera] frames arriving",
    ]


def test_follower_says_why_the_robot_does_not_move_once_per_kind() -> None:
    """A loco node that cannot start (no base velocity for the H1's layout) and an obstacle guard
    holding the forward speed: each said when it begins or changes kind, not at every status
    whose figures moved, and the guard's release said once."""
    outputs, actions, status = Recorder(), Recorder(), Recorder()
    said: list[str] = []
    f = Follower(outputs, actions, status, said.append)
    no_vel = "the policy reads base_lin_vel and no base linear velocity has arrived"
    for blocked in (no_vel, no_vel, "stale IMU (80 ms > 50 ms)", "stale IMU (95 ms > 50 ms)"):
        status._add(_msg({"node": "navila_loco", "mode": "passive", "start_blocked": blocked}))
    status._add(_msg({"node": "navila_loco", "mode": "walk", "start_blocked": None}))
    beside = "obstacle 0.39 m beside: a turn in place would hit it"
    for clearance, holding, turn in (
        (0.9, False, ""),
        (0.52, True, ""),
        (0.48, True, beside),
        (None, True, beside.replace("0.39", "0.38")),
        (2, False, ""),
    ):
        reason = (
            ""
            if not holding
            else (
                "nothing seen ahead"
                if clearance is None
                else f"obstacle or drop {clearance} m ahead"
            )
        )
        guard = {
            "active": True,
            "clearance_m": clearance,
            "holding": holding,
            "reason": reason,
            "turn_held": bool(turn),
            "turn_reason": turn,
        }
        status._add(_msg({"node": "navila_loco", "mode": "walk", "obstacle_guard": guard}))
    f.poll()
    assert said == [
        "[loco] passive",
        f"[loco] cannot start: {no_vel}",
        "[loco] cannot start: stale IMU (80 ms > 50 ms)",
        "[loco] walk",
        "[loco] forward held: obstacle or drop 0.52 m ahead",
        f"[loco] turning held: {beside}",
        "[loco] forward held: nothing seen ahead",
        "[loco] forward released",
        "[loco] turning released",
    ]


def test_a_robot_graph_discovers_beyond_this_machine(monkeypatch, tmp_path: Path) -> None:
    """`navila sim` keeps discovery on this machine; `navila robot` must hear the robot's own
    topics and a planner on another machine: ROS's subnet default unless the shell says."""
    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE", raising=False)
    assert navila_main(["robot", "--robot", "no_such_robot", "--out", str(tmp_path)]) == 2
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")  # a rehearsal's choice
    assert navila_main(["robot", "--robot", "no_such_robot", "--out", str(tmp_path)]) == 2
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"


def test_console_lines_are_instructions_commands_or_refused() -> None:
    assert console_line("  go to the kitchen \n") == "go to the kitchen"
    assert console_line("") is None and console_line("!help") is None
    assert console_line("!estop")[:3] == ("/navila/estop", "bool", True)
    assert console_line("!cancel")[:3] == ("/navila/instruction", "str", "")
    with pytest.raises(ValueError, match="unknown command"):
        console_line("!estpo")  # a typo is never an instruction
