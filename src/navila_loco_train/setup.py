"""ament_python package navila_loco_train: installs with colcon on a robot and with pip -e here."""

from setuptools import find_packages, setup

PACKAGE = "navila_loco_train"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    package_data={PACKAGE: ["configs/*.yaml", "isaaclab/*.md"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    install_requires=["setuptools", "numpy", "pyyaml", "mujoco>=3.2"],
    zip_safe=False,
    maintainer="NaVILA ROS 2 maintainers",
    maintainer_email="maintainers@example.com",
    description=(
        "Trains the NaVILA locomotion policies (rsl-rl PPO on batched MuJoCo), exports and "
        "evaluates them."
    ),
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "navila-loco-train = navila_loco_train.train:main",
            "navila-loco-eval = navila_loco_train.evaluate:main",
            "navila-loco-eval-pool = navila_loco_train.eval_pool:main",
        ]
    },
)
