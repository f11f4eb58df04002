"""Body-vs-obstacle contacts (the collision rate of the locomotion evaluation).

Counted per control period: a robot body geom (anything but the feet it stands on) touching a
scene geom other than the floor; on a traversable step only side contacts count.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from navila_sim.scene import load_scene, scene_path
from navila_sim.sim import CameraConfig, Sim, SimConfig

NO_SENSORS = {"lidar_enabled": False, "camera": CameraConfig(enabled=False)}
EVAL_SCENES = (
    "loco_eval_flat",
    "loco_eval_steps5",
    "loco_eval_steps10",
    "loco_eval_boxes",
    "loco_eval_rubble",
)


def scene_file(tmp_path, **spec) -> str:
    path = tmp_path / "scene.yaml"
    path.write_text(yaml.safe_dump({"name": "contact_test", **spec}))
    return str(path)


def run(sim: Sim, periods: int) -> None:
    for _ in range(periods):
        sim.run_control_period()


@pytest.mark.parametrize(
    ("robot", "feet", "legs"),
    [
        (
            "go2",
            ["FL_foot_geom", "FR_foot_geom", "RL_foot_geom", "RR_foot_geom"],
            [f"{leg}_{part}" for leg in ("FL", "FR", "RL", "RR") for part in ("calf", "foot")],
        ),
        (
            "h1",
            ["left_foot", "right_foot"],
            ["left_ankle_link", "left_knee_link", "right_ankle_link", "right_knee_link"],
        ),
        (
            "t1",
            ["left_foot", "right_foot"],
            ["Shank_Left", "Shank_Right", "left_foot_link", "right_foot_link"],
        ),
    ],
)
def test_support_geoms_are_the_feet_and_standing_touches_nothing(robot, feet, legs) -> None:
    sim = Sim(SimConfig(robot=robot, scene="loco_eval_steps10", **NO_SENSORS))
    assert sim.support_geom_names == feet
    assert sim.lower_leg_body_names == legs  # geomless links (the T1's ankle cross) skipped
    run(sim, 50)
    assert sim.control_periods == 50
    assert sim.obstacle_contact_periods == 0 and sim.last_obstacle_contact == ""


def test_body_pushed_into_a_box_counts_and_names_the_pair(tmp_path) -> None:
    scene = scene_file(
        tmp_path, boxes=[{"name": "crate", "center": [0.55, 0], "size": [0.4, 0.8, 0.4]}]
    )
    sim = Sim(SimConfig(robot="go2", scene=scene, **NO_SENSORS))
    run(sim, 25)
    assert sim.obstacle_contact_periods == 0  # standing 0.25 m in front of it
    sim.push((1.5, 0.0, 0.0))
    run(sim, 50)
    assert 0 < sim.obstacle_contact_periods <= 50
    robot_geom, scene_geom = sim.last_obstacle_contact.split(" / ")
    assert scene_geom == "crate" and robot_geom in ("head", "trunk")
    assert sim.upper_contact_periods == sim.obstacle_contact_periods
    sim.reset()
    assert (sim.obstacle_contact_periods, sim.control_periods) == (0, 0)
    assert sim.last_obstacle_contact == ""


def test_resting_on_a_step_top_is_not_a_collision_but_on_a_box_it_is(tmp_path) -> None:
    """Same lying robot: on a 10 cm step (traversable, its top is ground) nothing is counted;
    on a 20 cm box (an obstacle) the trunk's contact is."""
    lying = {"start_posture": "lie", "start_drive": "passive", **NO_SENSORS}
    step = scene_file(
        tmp_path, steps=[{"name": "top", "center": [0, 0], "size": [2, 2], "height": 0.1}]
    )
    sim = Sim(SimConfig(robot="go2", scene=step, **lying))
    run(sim, 50)
    assert sim.obstacle_contact_periods == 0
    box = scene_file(tmp_path, boxes=[{"name": "top", "center": [0, 0], "size": [2, 2, 0.2]}])
    sim = Sim(SimConfig(robot="go2", scene=box, **lying))
    run(sim, 50)
    assert sim.obstacle_contact_periods > 0 and sim.last_obstacle_contact.endswith("/ top")


