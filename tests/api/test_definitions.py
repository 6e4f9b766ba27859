"""What API edits of pack content mean: history survives deletes, things in use are not
deleted, and re-registering a pack keeps what the API made."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.automation.models import Rule, Trigger
from apps.executions.choices import Status
from apps.executions.models import Action, Execution
from apps.packs.models import Pack
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db
CORE = settings.BASE_DIR / "packs" / "core"


@pytest.fixture
def client():
    pack_register(path=CORE)
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return api


def rule_body(ref: str = "core.onhook", **extra) -> dict:
    return {"ref": ref, "trigger": "core.webhook", "trigger_params": {"url": "deploy"}, "action": "core.echo",
            "action_params": {"message": "{{ event.payload.body.env }}"}, **extra}


def test_rule_create_checks_every_part(client):
    """Unknown trigger or action, foreign action parameters, a broken template and an
    unknown pack each answer 400 naming the field."""
    cases = [
        ({"trigger": "core.nope"}, "trigger"),
        ({"action": "core.nope"}, "action"),
        ({"action_params": {"volume": 11}}, "action_params.volume"),
        ({"action_params": {"message": "{{ event.payload. }}"}}, "action_params.message"),
        ({"conditions": {"expression": "event.payload ==="}}, "conditions.expression"),
        ({"ref": "nosuchpack.rule"}, "pack"),
        ({"ref": None, "name": "x"}, "pack"),
    ]
    for change, field_name in cases:
        body = {key: value for key, value in {**rule_body(), **change}.items() if value is not None}
        response = client.post("/api/v1/rules/", body, format="json")
        assert response.status_code == 400, (change, response.json())
        assert response.json()["errors"][0]["field"] == field_name, (change, response.json())
    assert not Rule.objects.filter(source="api").exists()


def test_things_in_use_are_not_deleted(client):
    """An action or a trigger a rule uses: 409 naming the rule; both stay."""
    assert client.post("/api/v1/rules/", rule_body(), format="json").status_code == 201
    for path in ("/api/v1/actions/core.echo/", "/api/v1/triggers/core.webhook/"):
        response = client.delete(path)
        assert response.status_code == 409 and "core.onhook" in response.json()["detail"]
    assert Action.objects.filter(ref="core.echo").exists() and Trigger.objects.filter(ref="core.webhook").exists()


def test_deleting_an_action_keeps_its_executions(client):
    """The executions of a deleted action keep its ref and stay listed."""
    made = client.post("/api/v1/actions/", {"ref": "core.greet", "runner_type": "shell", "entry_point": "echo.sh"},
                       format="json")
    assert made.status_code == 201 and made.json()["source"] == "api"
    execution = Execution.objects.create(action=Action.objects.get(ref="core.greet"), action_ref="core.greet",
                                         status=Status.SUCCEEDED)
    assert client.delete("/api/v1/actions/core.greet/").status_code == 204
    listed = client.get("/api/v1/executions/?action=core.greet").json()["results"]
    assert [row["id"] for row in listed] == [execution.pk]


def test_re_registering_keeps_api_content_and_overwrites_pack_content(client):
    """Actions, triggers and rules made through the API survive a re-registration of
    their pack; a pack-defined action changed through the API gets its file's values
    back."""
    assert client.post("/api/v1/actions/", {"ref": "core.greet", "runner_type": "shell", "entry_point": "echo.sh"},
                       format="json").status_code == 201
    assert client.post("/api/v1/triggers/", {"ref": "core.deployed"}, format="json").status_code == 201
    assert client.post("/api/v1/rules/", rule_body(), format="json").status_code == 201
    assert client.patch("/api/v1/actions/core.echo/", {"description": "mine"}, format="json").status_code == 200
    assert client.post("/api/v1/packs/register/", {"ref": "core"}, format="json").status_code == 200
    assert Action.objects.filter(ref="core.greet").exists() and Trigger.objects.filter(ref="core.deployed").exists()
    assert Rule.objects.filter(ref="core.onhook").exists()
    assert Action.objects.get(ref="core.echo").description != "mine"


def test_api_actions_are_checked_like_pack_files(client):
    """A workflow action cannot be made through the API; an unknown runner, a missing
    entry point and a bad timeout are 400s naming the field; ref and pack are fixed."""
    cases = [
        ({"runner_type": "workflow", "entry_point": "flow.yaml"}, "runner_type"),
        ({"runner_type": "nosuch"}, "runner_type"),
        ({"runner_type": "shell", "entry_point": "missing.sh"}, "entry_point"),
        ({"runner_type": "shell", "entry_point": "echo.sh", "timeout": 0}, "timeout"),
        ({"runner_type": "shell", "entry_point": "echo.sh", "output_format": "xml"}, "output_format"),
    ]
    for body, field_name in cases:
        response = client.post("/api/v1/actions/", {"ref": "core.x", **body}, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field_name, response.json()
    renamed = client.patch("/api/v1/actions/core.echo/", {"ref": "core.other"}, format="json")
    assert renamed.status_code == 400 and renamed.json()["errors"][0]["field"] == "ref"


def test_uninstall_refuses_while_other_packs_use_the_pack(client):
    """A rule of another pack on this pack's trigger blocks its uninstall (409)."""
    other = Pack.objects.create(ref="other")
    extra = Pack.objects.create(ref="extra")
    trigger = Trigger.objects.create(ref="extra.ping", pack=extra, name="ping")
    Rule.objects.create(ref="other.onping", pack=other, name="onping", trigger=trigger, trigger_ref=trigger.ref,
                        action=Action.objects.get(ref="core.echo"), action_ref="core.echo")
    response = client.delete("/api/v1/packs/extra/")
    assert response.status_code == 409 and "other.onping" in response.json()["detail"]
    assert Pack.objects.filter(ref="extra").exists()
    Rule.objects.filter(ref="other.onping").delete()
    assert client.delete("/api/v1/packs/extra/").status_code == 204


