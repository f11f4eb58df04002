"""`python -m navila_vla_node` runs the planner node."""

import sys

from navila_vla_node.node import main

sys.exit(main())
