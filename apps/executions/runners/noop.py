from __future__ import annotations

from .base import Job, RunOutcome


class NoopRunner:
    """Does nothing and succeeds, without a worker or a process."""

    name = "noop"
    queue = None

    def run(self, job: Job) -> RunOutcome:
        return RunOutcome(status="succeeded", result={}, exit_code=0)
