"""ament_python package navila_sim: installs with colcon on a robot and with pip -e here."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "navila_sim"
DATA_DIRS = ["robots", "scenes", "episodes"]

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    package_data={PACKAGE: [f"{d}/*" for d in DATA_DIRS]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        *[(f"share/{PACKAGE}/{d}", glob(f"{PACKAGE}/{d}/*")) for d in DATA_DIRS],
    ],
    install_requires=["setuptools", "numpy", "pyyaml", "mujoco>=3.2"],
    zip_safe=False,
    maintainer="NaVILA ROS 2 maintainers",
    maintainer_email="maintainers@example.com",
    description=(
        "Embedded MuJoCo simulation (Go2, H1, T1) publishing the Isaac Sim bridge topics; "
        "scenes, LiDAR, camera, episodes."
    ),
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "navila_sim_node = navila_sim.node:main",
            "navila_sim_unitree = navila_sim.unitree_sim:cli",
        ]
    },
)
