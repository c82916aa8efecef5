"""Demo data for `make run`: agents, customers and a few hundred tickets built through the
services. Never used by production deployments (they do not run the ``demo_data`` command)."""
