"""Workflows: graph files (spec), the pure conductor state machine, and the offline
simulation harness; the Django side (models, services, runner) wraps them."""
