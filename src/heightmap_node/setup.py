"""ament_python package heightmap_node: installs with colcon on a robot and with pip -e here."""

from setuptools import find_packages, setup

PACKAGE = "heightmap_node"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    install_requires=["setuptools", "numpy", "pyyaml"],
    zip_safe=True,
    maintainer="NaVILA ROS 2 maintainers",
    maintainer_email="maintainers@example.com",
    description=(
        "LiDAR point cloud to the locomotion policy's robot-centric height map, and its node."
    ),
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "heightmap_node = heightmap_node.node:main",
            "heightmap_render = heightmap_node.render:main",
        ]
    },
)
