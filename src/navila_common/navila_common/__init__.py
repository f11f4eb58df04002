"""What every NaVILA node shares: the process lifecycle (`run_node`) and the reading of its
section of a ROS 2 params file (`params`)."""
