"""The heightmap node as its own process, fed real PointCloud2 messages (good and malformed)."""

from __future__ import annotations

import json
import math
import signal
import time

import numpy as np
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, PointCloud2, PointField
from std_msgs.msg import Float32MultiArray, String

from heightmap_node.builder import build_height_map, go2_map_config
from heightmap_node.pointcloud import encode_xyz
from navila_bringup.graph import NodeSpec
from navila_bringup.probe import Probe, Recorder

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

TIMEOUT = 20.0  # generous: nothing here asserts speed
NODE = "heightmap_node"


def make_cloud(points: np.ndarray, extra_fields: int = 1, frame: str = "lidar") -> PointCloud2:
    data, fields, step = encode_xyz(points, extra_fields=extra_fields)
    msg = PointCloud2()
    msg.header.frame_id = frame
    msg.height, msg.width = 1, points.shape[0]
    msg.fields = [
        PointField(name=f.name, offset=f.offset, datatype=f.datatype, count=f.count) for f in fields
    ]
    msg.is_bigendian = False
    msg.point_step, msg.row_step = step, step * points.shape[0]
    msg.data = data
    msg.is_dense = False
    return msg


def scene() -> np.ndarray:
    """Go2 LiDAR-frame cloud: floor 0.32 m below the sensor, a box top at 0.2 m, a NaN point."""
    rng = np.random.default_rng(11)
    floor = np.column_stack(
        [rng.uniform(-1.0, 0.4, 6000), rng.uniform(-1.0, 1.0, 6000), np.full(6000, 0.32)]
    )
    box = np.column_stack(
        [rng.uniform(-0.5, -0.2, 800), rng.uniform(-0.1, 0.3, 800), np.full(800, 0.2)]
    )
    pts = np.concatenate([floor, box, [[np.nan, np.nan, np.nan]]]).astype(np.float32)
    return pts


def statuses(rec: Recorder) -> list[dict]:
    return [json.loads(r.msg.data) for r in rec.items]


def events(rec: Recorder, kind: str) -> list[dict]:
    return [s for s in statuses(rec) if s.get("node") == NODE and s.get("event") == kind]


@pytest.fixture
def heightmap(node_graph, ros_domain):
    spec = NodeSpec(
        name=NODE,
        module="heightmap_node.node",
        params_file=str(CONFIG_DIR / "go2.yaml"),
        params={"stale_after_s": 1.0, "status_rate_hz": 5.0},
    )
    graph = node_graph(spec)
    assert graph.wait_for_log(NODE, "ready", TIMEOUT), graph.read_log(NODE)
    with Probe(domain_id=ros_domain) as probe:
        rec = {
            "map": probe.record(Float32MultiArray, "/navila/height_map"),
            "image": probe.record(Image, "/navila/height_map/image"),
            "status": probe.record(String, "/navila/status"),
        }
        pub = probe.publisher(
            PointCloud2,
            "/lidar/points",
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
        )
        assert Probe.wait_matched(pub, TIMEOUT)
        assert rec["status"].wait_for(lambda _: statuses(rec["status"]), TIMEOUT)
        yield graph, pub, rec


