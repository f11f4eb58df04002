"""Scene format, compiler and the shipped episodes' feasibility (2-D, no MuJoCo)."""

import math

import pytest

from navila_sim.episodes import EpisodeError, load_episodes, parse_episode
from navila_sim.scene import (
    SceneError,
    build_scene,
    load_scene,
    path_blockers,
    shipped_scenes,
    wall_segments,
)

CLEARANCE = 0.3  # metres kept from every obstacle by a reference path


def test_doorway_splits_wall():
    pieces = wall_segments([0, 0], [4, 0], [{"at": 2.0, "width": 1.0}], "w")
    assert len(pieces) == 2
    assert pieces[0][1][0] == pytest.approx(1.5) and pieces[1][0][0] == pytest.approx(2.5)


def test_path_through_door_is_free_and_through_wall_is_not():
    scene = build_scene(
        {"walls": [{"from": [0, -3], "to": [0, 3], "doors": [{"at": 3, "width": 1.2}]}]}
    )
    assert path_blockers(scene, [[-2, 0], [2, 0]], CLEARANCE) == []
    assert path_blockers(scene, [[-2, 2], [2, 2]], CLEARANCE)


def test_steps_are_traversable_and_landmarks_block():
    scene = build_scene(
        {
            "steps": [{"center": [0, 0], "size": [1, 1], "height": 0.08}],
            "landmarks": [{"name": "red chair", "position": [3, 0], "color": "red"}],
        }
    )
    assert path_blockers(scene, [[-2, 0], [2, 0]], CLEARANCE) == []
    assert path_blockers(scene, [[2, 0], [4, 0]], CLEARANCE)[0][1] == "red chair"
    assert scene.landmark("red chair").color == "red"


@pytest.mark.parametrize(
    "spec, msg",
    [
        ({"boxes": [{"center": [0, 0], "size": [1, -1, 1]}]}, "positive"),
        ({"landmarks": [{"position": [0, 0]}]}, "name"),
        ({"landmarks": [{"name": "x", "position": [0, 0], "color": "mauve"}]}, "colour"),
        (
            {"walls": [{"from": [0, 0], "to": [1, 0], "doors": [{"at": 0.9, "width": 1}]}]},
            "outside",
        ),
        ({"rooms": [{"min": [0, 0], "max": [1, 1], "doors": [{"side": "up"}]}]}, "side"),
    ],
)
def test_bad_scenes_raise_clear_errors(spec, msg):
    with pytest.raises(SceneError, match=msg):
        build_scene(spec)


def test_at_least_three_scenes_ship_and_compile():
    names = shipped_scenes()
    assert len(names) >= 3
    for name in names:
        scene = load_scene(name)
        assert scene.landmarks, name
        assert "<geom" in scene.mjcf_worldbody()


def test_shipped_episodes_are_feasible():
    episodes = load_episodes()
    assert len(episodes) >= 10
    scenes = {name: load_scene(name) for name in shipped_scenes()}
    for ep in episodes:
        assert ep.scene_id in scenes, ep.episode_id
        scene = scenes[ep.scene_id]
        path = ep.reference_path
        assert math.dist(path[0][:2], ep.start_position[:2]) < 1e-6, ep.episode_id
        assert math.dist(path[-1][:2], ep.goal_position[:2]) <= ep.goal_radius, ep.episode_id
        assert path_blockers(scene, path, CLEARANCE) == [], ep.episode_id
        xs = [g.footprint()[:, 0] for g in scene.geoms]
        assert min(map(min, xs)) - 1 < path[0][0] < max(map(max, xs)) + 1


def test_bad_episode_rejected():
    good = load_episodes()[0].to_dict()
    assert parse_episode(good).episode_id == good["episode_id"]
    bad = dict(good, start_rotation=[0, 0, 0, 2])
    with pytest.raises(EpisodeError, match="unit quaternion"):
        parse_episode(bad)
    with pytest.raises(EpisodeError, match="instruction"):
        parse_episode(dict(good, instruction={}))
