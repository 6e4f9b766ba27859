"""Events: accepting them (stored before anyone is answered) and processing them on
the executor: rules evaluated, one enforcement per matching rule, executions requested."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core import schemas
from apps.core.dispatch import send_on_commit, send_task
from apps.core.errors import DomainError, InvalidInput
from apps.core.expressions import ExpressionError
from apps.executions.services.requests import Cause, execution_request

from ..choices import EnforcementStatus, EventStatus
from ..models import Enforcement, Event, Rule, Trigger
from .matching import render_action_params, rule_context, rule_evaluate

log = logging.getLogger(__name__)

PROCESS_TASK = "automation.process_event"
EXECUTOR_QUEUE = "attune.executor"


def trigger_resolve(ref: Any, *, field: str = "trigger") -> Trigger:
    trigger = Trigger.objects.filter(ref=ref).first() if isinstance(ref, str) else None
    if trigger is None:
        raise InvalidInput(field, f"no trigger named {ref!r}")
    if not trigger.enabled:
        raise InvalidInput(field, f"trigger {trigger.ref} is disabled")
    return trigger


def event_create(
    *,
    trigger: Trigger | str,
    payload: Any,
    source: str,
    trigger_key: str = "",
    user=None,
    delivery_id: str | None = None,
    validate: bool = False,
) -> Event:
    """Store an event and, once committed, send it to the executor. With `validate`,
    the payload is checked against the trigger's payload schema (400 naming the
    field). A delivery id seen before returns the earlier event instead."""
    if not isinstance(trigger, Trigger):
        trigger = trigger_resolve(trigger)
    if payload is None:
        payload = {}
    if validate and trigger.payload_schema:
        schemas.validate(trigger.payload_schema, payload, field="payload")
    if delivery_id:
        earlier = Event.objects.filter(delivery_id=delivery_id).first()
        if earlier is not None:
            return earlier
    try:
        with transaction.atomic():
            event = Event.objects.create(
                trigger=trigger, trigger_ref=trigger.ref, trigger_key=trigger_key, payload=payload, source=source,
                user=user if getattr(user, "pk", None) else None, delivery_id=delivery_id or None,
                dispatched_at=timezone.now(), dispatch_count=1,
            )
            send_on_commit(PROCESS_TASK, [event.pk], queue=EXECUTOR_QUEUE)
    except IntegrityError:
        # The same delivery arrived twice at once; the other request stored it.
        earlier = Event.objects.filter(delivery_id=delivery_id).first() if delivery_id else None
        if earlier is None:
            raise
        return earlier
    return event


def event_process(*, event_id: int) -> Event | None:
    """Evaluate the rules of a pending event. Safe to run twice for one event: the
    event row is locked, a processed event is skipped, and the (event, rule)
    uniqueness of enforcements stops a second execution."""
    with transaction.atomic():
        event = (
            Event.objects.select_for_update().filter(pk=event_id, status=EventStatus.PENDING).first()
        )
        if event is None:
            return None
        rules = (
            Rule.objects.filter(trigger_id=event.trigger_id, trigger_key=event.trigger_key, enabled=True)
            .select_related("pack", "action__pack")
            .order_by("ref")
        )
        errors = []
        for rule in rules:
            context = rule_context(rule, event)
            verdict = rule_evaluate(rule, context)
            if verdict.error:
                errors.append({"rule": rule.ref, "error": verdict.error})
            elif verdict.matched:
                _enforce(rule, event, context)
        Event.objects.filter(pk=event.pk).update(
            status=EventStatus.PROCESSED, processed_at=timezone.now(), rule_errors=errors
        )
    return event


def _enforce(rule: Rule, event: Event, context: dict[str, Any]) -> None:
    """One enforcement for (event, rule) and, if its parameters are valid, an execution."""
    execution = None
    error = ""
    params: dict[str, Any] = {}
    try:
        # A savepoint: a failed request or a duplicate enforcement rolls back this rule
        # only, including any execution (and its queued message) made for it.
        with transaction.atomic():
            params = render_action_params(rule, context)
            execution = execution_request(
                action=rule.action or rule.action_ref,
                parameters=params,
                cause=Cause(rule_ref=rule.ref, trigger_ref=event.trigger_ref, event_id=event.pk),
            )
            Enforcement.objects.create(
                event=event, rule=rule, rule_ref=rule.ref, status=EnforcementStatus.SUCCEEDED, execution=execution,
                action_params=_masked(rule, params),
            )
            return
    except IntegrityError:
        log.info("event %s already enforced rule %s", event.pk, rule.ref)
        return
    except (DomainError, ExpressionError) as exc:  # recorded on the enforcement
        error = str(exc)
    try:
        with transaction.atomic():
            Enforcement.objects.create(
                event=event, rule=rule, rule_ref=rule.ref, status=EnforcementStatus.FAILED,
                action_params=_masked(rule, params), error=error,
            )
    except IntegrityError:
        pass


def _masked(rule: Rule, params: dict[str, Any]) -> dict[str, Any]:
    if rule.action is None:
        return params
    return schemas.mask(params, schemas.secret_names(rule.action.parameters))


def events_redispatch() -> int:
    """Re-send pending events whose message was lost (e.g. accepted while the broker
    was down), with a back-off per event."""
    base = settings.ATTUNE_REDISPATCH_AFTER
    now = timezone.now()
    sent = 0
    pending = Event.objects.filter(status=EventStatus.PENDING, dispatched_at__lt=now - timedelta(seconds=base))
    for pk, dispatched, count in pending.values_list("pk", "dispatched_at", "dispatch_count")[:500]:
        if dispatched + timedelta(seconds=base * 2 ** min(max(count - 1, 0), 6)) > now:
            continue
        Event.objects.filter(pk=pk).update(dispatched_at=now, dispatch_count=F("dispatch_count") + 1)
        if send_task(PROCESS_TASK, [pk], queue=EXECUTOR_QUEUE):
            sent += 1
    return sent
