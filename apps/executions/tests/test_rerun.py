"""Re-running an execution: changed parameters, secrets reused from the stored values
(never the masked display), and clear errors."""

from __future__ import annotations

import textwrap

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.executions.models import Execution
from apps.executions.services.requests import execution_request, parameters_full
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

SECRET = "hunter2-canary"


@pytest.fixture
def client(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = tmp_path / "ops"
    (root / "actions").mkdir(parents=True)
    (root / "pack.yaml").write_text("ref: ops\nversion: 1.0.0\n")
    (root / "actions" / "call.yaml").write_text(textwrap.dedent("""
        name: call
        runner_type: shell
        entry_point: call.sh
        parameters:
          url: {type: string, required: true}
          retries: {type: integer, default: 1}
          token: {type: string, secret: true, required: true}
    """))
    (root / "actions" / "call.sh").write_text("#!/bin/sh\necho called\n")
    pack_register(path=root)
    user = get_user_model().objects.create_superuser("admin", password="x")
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_re_run_changes_parameters_and_reuses_the_stored_secret(client):
    source = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    answer = client.post(f"/api/v1/executions/{source.pk}/re-run/", {"parameters": {"retries": 3, "token": "********"}},
                         format="json")
    assert answer.status_code == 201, answer.json()
    shown = answer.json()
    assert shown["parameters"] == {"url": "http://a", "retries": 3, "token": "********"}
    assert shown["re_run_of"] == source.pk and shown["status"] == "scheduled"
    again = Execution.objects.get(pk=shown["id"])
    assert parameters_full(again) == {"url": "http://a", "retries": 3, "token": SECRET}
    assert SECRET not in again.secret_parameters


def test_re_run_with_a_new_secret_uses_it(client):
    source = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    shown = client.post(f"/api/v1/executions/{source.pk}/re-run/", {"parameters": {"token": "new-one"}},
                        format="json").json()
    assert parameters_full(Execution.objects.get(pk=shown["id"]))["token"] == "new-one"


def test_re_run_errors_name_the_field(client):
    source = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    answer = client.post(f"/api/v1/executions/{source.pk}/re-run/", {"parameters": {"retries": "many"}},
                         format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "parameters.retries"
    assert client.post("/api/v1/executions/999999/re-run/", {}, format="json").status_code == 404
    assert Execution.objects.count() == 1
