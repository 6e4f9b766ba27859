"""Sending Celery messages. The database is the ledger and the broker a doorbell: a
message carries only an id and is sent after the transaction that wrote the row
commits. A failed send is logged and left to the reaper, which re-dispatches rows whose
message never arrived."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

# The executor's queue: events, workflow launches and advancements (never actions).
EXECUTOR_QUEUE = "attune.executor"


def _publish(name: str, args: list[Any], queue: str, producer: Any = None) -> None:
    # The arguments are ids: their repr for the message headers is given rather than
    # made by Celery's safe-repr, which costs a sixth of a publish.
    current_app.send_task(name, args=args, queue=queue, producer=producer, argsrepr=repr(args), kwargsrepr="{}")


def send_task(name: str, args: list[Any], *, queue: str) -> bool:
    """Publish now; False (and a warning) when the broker cannot be reached."""
    try:
        _publish(name, args, queue)
    except Exception as exc:  # kombu raises several connection error types
        log.warning("could not publish %s%s to %s (%s); the reaper will re-dispatch", name, args, queue, exc)
        return False
    return True


def send_on_commit(name: str, args: list[Any], *, queue: str) -> None:
    """Publish once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: send_task(name, args, queue=queue))


def send_many_on_commit(messages: list[tuple[str, list[Any], str]]) -> None:
    """Publish (task, args, queue) messages once the transaction commits, over one
    producer: a fan-out of thousands must not acquire a connection per message."""
    if not messages:
        return

    def publish() -> None:
        try:
            with current_app.producer_or_acquire() as producer:
                for index, (name, args, queue) in enumerate(messages):
                    try:
                        _publish(name, args, queue, producer)
                    except Exception as exc:  # the reaper re-dispatches what was not sent
                        log.warning("could not publish %s of %s messages (%s); the reaper will re-dispatch",
                                    len(messages) - index, len(messages), exc)
                        return
        except Exception as exc:
            log.warning("could not publish %s messages (%s); the reaper will re-dispatch", len(messages), exc)

    transaction.on_commit(publish)
