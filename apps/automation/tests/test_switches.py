"""Enabling and disabling rules and triggers through the API."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.automation.models import Enforcement, Timer
from apps.automation.services.events import event_create, event_process
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    pack_register(path=settings.BASE_DIR / "packs" / "examples")
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return api


def test_a_disabled_rule_matches_nothing_until_enabled(client):
    answer = client.post("/api/v1/rules/examples.big_orders/disable/")
    assert answer.status_code == 200 and answer.json()["enabled"] is False
    event = event_create(trigger="examples.order", payload={"id": 1, "total": 5000}, source="test")
    event_process(event_id=event.pk)
    assert not Enforcement.objects.filter(rule_ref="examples.big_orders").exists()
    assert client.post("/api/v1/rules/examples.big_orders/enable/").json()["enabled"] is True
    event = event_create(trigger="examples.order", payload={"id": 2, "total": 5000}, source="test")
    event_process(event_id=event.pk)
    assert Enforcement.objects.filter(rule_ref="examples.big_orders", event=event).exists()


def test_disabling_a_timer_rule_removes_its_timer(client):
    assert Timer.objects.filter(trigger_ref="core.intervaltimer").exists()
    client.post("/api/v1/rules/examples.hello_world/disable/")
    assert not Timer.objects.filter(trigger_ref="core.intervaltimer").exists()
    client.post("/api/v1/rules/examples.hello_world/enable/")
    assert Timer.objects.filter(trigger_ref="core.intervaltimer").exists()


def test_a_disabled_trigger_refuses_events(client):
    assert client.post("/api/v1/triggers/examples.order/disable/").json()["enabled"] is False
    answer = client.post("/api/v1/events/", {"trigger": "examples.order", "payload": {"id": 1, "total": 5}}, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "trigger"
    client.post("/api/v1/triggers/examples.order/enable/")
    answer = client.post("/api/v1/events/", {"trigger": "examples.order", "payload": {"id": 1, "total": 5}}, format="json")
    assert answer.status_code == 202


def test_an_unknown_rule_is_404(client):
    assert client.post("/api/v1/rules/examples.nope/disable/").status_code == 404
