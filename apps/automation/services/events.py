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
from apps.core.dispatch import EXECUTOR_QUEUE, send_on_commit, send_task
from apps.core.errors import DomainError, InvalidInput
from apps.core.expressions import ExpressionError
from apps.core.recent import RecentIds
from apps.executions.services.requests import (
    Cause,
    NewExecution,
    execution_prepare,
    executions_create,
    parameters_keep_secret,
)

from ..choices import EnforcementStatus, EventStatus
from ..models import Enforcement, Event, Rule, Trigger
from ..notifications import enforcements_created, events_changed
from .matching import render_action_params, revealed_secrets, rule_context, rule_evaluate

log = logging.getLogger(__name__)

PROCESS_TASK = "automation.process_event"


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
            events_changed([event], status=event.status)
    except IntegrityError:
        # The same delivery arrived twice at once; the other request stored it.
        earlier = Event.objects.filter(delivery_id=delivery_id).first() if delivery_id else None
        if earlier is None:
            raise
        return earlier
    return event


# Events are processed in batches when they queue up: one transaction, one bulk write
# per table and one commit for up to this many, instead of one of each per event.
BATCH = 50
# What matching, rendering and requesting read of a rule, its pack and its action.
_RULE_FIELDS = (
    "ref", "name", "criteria", "conditions", "action_params", "action_ref", "pack__ref", "pack__config",
    "action__ref", "action__parameters", "action__runner_type", "action__timeout", "action__enabled",
)
# Event ids this process has processed (committed): the messages of events handled in
# another event's batch are then answered without touching the database.
_recently_processed = RecentIds(10_000)


def event_process(*, event_id: int) -> list[Event]:
    """Evaluate the rules of a pending event, and of the pending events queued after it
    (up to BATCH). Safe to run twice for one event: the rows are locked (others'
    locked rows are skipped, not waited for), processed events are not selected again,
    and the (event, rule) uniqueness of enforcements stops a second execution.
    Returns the events processed."""
    if event_id in _recently_processed:
        return []
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(status=EventStatus.PENDING, pk__gte=event_id)
            .order_by("pk")[:BATCH]
        )
        if not events:
            return []
        rules_by_trigger: dict[tuple[int | None, str], list[Rule]] = {}
        enforcements: list[tuple[Event, Rule, dict[str, Any], NewExecution | None, str]] = []
        errors: dict[int, list[dict[str, str]]] = {}
        for event in events:
            key = (event.trigger_id, event.trigger_key)
            if key not in rules_by_trigger:
                rules_by_trigger[key] = list(
                    Rule.objects.filter(trigger_id=event.trigger_id, trigger_key=event.trigger_key, enabled=True)
                    .select_related("pack", "action")
                    .only(*_RULE_FIELDS)
                    .order_by("ref")
                )
            for rule in rules_by_trigger[key]:
                context = rule_context(rule, event)
                verdict = rule_evaluate(rule, context)
                if verdict.error:
                    errors.setdefault(event.pk, []).append({"rule": rule.ref, "error": verdict.error})
                elif verdict.matched:
                    enforcements.append(_request(rule, event, context))
        _enforce(enforcements)
        now = timezone.now()
        Event.objects.filter(pk__in=[e.pk for e in events if e.pk not in errors]).update(
            status=EventStatus.PROCESSED, processed_at=now
        )
        for pk, rule_errors in errors.items():
            Event.objects.filter(pk=pk).update(status=EventStatus.PROCESSED, processed_at=now, rule_errors=rule_errors)
        events_changed(events, status=EventStatus.PROCESSED)
        transaction.on_commit(lambda: _recently_processed.add([e.pk for e in events]))
    return events


def _request(rule: Rule, event: Event, context: dict[str, Any]):
    """The execution a matching rule asks for, validated but not stored yet; or the
    reason it cannot run (templates, the parameter schema), for its enforcement."""
    params: dict[str, Any] = {}
    try:
        params = render_action_params(rule, context)
        request = execution_prepare(
            action=rule.action or rule.action_ref,
            parameters=params,
            cause=Cause(rule_ref=rule.ref, trigger_ref=event.trigger_ref, event_id=event.pk),
        )
    except (DomainError, ExpressionError) as exc:
        secrets = revealed_secrets(context)
        return event, rule, schemas.mask_values(params, secrets), None, schemas.mask_text(str(exc), secrets)
    # A parameter whose template read an encrypted key is a secret of this execution
    # (stored encrypted, shown masked, masked in its output); the enforcement keeps
    # the masked form.
    secrets = revealed_secrets(context)
    parameters_keep_secret(request, secrets)
    return event, rule, schemas.mask_values(params, secrets), request, ""


def _enforce(enforcements: list) -> None:
    """One enforcement per (event, rule) and an execution for each valid request, in
    bulk. No savepoint is needed: everything that can refuse a request ran before
    anything was written, and the events' row locks make a second enforcement of the
    same (event, rule) impossible."""
    requests = [request for _, _, _, request, _ in enforcements if request is not None]
    created = iter(executions_create(requests)) if requests else iter(())
    rows = []
    for event, rule, params, request, error in enforcements:
        execution = next(created) if request is not None else None
        rows.append(Enforcement(
            event=event, rule=rule, rule_ref=rule.ref, execution=execution, action_params=_masked(rule, params),
            status=EnforcementStatus.SUCCEEDED if execution is not None else EnforcementStatus.FAILED, error=error,
        ))
    Enforcement.objects.bulk_create(rows)
    enforcements_created(rows)


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
