"""xyz points -> sensor_msgs/PointCloud2, the layout every simulated LiDAR here publishes.

Shared by the simulator node and the Unitree DDS mode's LiDAR driver process, so both send the
same message (FLOAT32 x, y, z; 12-byte points; one row; little endian; dense) that heightmap_node
reads (heightmap_node.pointcloud).
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import PointCloud2, PointField


def xyz_cloud(points: np.ndarray, stamp: Time, frame_id: str) -> PointCloud2:
    """(N, 3) points in `frame_id` -> PointCloud2 (float32 copy when needed)."""
    pts = np.ascontiguousarray(points, dtype=np.float32).reshape(-1, 3)
    msg = PointCloud2()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = 1, len(pts)
    msg.fields = [
        PointField(name=n, offset=4 * i, datatype=PointField.FLOAT32, count=1)
        for i, n in enumerate("xyz")
    ]
    msg.is_bigendian = False
    msg.point_step, msg.row_step = 12, 12 * len(pts)
    msg.is_dense = True
    msg.data = pts.tobytes()
    return msg
