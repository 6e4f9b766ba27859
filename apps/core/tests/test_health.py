"""The health endpoints answer without credentials; readiness names what is down."""

from __future__ import annotations

import pytest
from celery import current_app

pytestmark = pytest.mark.django_db


def test_live_needs_no_credentials(client):
    answer = client.get("/health/live")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_ready_when_the_database_and_the_broker_answer(client, broker_url):
    answer = client.get("/health/ready")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_not_ready_names_the_broker_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(current_app.conf, "broker_url", "redis://127.0.0.1:9/0")  # nothing listens there
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unreachable"}}
