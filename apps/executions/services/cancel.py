from __future__ import annotations

from django.db import transaction

from apps.core.errors import Conflict, NotFound

from ..choices import TERMINAL, Status
from ..models import Execution
from .transitions import transition

_NOT_ON_WORKER = (Status.REQUESTED, Status.DELAYED, Status.SCHEDULED, Status.PAUSED)


def execution_cancel(*, execution_id: int, reason: str = "canceled by request") -> Execution:
    """Cancel an execution. Not yet running: canceled at once (a worker's claim then
    fails). Running: `canceling`, and its worker stops the process tree (SIGTERM, then
    SIGKILL after the grace period) and records `canceled`."""
    with transaction.atomic():
        execution = Execution.objects.filter(pk=execution_id).first()
        if execution is None:
            raise NotFound(f"no execution {execution_id}")
        if execution.status in TERMINAL:
            raise Conflict(f"execution {execution_id} already finished ({execution.status})")
        if execution.status == Status.CANCELING:
            return execution
        if execution.status in _NOT_ON_WORKER:
            changed = transition(execution_id, to=Status.CANCELED, expected=execution.status, reason=reason)
        else:
            changed = transition(execution_id, to=Status.CANCELING, expected=execution.status, reason=reason)
        if not changed:
            # It moved meanwhile (claimed, or finished): decide again on its new status.
            return execution_cancel(execution_id=execution_id, reason=reason)
    execution.refresh_from_db()
    return execution
