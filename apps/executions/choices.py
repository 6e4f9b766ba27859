"""Execution statuses (FORMATS.md "Execution statuses"), their groups, and the
transitions the one guarded transition function allows."""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    REQUESTED = "requested"
    DELAYED = "delayed"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PENDING = "pending"
    PAUSING = "pausing"
    PAUSED = "paused"
    RESUMING = "resuming"
    CANCELING = "canceling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    ABANDONED = "abandoned"


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.TIMEOUT, Status.CANCELED, Status.ABANDONED})
ACTIVE = frozenset(set(Status) - TERMINAL)
# Not yet given to a worker: the reaper re-dispatches these when their message is lost.
WAITING = frozenset({Status.REQUESTED, Status.SCHEDULED})
# Held by a worker: heartbeats keep these alive.
ON_WORKER = frozenset({Status.RUNNING, Status.CANCELING})
CANCELABLE = frozenset(
    {Status.REQUESTED, Status.DELAYED, Status.SCHEDULED, Status.RUNNING, Status.PENDING,
     Status.PAUSING, Status.PAUSED, Status.RESUMING}
)

_ENDINGS = {Status.SUCCEEDED, Status.FAILED, Status.TIMEOUT, Status.CANCELED, Status.ABANDONED}
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REQUESTED: frozenset({Status.DELAYED, Status.SCHEDULED, Status.RUNNING, Status.CANCELED, Status.FAILED}),
    Status.DELAYED: frozenset({Status.SCHEDULED, Status.REQUESTED, Status.CANCELED, Status.FAILED}),
    Status.SCHEDULED: frozenset({Status.RUNNING, Status.CANCELED, Status.FAILED, Status.ABANDONED}),
    Status.RUNNING: frozenset({Status.PENDING, Status.PAUSING, Status.CANCELING, *_ENDINGS}),
    Status.PENDING: frozenset({Status.RUNNING, Status.PAUSING, Status.CANCELING, *_ENDINGS}),
    Status.PAUSING: frozenset({Status.PAUSED, Status.RUNNING, Status.CANCELING, *_ENDINGS}),
    Status.PAUSED: frozenset({Status.RESUMING, Status.CANCELING, Status.CANCELED, Status.FAILED}),
    Status.RESUMING: frozenset({Status.RUNNING, Status.CANCELING, *_ENDINGS}),
    Status.CANCELING: frozenset({Status.CANCELED, Status.ABANDONED, Status.FAILED, Status.TIMEOUT}),
}
for _status in TERMINAL:
    TRANSITIONS[_status] = frozenset()


def can_transition(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


class WorkerStatus(models.TextChoices):
    ONLINE = "online"
    OFFLINE = "offline"
    LOST = "lost"
