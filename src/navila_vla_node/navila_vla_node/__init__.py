"""NaVILA planner: frame history, prompt building, planner backends and the planner node."""
