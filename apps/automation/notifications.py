"""Events and enforcements as live notifications (DESIGN.md §4). Payloads carry
statuses and refs, never the event's payload: a client that wants it reads the API,
where authorisation applies."""

from __future__ import annotations

from collections.abc import Iterable

from apps.core.broadcast import broadcast, notification


def _pack(ref: str) -> str:
    return ref.split(".", 1)[0]


def events_changed(events: Iterable, *, status: str) -> None:
    for event in events:
        broadcast(notification(
            notification_type="event.status_changed", entity_type="event", entity_id=event.pk,
            payload={"status": status, "trigger_ref": event.trigger_ref}, user_id=event.user_id,
            pack=_pack(event.trigger_ref),
        ))


def enforcements_created(enforcements: Iterable) -> None:
    for enforcement in enforcements:
        broadcast(notification(
            notification_type="enforcement.created", entity_type="enforcement", entity_id=enforcement.pk,
            payload={"status": enforcement.status, "rule_ref": enforcement.rule_ref,
                     "event_id": enforcement.event_id, "execution_id": enforcement.execution_id},
            pack=_pack(enforcement.rule_ref),
        ))
