"""Cancel, pause and resume. Runners that drive other executions (workflows) provide
their own `cancel`, `pause` and `resume` hooks, so the command cascades to children."""

from __future__ import annotations

from django.db import transaction

from apps.core.errors import Conflict, NotFound

from ..choices import TERMINAL, Status
from ..models import Execution
from ..runners import base as runner_registry
from .transitions import transition

_NOT_ON_WORKER = (Status.REQUESTED, Status.DELAYED, Status.SCHEDULED, Status.PAUSED)


def _get(execution_id: int) -> Execution:
    execution = Execution.objects.filter(pk=execution_id).first()
    if execution is None:
        raise NotFound(f"no execution {execution_id}")
    return execution


def _hook(execution: Execution, name: str):
    try:
        return getattr(runner_registry.get(execution.runner_type), name, None)
    except Exception:
        return None


def execution_cancel(*, execution_id: int, reason: str = "canceled by request") -> Execution:
    """Cancel an execution. Not yet running: canceled at once (a worker's claim then
    fails). Running: `canceling`, and its worker stops the process tree (SIGTERM, then
    SIGKILL after the grace period) and records `canceled`."""
    with transaction.atomic():
        execution = _get(execution_id)
        if execution.status in TERMINAL:
            raise Conflict(f"execution {execution_id} already finished ({execution.status})")
        if execution.status == Status.CANCELING:
            return execution
        # A driven execution (workflow) not launched yet has nothing to cascade to.
        hook = _hook(execution, "cancel") if execution.status not in (Status.REQUESTED, Status.DELAYED) else None
        if hook is not None:
            hook(execution, reason)
        elif execution.status in _NOT_ON_WORKER:
            if not transition(execution_id, to=Status.CANCELED, expected=execution.status, reason=reason):
                return execution_cancel(execution_id=execution_id, reason=reason)
        elif not transition(execution_id, to=Status.CANCELING, expected=execution.status, reason=reason):
            # It moved meanwhile (claimed, or finished): decide again on its new status.
            return execution_cancel(execution_id=execution_id, reason=reason)
    execution.refresh_from_db()
    return execution


def execution_pause(*, execution_id: int) -> Execution:
    """Pause a running workflow: running tasks finish, nothing new starts."""
    with transaction.atomic():
        execution = _get(execution_id)
        hook = _hook(execution, "pause")
        if hook is None:
            raise Conflict(f"execution {execution_id} is not a workflow; only workflows can be paused")
        if execution.status not in (Status.RUNNING, Status.PAUSING, Status.PAUSED):
            raise Conflict(f"execution {execution_id} is {execution.status}; only a running workflow can be paused")
        hook(execution)
    execution.refresh_from_db()
    return execution


def execution_resume(*, execution_id: int) -> Execution:
    """Resume a paused (or pausing) workflow."""
    with transaction.atomic():
        execution = _get(execution_id)
        hook = _hook(execution, "resume")
        if hook is None:
            raise Conflict(f"execution {execution_id} is not a workflow; only workflows can be resumed")
        if execution.status not in (Status.PAUSED, Status.PAUSING):
            raise Conflict(f"execution {execution_id} is {execution.status}; only a paused workflow can be resumed")
        hook(execution)
    execution.refresh_from_db()
    return execution
