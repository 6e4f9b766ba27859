"""Read endpoints for the runtimes and the workers of the fleet."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from apps.executions.choices import Status, WorkerStatus
from apps.executions.models import Execution, Worker
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return api


def test_runtimes_show_their_queue_and_interpreter(client):
    shown = client.get("/api/v1/runtimes/python/").json()
    assert shown["queue"] == "runtime.python" and shown["pack"] == "core"
    assert shown["interpreter"]["binary"] == "python3"
    names = {r["name"] for r in client.get("/api/v1/runtimes/").json()["results"]}
    assert {"shell", "python", "node", "native"} <= names


def test_workers_show_queues_heartbeat_and_what_they_run(client):
    busy = Worker.objects.create(name="actions@a", role="action", queues=["runtime.shell"], heartbeat_at=timezone.now())
    Worker.objects.create(name="actions@b", role="action", status=WorkerStatus.LOST)
    Execution.objects.create(action_ref="core.local", status=Status.RUNNING, worker=busy)
    Execution.objects.create(action_ref="core.local", status=Status.SUCCEEDED, worker=busy)
    online = client.get("/api/v1/workers/?status=online").json()["results"]
    assert [(w["name"], w["queues"], w["running"]) for w in online] == [("actions@a", ["runtime.shell"], 1)]


def test_both_need_credentials():
    assert APIClient().get("/api/v1/workers/").status_code == 401
    assert APIClient().get("/api/v1/runtimes/").status_code == 401
