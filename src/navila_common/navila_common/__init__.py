"""What every NaVILA node shares: the process lifecycle (`run_node`), the `robot` and
`topics.<key>` parameters (`node_params`) and the reading of its parameters from a ROS 2 params
file (`params`)."""
