"""`core.executioncompleted`: an event for every finished execution, made only while
some enabled rule listens for it."""

from __future__ import annotations

import time

from apps.executions.choices import TERMINAL
from apps.executions.models import Execution

from ..models import Rule
from .events import event_create

TRIGGER = "core.executioncompleted"
_CACHE_SECONDS = 5.0
_listening: tuple[float, bool] = (0.0, False)


def _has_listeners() -> bool:
    # Asked on every finished execution: cached briefly instead of a query each time.
    global _listening
    checked, answer = _listening
    if time.monotonic() - checked > _CACHE_SECONDS:
        answer = Rule.objects.filter(trigger_ref=TRIGGER, enabled=True).exists()
        _listening = (time.monotonic(), answer)
    return answer


def on_execution_status_changed(*, execution_id: int, status: str, previous: str, **_known: object) -> None:
    if status not in TERMINAL or not _has_listeners():
        return
    execution = Execution.objects.filter(pk=execution_id).first()
    # An execution caused by this trigger does not announce itself again: a rule on
    # core.executioncompleted would otherwise feed on its own executions forever.
    if execution is None or execution.trigger_ref == TRIGGER:
        return
    event_create(
        trigger=TRIGGER,
        payload={
            "id": execution.pk,
            "action": execution.action_ref,
            "status": status,
            "result": execution.result,
            "rule": execution.rule_ref,
            "parent": execution.parent_id,
        },
        source="platform",
    )