def test_workflows_list_their_graph(client):
    """/workflows/<ref>/ shows the graph's nodes, edges and start tasks."""
    from apps.workflows.models import WorkflowDefinition

    action = Action.objects.create(ref="core.flow", pack=Pack.objects.get(ref="core"), name="flow",
                                   runner_type="workflow", workflow_file="flow.yaml")
    WorkflowDefinition.objects.create(action=action, file="core/actions/flow.yaml", data={
        "version": 1.0, "tasks": {"a": {"action": "core.echo", "next": [{"when": "{{ succeeded() }}", "do": "b"}]},
                                  "b": {"action": "core.echo"}}})
    graph = client.get("/api/v1/workflows/core.flow/").json()["graph"]
    assert graph["start"] == ["a"]
    assert graph["edges"] == [{"from": "a", "to": "b", "when": "{{ succeeded() }}"}]
    assert [n["name"] for n in graph["nodes"]] == ["a", "b"]


def test_views_ask_the_authoriser_with_the_pack(client, monkeypatch):
    """Writes ask `authz.require` for the verb, the
    resource type and the pack; a refusal is a 403 and nothing is made."""
    from rest_framework.exceptions import PermissionDenied

    from apps.identity import authz

    calls: list[tuple] = []

    def require(user, verb, resource, pack=None):
        calls.append((verb, resource, pack))
        if (verb, resource) == ("create", "rules"):
            raise PermissionDenied("not in this pack")

    monkeypatch.setattr(authz, "require", require)
    refused = client.post("/api/v1/rules/", rule_body(), format="json")
    assert refused.status_code == 403 and not Rule.objects.filter(ref="core.onhook").exists()
    ran = client.post("/api/v1/executions/", {"action": "core.echo", "parameters": {}}, format="json")
    assert ran.status_code == 201
    client.patch("/api/v1/actions/core.echo/", {"description": "x"}, format="json")
    client.post("/api/v1/events/", {"trigger": "core.webhook", "payload": {}}, format="json")
    client.post("/api/v1/packs/register/", {"ref": "core"}, format="json")
    assert calls == [("create", "rules", "core"), ("execute", "executions", "core"), ("update", "actions", "core"),
                     ("create", "events", "core"), ("manage", "packs", None)]


def test_a_literal_secret_in_a_rule_is_shown_masked_and_kept_when_sent_back(client):
    """A rule's literal value for a secret parameter never comes back in clear, and a
    change that sends the masked value back keeps the stored one."""
    body = {"ref": "core.fetch", "trigger": "core.webhook", "trigger_params": {"url": "f"},
            "action": "core.http_request",
            "action_params": {"url": "https://example.test", "auth_token": "rule-canary-77"}}
    made = client.post("/api/v1/rules/", body, format="json")
    assert made.status_code == 201, made.json()
    shown = client.get("/api/v1/rules/core.fetch/").json()
    assert shown["action_params"] == {"url": "https://example.test", "auth_token": "********"}
    assert "rule-canary-77" not in client.get("/api/v1/rules/").content.decode()
    changed = client.patch("/api/v1/rules/core.fetch/", {"action_params": shown["action_params"]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert Rule.objects.get(ref="core.fetch").action_params["auth_token"] == "rule-canary-77"
