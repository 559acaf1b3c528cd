"""The simulation engine: demand, agents, routing, the event log and its KPIs."""

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)
