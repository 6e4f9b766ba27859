"""One contract for every resource of /api/v1/ (STYLE.md principle 13): list and
retrieve, the filters and `q`, create/change/delete where offered, 400 naming the
field, 404, 409 for a duplicate ref, 401 without credentials, and no N+1 on lists."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.automation.choices import EnforcementStatus
from apps.automation.models import Enforcement, Event, Rule, Trigger
from apps.executions.choices import Status
from apps.executions.models import Action, Execution, ExecutionHistory, Worker
from apps.packs.models import Pack, Runtime
from apps.packs.services import pack_register
from apps.workflows.models import WorkflowDefinition

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)

FLOW = {"version": 1.0, "tasks": {"one": {"action": "core.echo", "next": [{"do": "two"}]},
                                  "two": {"action": "core.echo"}}}


def make_trigger() -> str:
    n = next(_seq)
    return Trigger.objects.create(ref=f"core.t{n}", pack=Pack.objects.get(ref="core"), name=f"t{n}",
                                  description="a test trigger").ref


def make_rule() -> str:
    n = next(_seq)
    trigger = Trigger.objects.get(ref="core.webhook")
    return Rule.objects.create(ref=f"core.r{n}", pack=trigger.pack, name=f"r{n}", trigger=trigger,
                               trigger_ref=trigger.ref, action=Action.objects.get(ref="core.echo"),
                               action_ref="core.echo", description="a test rule").ref


def make_event() -> str:
    return str(Event.objects.create(trigger_ref="core.webhook", payload={"n": next(_seq)}, source="api").pk)


def make_execution() -> str:
    execution = Execution.objects.create(action_ref="core.echo", status=Status.FAILED, rule_ref="core.r",
                                         worker=Worker.objects.first())
    ExecutionHistory.objects.create(execution=execution, status=Status.FAILED, at=timezone.now())
    return str(execution.pk)


def make_enforcement() -> str:
    event = Event.objects.create(trigger_ref="core.webhook", payload={})
    execution = Execution.objects.create(action_ref="core.echo")
    return str(Enforcement.objects.create(event=event, rule_ref="core.hook", status=EnforcementStatus.SUCCEEDED,
                                          execution=execution).pk)


def make_worker() -> str:
    return str(Worker.objects.create(name=f"actions@h{next(_seq)}", hostname="h", queues=["runtime.shell"]).pk)


def make_workflow() -> str:
    n = next(_seq)
    action = Action.objects.create(ref=f"core.flow{n}", pack=Pack.objects.get(ref="core"), name=f"flow{n}",
                                   runner_type="workflow", workflow_file="flow.yaml")
    WorkflowDefinition.objects.create(action=action, file="core/actions/flow.yaml", data=FLOW)
    return action.ref


def make_action() -> str:
    n = next(_seq)
    return Action.objects.create(ref=f"core.a{n}", pack=Pack.objects.get(ref="core"), name=f"a{n}",
                                 runner_type="shell", entry_point="echo.sh", description="made here").ref


def make_runtime() -> str:
    n = next(_seq)
    return Runtime.objects.create(ref=f"core.rt{n}", pack=Pack.objects.get(ref="core"), name=f"rt{n}",
                                  queue="runtime.shared", description="made here").name


def make_pack() -> str:
    n = next(_seq)
    return Pack.objects.create(ref=f"p{n}", label=f"pack {n}", description="a searchable pack").ref


@dataclass
class Resource:
    name: str
    make: Callable[[], str]
    filters: dict[str, str]  # a query every made row matches
    q: str | None = None  # a search that matches made rows
    create: dict[str, Any] | None = None
    created_status: int = 201
    bad: tuple[dict[str, Any], str] | None = None  # a create body and the field its 400 names
    patch: tuple[dict[str, Any], str, Any] | None = None  # body, field to read back, expected value
    bad_patch: tuple[dict[str, Any], str] | None = None
    delete: bool = False
    duplicate: bool = False  # create twice: 409
    cursor: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/api/v1/{self.name}/"


RESOURCES = [
    Resource("packs", make_pack, {"enabled": "true"}, q="searchable", delete=True),
    Resource("runtimes", make_runtime, {"queue": "runtime.shared"}, q="made here"),
    Resource(
        "actions", make_action, {"pack": "core", "runner_type": "shell"}, q="made here",
        create={"ref": "core.hello", "runner_type": "shell", "entry_point": "echo.sh",
                "parameters": {"who": {"type": "string"}}},
        bad=({"ref": "core.bad", "runner_type": "shell", "entry_point": "../../etc/passwd"}, "entry_point"),
        patch=({"description": "changed", "timeout": 30}, "timeout", 30),
        bad_patch=({"parameters": {"x": {"type": "nosuchtype"}}}, "parameters.x.type"),
        delete=True, duplicate=True,
    ),
    Resource(
        "triggers", make_trigger, {"pack": "core", "webhook": "false"}, q="test trigger",
        create={"pack": "core", "name": "deployed", "payload_schema": {"service": {"type": "string"}}},
        bad=({"ref": "core.badtrigger", "parameters": {"x": {"type": "nosuchtype"}}}, "parameters.x.type"),
        patch=({"description": "changed"}, "description", "changed"),
        delete=True, duplicate=True,
    ),
    Resource(
        "rules", make_rule, {"pack": "core", "trigger": "core.webhook", "action": "core.echo"}, q="test rule",
        create={"ref": "core.onhook", "trigger": "core.webhook", "trigger_params": {"url": "deploy"},
                "criteria": {"payload.body.env": {"type": "equals", "pattern": "prod"}},
                "action": "core.echo", "action_params": {"message": "{{ event.payload.body.env }}"}},
        bad=({"ref": "core.badrule", "trigger": "core.webhook", "trigger_params": {"url": "x"},
              "action": "core.echo", "criteria": {"payload.env": {"type": "resembles", "pattern": "x"}}},
             "criteria.payload.env.type"),
        patch=({"action_params": {"message": "{{ event.payload.other }}"}}, "action_params",
               {"message": "{{ event.payload.other }}"}),
        bad_patch=({"action": "core.nosuchaction"}, "action"),
        delete=True, duplicate=True,
    ),
    Resource("events", make_event, {"trigger": "core.webhook", "source": "api"}, q="webhook",
             create={"trigger": "core.webhook", "payload": {"body": {"x": 1}}}, created_status=202,
             bad=({"trigger": "core.nosuchtrigger"}, "trigger"), cursor=True),
    Resource("enforcements", make_enforcement, {"rule": "core.hook", "status": "succeeded"}, q="hook",
             cursor=True),
    Resource("executions", make_execution, {"action": "core.echo", "status": "failed", "pack": "core"}, q="echo",
             create={"action": "core.echo", "parameters": {"message": "hi"}},
             bad=({"action": "core.echo", "parameters": {"message": 5}}, "parameters.message"), cursor=True),
    Resource("workers", make_worker, {"status": "online", "hostname": "h"}, q="actions@"),
    Resource("workflows", make_workflow, {"pack": "core"}, q="flow"),
]
IDS = [r.name for r in RESOURCES]


@pytest.fixture
def client():
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return api


def results(response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def key_of(resource: Resource, row: dict[str, Any]) -> str:
    for name in ("ref", "name", "id"):
        if name in row and resource.name not in ("events", "enforcements", "executions", "workers"):
            return str(row[name]) if resource.name != "runtimes" else row["name"]
    return str(row["id"])


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
def test_list_retrieve_filter_and_search(client, resource):
    """The list shows made rows; filters and q keep them; the detail answers by key; an
    unknown key is 404."""
    made = resource.make()
    listed = results(client.get(resource.path, {"limit": 500}))
    assert made in [key_of(resource, row) for row in listed]
    filtered = results(client.get(resource.path, {**resource.filters, "limit": 500}))
    assert made in [key_of(resource, row) for row in filtered]
    if resource.q:
        searched = results(client.get(resource.path, {"q": resource.q, "limit": 500}))
        assert made in [key_of(resource, row) for row in searched]
        nothing = results(client.get(resource.path, {"q": "zz-no-such-thing-zz"}))
        assert nothing == []
    detail = client.get(f"{resource.path}{made}/")
    assert detail.status_code == 200 and key_of(resource, detail.json()) == made
    missing = "99999999" if resource.name in ("events", "enforcements", "executions", "workers") else "core.nope"
    assert client.get(f"{resource.path}{missing}/").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
def test_pagination(client, resource):
    """Catalogue lists page by limit/offset with a count; executions, events and
    enforcements by cursor: following `next` walks every row once."""
    made = {resource.make() for _ in range(3)}
    seen: list[str] = []
    url: str | None = f"{resource.path}?limit=2"
    while url:
        body = client.get(url).json()
        assert ("count" in body) is not resource.cursor
        seen.extend(key_of(resource, row) for row in body["results"])
        url = body["next"]
    assert made <= set(seen) and len(seen) == len(set(seen))


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
def test_list_has_no_n_plus_one(client, resource):
    """A list costs the same number of queries for 2 rows as for 12."""
    for _ in range(2):
        resource.make()
    with CaptureQueriesContext(connection) as few:
        assert client.get(resource.path, {"limit": 100}).status_code == 200
    for _ in range(10):
        resource.make()
    with CaptureQueriesContext(connection) as many:
        assert client.get(resource.path, {"limit": 100}).status_code == 200
    assert len(many) == len(few) <= 6, [q["sql"] for q in many.captured_queries]


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.create], ids=lambda r: r.name)
def test_create_and_bad_input(client, resource):
    """Create answers the new object; bad input is a 400 naming the field; a taken
    ref is a 409."""
    created = client.post(resource.path, resource.create, format="json")
    assert created.status_code == resource.created_status, created.json()
    body, field_name = resource.bad
    refused = client.post(resource.path, body, format="json")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["errors"][0]["field"] == field_name, refused.json()
    if resource.duplicate:
        again = client.post(resource.path, resource.create, format="json")
        assert again.status_code == 409 and "already exists" in again.json()["detail"]


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.patch], ids=lambda r: r.name)
def test_change(client, resource):
    """PATCH changes the given fields and answers the object; bad values are a 400
    naming the field; PUT is not offered."""
    made = resource.make() if resource.name != "rules" else client.post(
        resource.path, resource.create, format="json").json()["ref"]
    body, name, expected = resource.patch
    changed = client.patch(f"{resource.path}{made}/", body, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()[name] == expected
    assert client.get(f"{resource.path}{made}/").json()[name] == expected
    if resource.bad_patch:
        bad, field_name = resource.bad_patch
        refused = client.patch(f"{resource.path}{made}/", bad, format="json")
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == field_name, refused.json()
        assert client.get(f"{resource.path}{made}/").json()[name] == expected
    assert client.put(f"{resource.path}{made}/", body, format="json").status_code == 405
    assert client.patch(f"{resource.path}core.nope/", body, format="json").status_code == 404


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.delete], ids=lambda r: r.name)
def test_delete(client, resource):
    """DELETE answers 204, then the object is gone (404)."""
    made = resource.make()
    assert client.delete(f"{resource.path}{made}/").status_code == 204
    assert client.get(f"{resource.path}{made}/").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
def test_credentials_are_required(resource):
    """Without credentials every list is a 401."""
    assert APIClient().get(resource.path).status_code == 401


def test_execution_list_rows_match_the_list_serializer(client):
    """The list's fast rows say exactly what ExecutionListSerializer says."""
    from apps.executions.api.serializers import ExecutionListSerializer

    parent = Execution.objects.create(action_ref="core.flow", status=Status.RUNNING)
    now = timezone.now()
    Execution.objects.create(action_ref="core.echo", status=Status.SUCCEEDED, parent=parent, root=parent,
                             task_name="one", item_index=2, exit_code=0, rule_ref="core.r", trigger_ref="core.t",
                             event_id=7, started_at=now, spawned_at=now + timezone.timedelta(milliseconds=3),
                             finished_at=now + timezone.timedelta(seconds=1))
    listed = client.get("/api/v1/executions/").json()["results"]
    expected = ExecutionListSerializer(Execution.objects.order_by("-id"), many=True).data
    assert listed == [dict(row) for row in expected]
    assert listed[0]["duration"] == 0.997 and listed[1]["duration"] is None