def test_map_values_malformed_clouds_staleness_and_shutdown(heightmap) -> None:
    graph, pub, rec = heightmap
    first = statuses(rec["status"])[0]
    assert first["state"] == "waiting" and first["stale"] is True
    assert first["shape"] == [17, 27] and first["resolution"] == 0.06
    assert first["kernel"] == "numba"  # compiled kernel (numba is a requirement)
    assert first["dims"] == ["x", "y"] and first["origin"] == pytest.approx([-0.77, -0.77])

    # a good cloud: the published map is exactly the core's map of the same points
    pts = scene()
    pub.publish(make_cloud(pts))
    assert rec["map"].wait_count(1, TIMEOUT)
    msg = rec["map"].items[-1].msg
    assert [(d.label, d.size, d.stride) for d in msg.layout.dim] == [("x", 17, 459), ("y", 27, 27)]
    got = np.array(msg.data, dtype=np.float32)
    expected = build_height_map(pts, go2_map_config())
    np.testing.assert_array_equal(got, expected)
    assert np.any(expected == np.float32(0.2)) and np.any(expected == np.float32(0.32))
    assert rec["image"].wait_count(1, TIMEOUT)
    img = rec["image"].items[-1].msg
    assert (img.height, img.width, img.encoding, img.step) == (17, 27, "32FC1", 27 * 4)
    np.testing.assert_array_equal(np.frombuffer(bytes(img.data), "<f4"), expected)
    assert rec["status"].wait_for(lambda _: events(rec["status"], "live"), TIMEOUT)

    # malformed clouds: each is logged, reported and skipped; the node stays up
    missing_z = make_cloud(pts[:100])
    missing_z.fields = [f for f in missing_z.fields if f.name != "z"]
    truncated = make_cloud(pts[:100])
    truncated.data = bytes(truncated.data)[:-7]
    big_endian = make_cloud(pts[:100])
    big_endian.is_bigendian = True
    wrong_type = make_cloud(pts[:100])
    wrong_type.fields[0].datatype = PointField.UINT16
    absurd = make_cloud(pts[:10])
    absurd.width, absurd.row_step = 100_000_000, 100_000_000 * absurd.point_step
    bad = [missing_z, truncated, big_endian, wrong_type, absurd]
    for m in bad:
        pub.publish(m)
    assert rec["status"].wait_for(lambda _: len(events(rec["status"], "rejected")) >= 5, TIMEOUT)
    codes = {s["error"]["code"] for s in events(rec["status"], "rejected")}
    assert codes == {"missing_field", "truncated", "big_endian", "bad_datatype", "too_many_points"}
    assert events(rec["status"], "rejected")[-1]["clouds_rejected"] == 5
    assert not graph.dead()
    assert len(rec["map"]) == 1  # nothing was published for the bad ones
    log = graph.read_log(NODE)
    assert "skipped point cloud" in log and "big_endian" in log and "truncated" in log

    # still working afterwards; an empty cloud gives an all-unknown (NaN) map and a warning
    pub.publish(make_cloud(pts))
    assert rec["map"].wait_count(2, TIMEOUT)
    np.testing.assert_array_equal(np.array(rec["map"].items[-1].msg.data, np.float32), expected)
    pub.publish(make_cloud(np.empty((0, 3), np.float32)))
    assert rec["map"].wait_count(3, TIMEOUT)
    assert all(math.isnan(v) for v in rec["map"].items[-1].msg.data)
    assert rec["status"].wait_for(lambda _: events(rec["status"], "no_data"), TIMEOUT)
    assert events(rec["status"], "no_data")[-1]["state"] == "no_data"

    # no more clouds: the status turns stale (the locomotion node's fallback signal)
    assert rec["status"].wait_for(lambda _: events(rec["status"], "stale"), TIMEOUT)
    stale = events(rec["status"], "stale")[-1]
    assert stale["stale"] is True and stale["state"] == "stale" and stale["age_s"] > 1.0

    # SIGINT: a final "stopped" status, exit code 0
    proc = graph.procs[NODE]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=TIMEOUT) == 0
    assert rec["status"].wait_for(lambda _: events(rec["status"], "shutdown"), 5.0)
    assert events(rec["status"], "shutdown")[-1]["state"] == "stopped"


def test_h1_levels_the_cloud_with_the_imu(node_graph, ros_domain) -> None:
    """h1.yaml: gravity_align with /imu/data; a pitched view of a level floor gives a flat map."""
    from sensor_msgs.msg import Imu

    from heightmap_node.transforms import rpy_to_matrix

    graph = node_graph(
        NodeSpec(name=NODE, module="heightmap_node.node", params_file=str(CONFIG_DIR / "h1.yaml"))
    )
    assert graph.wait_for_log(NODE, "ready", TIMEOUT), graph.read_log(NODE)
    with Probe(domain_id=ros_domain) as probe:
        maps = probe.record(Float32MultiArray, "/navila/height_map")
        status = probe.record(String, "/navila/status")
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        pub = probe.publisher(PointCloud2, "/lidar/points", reliable)
        imu_pub = probe.publisher(Imu, "/imu/data", reliable)
        assert Probe.wait_matched(pub, TIMEOUT) and Probe.wait_matched(imu_pub, TIMEOUT)

        # level floor 1.05 m under the base; the sensor hangs upside down (180 deg about y)
        # 0.66 m above the base origin and 0.04 m ahead, as config/h1.yaml mounts it
        g = -1.5 + (np.arange(150) + 0.5) * 0.02
        xs, ys = np.meshgrid(g, g, indexing="ij")
        level = np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, -1.05)])
        pitch = 0.15
        base_from_level = rpy_to_matrix(0.0, pitch, 0.0).T  # base pitched nose-down by `pitch`
        sensor_in_base = rpy_to_matrix(0.0, np.pi, 0.0)
        # p_sensor = R^T (p_base - t), for row vectors (p_base - t) @ R
        in_sensor = ((level @ base_from_level.T) - [0.04, 0.0, 0.66]) @ sensor_in_base
        cloud = make_cloud(in_sensor.astype(np.float32))

        pub.publish(cloud)  # no attitude yet: the map is built unlevelled, with a warning
        assert maps.wait_count(1, TIMEOUT)
        unlevelled = np.array(maps.items[-1].msg.data, np.float32)
        assert np.ptp(unlevelled) > 0.1
        assert status.wait_for(
            lambda _: any("no attitude" in w for s in statuses(status) for w in s["warnings"]),
            TIMEOUT,
        )

        imu = Imu()
        q = [np.cos(pitch / 2), 0.0, np.sin(pitch / 2), 0.0]  # (w, x, y, z) about +y
        imu.orientation.w, imu.orientation.x, imu.orientation.y, imu.orientation.z = q
        imu_pub.publish(imu)
        assert status.wait_for(lambda _: statuses(status)[-1]["attitude_known"], TIMEOUT)
        pub.publish(cloud)
        assert maps.wait_count(2, TIMEOUT)
        msg = maps.items[-1].msg
        assert [(d.label, d.size) for d in msg.layout.dim] == [("y", 11), ("x", 17)]
        np.testing.assert_allclose(np.array(msg.data, np.float32), 0.55, atol=1e-4)
        assert not graph.dead()