def slide_into_step(tmp_path, center: list[float], height: float, push: tuple) -> Sim:
    """The lying Go2 (passive), a step named "edge" beside it; pushed into the step's side."""
    edge = [{"name": "edge", "center": center, "size": [2, 2], "height": height}]
    sim = Sim(
        SimConfig(
            robot="go2",
            scene=scene_file(tmp_path, steps=edge),
            start_posture="lie",
            start_drive="passive",
            **NO_SENSORS,
        )
    )
    run(sim, 25)
    assert sim.obstacle_contact_periods == 0
    sim.push(push)
    run(sim, 50)
    assert sim.obstacle_contact_periods > 0 and sim.last_obstacle_contact.endswith("/ edge")
    return sim


def test_hitting_the_side_of_a_step_counts(tmp_path) -> None:
    slide_into_step(tmp_path, [1.3, 0], 0.1, (2.0, 0.0, 0.0))  # head first


@pytest.mark.parametrize(
    ("height", "upper", "part"), [(0.01, False, "_calf_geom"), (0.02, True, "_thigh_geom")]
)
def test_a_shin_on_an_edge_is_a_contact_but_not_an_upper_body_one(
    tmp_path, height, upper, part
) -> None:
    """The lying robot slid sideways into a step: at 1 cm only a calf (the lower leg, which
    carries the foot) meets the edge, at 2 cm a thigh does - the issue's body/thigh contact."""
    sim = slide_into_step(tmp_path, [0, 1.3], height, (0.0, 2.0, 0.0))
    assert sim.last_obstacle_contact.split(" / ")[0].endswith(part)
    assert (sim.upper_contact_periods > 0) == upper
    assert sim.upper_contact_periods <= sim.obstacle_contact_periods
    sim.reset()
    assert sim.upper_contact_periods == 0


def test_kinematic_blocked_steps_mark_their_periods(tmp_path) -> None:
    wall = [{"from": [0.6, -2], "to": [0.6, 2]}]
    sim = Sim(
        SimConfig(
            robot="go2", mode="kinematic", scene=scene_file(tmp_path, walls=wall), **NO_SENSORS
        )
    )
    sim.set_cmd_vel(0.5, 0.0, 0.0)
    run(sim, 100)
    assert sim.collisions > 0
    assert 0 < sim.obstacle_contact_periods <= sim.control_periods == 100
    assert sim.upper_contact_periods == sim.obstacle_contact_periods  # the base is blocked


@pytest.mark.parametrize("name", EVAL_SCENES)
def test_eval_scenes_compile_with_their_start_block(name) -> None:
    scene = load_scene(name)
    assert scene.landmarks  # every shipped scene has something an instruction can name
    meta = yaml.safe_load(scene_path(name).read_text())["loco_eval"]
    assert len(meta["start"]) == 3 and len(meta["jitter"]) == 3
    sim = Sim(SimConfig(robot="go2", scene=name, start_pose=(0.0, 0.0, 0.0), **NO_SENSORS))
    assert sim.pose_is_free(*meta["start"][:2], 0.0)


def test_rubble_is_only_blocks_a_policy_is_asked_to_cross() -> None:
    """The fair collision scene: every obstacle on the walking line is low enough to be stepped
    over (the training curriculum's 5-12 cm box heights), and every jittered start line meets
    all of them - a policy cannot get through it without crossing the blocks."""
    scene = load_scene("loco_eval_rubble")
    blocks = [g for g in scene.geoms if g.name.startswith("block_")]
    assert len(blocks) == 8
    assert all(not g.blocks and 0.05 <= 2 * g.size[2] <= 0.12 for g in blocks)
    assert all(g.blocks is False for g in scene.geoms if abs(g.pos[1]) < 3.0)
    heights = {round(2 * g.size[2], 3) for g in blocks}
    sim = Sim(SimConfig(robot="go2", scene="loco_eval_rubble", **NO_SENSORS))
    jitter_y = yaml.safe_load(scene_path("loco_eval_rubble").read_text())["loco_eval"]["jitter"][1]
    for y in (-jitter_y, 0.0, jitter_y):
        seen = {round(sim.floor_height(x, y, start_z=1.0), 3) for x in np.arange(0.0, 7.0, 0.02)}
        assert heights <= seen, f"the line y = {y} misses blocks {sorted(heights - seen)}"
        assert max(seen) <= 0.12
