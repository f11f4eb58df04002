"""The robot camera driver's core (navila_loco_node.robot_camera): JPEG decoding that refuses
garbage, the health verdict the node publishes, and parameter checks. The grabber process and
the node run against the simulated Go2's video service in tests/test_navila_camera.py."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from navila_loco_node.robot_camera import CameraHealth, CameraParams, decode_jpeg


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_a_jpeg_decodes_to_rgb() -> None:
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:, :20] = (250, 0, 0)
    out = decode_jpeg(_jpeg(rgb))
    assert out.shape == (30, 40, 3) and out.dtype == np.uint8
    assert out[:, :16, 0].mean() > 230 and out[:, 24:, 0].mean() < 20


@pytest.mark.parametrize("data", [b"", b"not an image", _jpeg(np.zeros((8, 8, 3), np.uint8))[:40]])
def test_garbage_is_refused_never_published(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_jpeg(data)


def test_health_is_ok_only_while_frames_keep_coming() -> None:
    h = CameraHealth(stale_s=1.0)
    assert not h.ok(10.0) and h.status(10.0)["age_s"] is None
    h.on_error("GetImageSample failed: code 3104")
    h.on_frame(10.0, (240, 320, 3))
    s = h.status(10.5)
    assert s["ok"] and s["frames"] == 1 and s["errors"] == 1 and s["shape"] == [240, 320, 3]
    assert not h.ok(11.01)  # stale: the planner must not plan on it
    assert h.status(11.01)["last_error"] == "GetImageSample failed: code 3104"


@pytest.mark.parametrize(
    "bad", [{"rate_hz": 0.0}, {"timeout_s": float("nan")}, {"stale_s": -1.0}, {"domain_id": -1}]
)
def test_bad_parameters_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        CameraParams(**bad)