def test_invalid_config_stops_the_node_with_a_clear_error(node_graph) -> None:
    spec = NodeSpec(
        name=NODE,
        module="heightmap_node.node",
        params_file=str(CONFIG_DIR / "go2.yaml"),
        params={"grid.resolution": -0.06},
    )
    graph = node_graph(spec)
    assert graph.procs[NODE].wait(timeout=TIMEOUT) == 2
    log = graph.read_log(NODE)
    assert "invalid heightmap configuration" in log and "resolution" in log


def test_clearances_are_published_from_each_cloud(heightmap, ros_domain) -> None:
    """config/go2.yaml enables the clearance: [ahead, around] per cloud. A wall 1.02 m ahead of
    the base (in the base frame, sent in the LiDAR frame through the configured mount) reads
    1.00 ahead (its 5 cm bin's near edge), free around (beyond around_max); a post 0.45 m
    beside the robot, free ahead; open floor +inf; a cloud with nothing near NaN. The status
    carries the same."""
    from heightmap_node.config import builder_config_from_params, load_params_file
    from heightmap_node.transforms import invert

    graph, pub, rec = heightmap
    mount = builder_config_from_params(load_params_file(CONFIG_DIR / "go2.yaml")).sensor_to_base
    to_sensor = invert(mount)
    rng = np.random.default_rng(5)
    floor = np.column_stack(
        [rng.uniform(-1.0, 2.0, 6000), rng.uniform(-1.0, 1.0, 6000), np.full(6000, -0.30)]
    )
    wall = np.array([[1.02, y, z] for y in np.linspace(-0.4, 0.4, 17) for z in (-0.3, -0.1, 0.1)])
    beside = np.array([[0.0, -0.45, z] for z in (-0.2, -0.1, 0.0, 0.1)])

    def sensor(points: np.ndarray) -> np.ndarray:
        return (points @ to_sensor[:3, :3].T + to_sensor[:3, 3]).astype(np.float32)

    def wall_ahead(v: list[float]) -> bool:
        return v[0] == pytest.approx(1.00, abs=1e-6) and math.isinf(v[1])

    def post_beside(v: list[float]) -> bool:
        return math.isinf(v[0]) and v[1] == pytest.approx(0.45, abs=1e-6)

    cases = [
        (np.concatenate([floor[floor[:, 0] < 1.02], wall]), wall_ahead),
        (np.concatenate([floor, beside]), post_beside),
        (floor, lambda v: all(math.isinf(x) for x in v)),
        (floor[floor[:, 0] > 1.5], lambda v: all(math.isnan(x) for x in v)),  # nothing near
    ]
    with Probe(domain_id=ros_domain) as probe:
        got = probe.record(Float32MultiArray, "/navila/clearance")
        # Each cloud is resent until the newest answer is its own (the reader may still be
        # joining, and an answer to the previous cloud may still be on its way).
        for k, (cloud, expected) in enumerate(cases):
            newest: list[float] = []
            for _ in range(int(TIMEOUT / 0.2)):
                pub.publish(make_cloud(sensor(cloud)))
                time.sleep(0.2)
                if len(got):
                    msg = got.items[-1].msg
                    assert [(d.label, d.size) for d in msg.layout.dim] == [("ahead_around", 2)]
                    newest = list(msg.data)
                    if expected(newest):
                        break
            assert expected(newest), (k, newest, graph.read_log(NODE))
    pub.publish(make_cloud(sensor(np.concatenate([floor, beside]))))  # the status: the newest
    assert rec["status"].wait_for(
        lambda _: any(
            s.get("clearance_m") == {"ahead": "free", "around": 0.45}
            for s in statuses(rec["status"])
        ),
        TIMEOUT,
    )
