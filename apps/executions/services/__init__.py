"""Execution services: requesting, scheduling and dispatching (requests), the guarded
status transition (transitions), running on a worker (running), cancelling (cancel),
worker heartbeats (workers) and the reaper (reaper)."""
