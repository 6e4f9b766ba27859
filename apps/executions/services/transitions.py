"""The one guarded transition: a compare-and-set UPDATE on the status (plus the lease
for work held by a worker). A redelivered message or a late write from a stale worker
matches no row and changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core import signals

from ..choices import TERMINAL, can_transition
from ..models import Execution, ExecutionHistory

log = logging.getLogger(__name__)

# Payload: execution_id, status, previous; and facts about the row the announcer
# already had at hand (parent_id), so subscribers take **kwargs and query only for
# what is missing.
STATUS_CHANGED = "execution.status_changed"


def transition(
    execution_id: int,
    *,
    to: str,
    expected: str | Iterable[str],
    fence: str | None = None,
    reason: str = "",
    at: datetime | None = None,
    **fields: Any,
) -> bool:
    """Move an execution from one of `expected` to `to`, setting `fields` in the same
    UPDATE. With `fence`, the row must also still hold that lease. Returns False
    (changing nothing) when the row is no longer in an expected status or holds
    another lease. Subscribers of `execution.status_changed` run in the
    same transaction."""
    ordered = [expected] if isinstance(expected, str) else list(expected)
    allowed = [s for s in ordered if can_transition(s, to)]
    if not allowed:
        raise ValueError(f"no transition from {ordered} to {to}")
    now = at or timezone.now()
    if to in TERMINAL:
        fields.setdefault("finished_at", now)
        fields.setdefault("token_hash", "")
    query = Execution.objects.filter(pk=execution_id)
    if fence is not None:
        query = query.filter(lease=fence)
    # No savepoint when nested: the caller's transaction is the unit (an error here
    # aborts it anyway), and a savepoint costs two more statements on the hot path.
    with transaction.atomic(savepoint=False):
        # Try each origin in turn (the likely one first, as given): a plain
        # compare-and-set per origin, so the common case is one UPDATE.
        previous = ""
        for origin in allowed:
            if query.filter(status=origin).update(status=to, updated_at=now, **fields):
                previous = origin
                break
        else:
            return False
        ExecutionHistory.objects.create(execution_id=execution_id, status=to, previous=previous, at=now, reason=reason)
        signals.emit(STATUS_CHANGED, execution_id=execution_id, status=to, previous=previous)
    return True

