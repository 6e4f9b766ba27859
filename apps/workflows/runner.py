from __future__ import annotations

from apps.executions.models import Execution

from . import services


class WorkflowRunner:
    """A workflow action is never sent to a worker: the executor runs its conductor,
    and each task becomes a child execution through the normal pipeline."""

    name = "workflow"
    queue = None

    def launch(self, execution: Execution) -> None:
        services.workflow_launch(execution)

    def cancel(self, execution: Execution, reason: str) -> None:
        services.workflow_cancel(execution, reason)

    def pause(self, execution: Execution) -> None:
        services.workflow_pause(execution)

    def resume(self, execution: Execution) -> None:
        services.workflow_resume(execution)

    def run(self, job):  # never called: launch() drives it
        raise NotImplementedError
