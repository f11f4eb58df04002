"""What every NaVILA node shares: the process lifecycle (`run_node`)."""
