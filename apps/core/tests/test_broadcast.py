"""Notifications leave only after commit, one PUBLISH per transaction; a rolled-back
transaction announces nothing."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from apps.core import broadcast

pytestmark = pytest.mark.django_db(transaction=True)


class FakeRedis:
    def __init__(self):
        self.published: list[list[dict]] = []

    def publish(self, channel, data):
        self.published.append(json.loads(data))
        return 1


@pytest.fixture
def redis(monkeypatch, settings):
    settings.ATTUNE_REDIS_URL = "redis://example.invalid/0"
    fake = FakeRedis()
    monkeypatch.setattr(broadcast, "_client", lambda: fake)
    return fake


def _note(n: int) -> dict:
    return broadcast.notification(notification_type="execution.status_changed", entity_type="execution",
                                  entity_id=n, payload={})


def test_a_transaction_publishes_once_after_commit(redis):
    """Three notifications in one transaction: nothing before commit, one message after."""
    with transaction.atomic():
        for n in (1, 2, 3):
            broadcast.broadcast(_note(n))
        assert redis.published == []
    assert [[m["entity_id"] for m in batch] for batch in redis.published] == [[1, 2, 3]]


def test_a_rolled_back_transaction_publishes_nothing_and_the_next_one_starts_afresh(redis):
    """Rollback drops the batch; the next transaction publishes only its own."""
    with pytest.raises(RuntimeError), transaction.atomic():
        broadcast.broadcast(_note(1))
        raise RuntimeError
    with transaction.atomic():
        broadcast.broadcast(_note(2))
    broadcast.broadcast(_note(3))  # outside a transaction: at once
    assert [[m["entity_id"] for m in batch] for batch in redis.published] == [[2], [3]]
