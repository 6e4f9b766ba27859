"""The broadcast helper: live-update messages for every process that serves WebSocket
clients, over Redis pub/sub, published only after the writing transaction commits.

Live updates are hints (DESIGN.md §3, guarantee 7): a client resyncs from the REST
API, so a message that cannot be published is dropped with a log line rather than
slowing or failing the write that caused it. Publishing is one synchronous PUBLISH on
a connection kept per process: the hot path (a status change on an action worker)
pays tens of microseconds, not an event loop."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)



def channel() -> str:
    """The pub/sub channel of this installation. Redis pub/sub ignores database
    numbers, so installations (and test runs) sharing a Redis are told apart by the
    name of their database."""
    from django.db import connection

    return f"attune.notifications.{connection.settings_dict['NAME']}"

_local = threading.local()


def notification(
    *, notification_type: str, entity_type: str, entity_id: int | str, payload: dict[str, Any],
    user_id: int | None = None, pack: str | None = None,
) -> dict[str, Any]:
    """The message of DESIGN.md §4, plus the pack it belongs to (used by the receiving
    side to authorise delivery; not sent to clients)."""
    return {
        "type": "notification",
        "notification_type": notification_type,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "payload": payload,
        "user_id": user_id,
        "timestamp": time.time(),
        "pack": pack,
    }


def broadcast(message: dict[str, Any]) -> None:
    """Publish `message` once the current transaction commits (now, outside one).
    Everything a transaction announces goes out in one PUBLISH after its commit: the
    executor's batch of fifty events costs one message, not a hundred and fifty."""
    if not settings.ATTUNE_LIVE_UPDATES or not settings.ATTUNE_REDIS_URL:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _publish([message])
        return
    batch = getattr(connection, "_attune_broadcast", None)
    # A rolled-back transaction drops its on-commit callbacks, this batch's flush
    # among them: then a fresh batch starts.
    if batch is None or not any(func == batch.flush for _, func, _ in connection.run_on_commit):
        batch = _Batch()
        connection._attune_broadcast = batch
        transaction.on_commit(batch.flush)
    batch.messages.append(message)


class _Batch:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def flush(self) -> None:
        messages, self.messages = self.messages, []
        if messages:
            _publish(messages)


def _publish(messages: list[dict[str, Any]]) -> None:
    """One PUBLISH of a JSON list of notifications."""
    try:
        _client().publish(channel(), json.dumps(messages, separators=(",", ":"), default=str))
    except Exception as exc:  # noqa: BLE001 - a hint that cannot be sent is dropped
        _local.client = None
        log.debug("%d notification(s) dropped: %s", len(messages), exc)


def _client():
    client = getattr(_local, "client", None)
    if client is None:
        import redis

        client = redis.Redis.from_url(settings.ATTUNE_REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
        _local.client = client
    return client
