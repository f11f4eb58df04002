"""LiDAR point cloud to the locomotion policy's robot-centric height map, and its node."""
