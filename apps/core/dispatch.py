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


def send_task(name: str, args: list[Any], *, queue: str) -> bool:
    """Publish now; False (and a warning) when the broker cannot be reached."""
    try:
        current_app.send_task(name, args=args, queue=queue)
    except Exception as exc:  # kombu raises several connection error types
        log.warning("could not publish %s%s to %s (%s); the reaper will re-dispatch", name, args, queue, exc)
        return False
    return True


def send_on_commit(name: str, args: list[Any], *, queue: str) -> None:
    """Publish once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: send_task(name, args, queue=queue))
