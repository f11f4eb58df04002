"""The simulated robot's RPC service state (navila_sim.unitree_services): the sport controller
as CheckMode shows it before and after a release, and the camera frames the video service
hands out. Their DDS services are exercised over DDS by tests/test_navila_robot_rehearsal.py
and tests/test_navila_camera.py."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from navila_sim.unitree_services import NO_FRAME_YET, SportMode, VideoHub
from navila_sim.unitree_sim import parse_args


def test_a_booted_robot_is_in_sport_mode_until_released() -> None:
    mode = SportMode("normal")
    assert mode.active and mode.check() == {"form": "0", "name": "normal"}
    mode.release()
    assert not mode.active and mode.check()["name"] == "" and mode.releases == 1
    mode.select("ai")
    assert mode.active and mode.name == "ai"
    with pytest.raises(ValueError):
        mode.select("")


def test_the_video_service_answers_the_newest_frame_as_jpeg() -> None:
    hub = VideoHub()
    assert hub.sample() == (NO_FRAME_YET, b"")
    frame = np.zeros((24, 32, 3), np.uint8)
    frame[:, :, 0] = 200  # red
    hub.put(frame)
    frame[:, :, :] = (0, 0, 200)  # then blue
    hub.put(frame)
    code, jpeg = hub.sample()
    assert code == 0 and jpeg[:2] == b"\xff\xd8"  # a JPEG
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=float)
    assert rgb.shape == (24, 32, 3)
    assert np.allclose(rgb.mean(axis=(0, 1)), (0, 0, 200), atol=4)
    assert hub.frames == 2 and hub.requests == 2


def test_unitree_sim_options() -> None:
    args = parse_args([])
    assert args.sport_mode == "" and not args.camera and tuple(args.camera_size) == (320, 240)
    args = parse_args(["--sport-mode", "normal", "--camera", "--camera-size", "64", "48"])
    assert args.sport_mode == "normal" and args.camera and tuple(args.camera_size) == (64, 48)
    for bad in (["--camera-rate-hz", "0"], ["--camera-size", "4", "48"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
