"""ament_python package navila_loco_node: installs with colcon on a robot and with pip -e here."""

from setuptools import find_packages, setup

PACKAGE = "navila_loco_node"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="NaVILA ROS 2 maintainers",
    maintainer_email="maintainers@example.com",
    description=("50 Hz locomotion policy runtime, safety supervisor and robot backends."),
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "navila_loco_node = navila_loco_node.node:main",
            "navila_camera_node = navila_loco_node.camera_node:main",
        ]
    },
)
