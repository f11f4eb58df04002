#!/usr/bin/env bash
# Source ROS 2 and the built workspace, then run the given command.
set -e
# shellcheck disable=SC1090
source "/opt/ros/${ROS_DISTRO:-jazzy}/setup.bash"
source /ws/install/setup.bash
exec "$@"
