"""ament_python package navila_common: installs with colcon on a robot and with pip -e here."""

from setuptools import find_packages, setup

PACKAGE = "navila_common"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    install_requires=["setuptools", "pyyaml"],
    zip_safe=True,
    maintainer="NaVILA ROS 2 maintainers",
    maintainer_email="maintainers@example.com",
    description="The process lifecycle and params-file reading every NaVILA node shares.",
    license="Apache-2.0",
    entry_points={"console_scripts": []},
)
