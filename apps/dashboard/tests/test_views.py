"""The dashboard's pages through the Django test client: sign-in, every page renders,
a viewer sees no buttons and is refused when posting anyway, the run form validates
on the server, the buttons call the services."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from apps.automation.models import Rule
from apps.executions.models import Execution, ExecutionOutput
from apps.executions.services.requests import execution_request, parameters_full
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

SECRET = "s3cret-canary-value"


@pytest.fixture
def catalogue(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = tmp_path / "ops"
    (root / "actions").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "pack.yaml").write_text("ref: ops\nversion: 1.0.0\n")
    (root / "actions" / "call.yaml").write_text(textwrap.dedent("""
        name: call
        description: Calls a service.
        runner_type: shell
        entry_point: call.sh
        parameters:
          url: {type: string, required: true}
          retries: {type: integer, default: 1, minimum: 0, maximum: 5}
          mode: {type: string, enum: [fast, safe], default: safe}
          verbose: {type: boolean, default: false}
          headers: {type: object}
          token: {type: string, secret: true}
    """))
    (root / "actions" / "call.sh").write_text("#!/bin/sh\necho called\n")
    (root / "triggers").mkdir()
    (root / "triggers" / "tick.yaml").write_text("ref: ops.tick\nwebhook: true\n")
    (root / "rules" / "on_tick.yaml").write_text(textwrap.dedent("""
        ref: ops.on_tick
        trigger: ops.tick
        action: ops.call
        action_params: {url: "http://example.invalid"}
    """))
    pack_register(path=root)


def _client(username: str, *, superuser: bool) -> Client:
    model = get_user_model()
    make = model.objects.create_superuser if superuser else model.objects.create_user
    user = make(username, password="pw-12345")
    if not superuser:
        from apps.identity.models import Role, RoleAssignment

        RoleAssignment.objects.create(user=user, role=Role.objects.get(name="viewer"))
    client = Client()
    assert client.login(username=username, password="pw-12345")
    return client


@pytest.fixture
def admin(catalogue):
    return _client("admin", superuser=True)


@pytest.fixture
def viewer(catalogue):
    return _client("viewer", superuser=False)


def test_every_page_requires_signing_in(catalogue):
    client = Client()
    for url in ("/", "/executions/", "/actions/", "/actions/ops.call/", "/rules/", "/triggers/", "/enforcements/",
                "/packs/"):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith("/login/?next=")
    assert client.get("/api/v1/analytics/executions/").status_code in (401, 403)


def test_signing_in_and_out_with_the_same_accounts(catalogue):
    get_user_model().objects.create_user("ann", password="pw-12345")
    client = Client()
    page = client.get("/login/")
    assert b"Sign in" in page.content
    wrong = client.post("/login/", {"username": "ann", "password": "nope"})
    assert wrong.status_code == 200 and b'data-testid="login-error"' in wrong.content
    answer = client.post("/login/?next=/actions/", {"username": "ann", "password": "pw-12345", "next": "/actions/"})
    assert answer.status_code == 302 and answer["Location"] == "/actions/"
    assert client.get("/actions/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/actions/").status_code == 302


def test_pages_render_with_the_navigation(admin):
    execution = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    rule = Rule.objects.get(ref="ops.on_tick")
    for url in ("/", "/executions/", "/executions/?status=requested&pack=ops&since=24h&action=call",
                f"/executions/{execution.pk}/", "/actions/", "/actions/?q=call", "/actions/ops.call/", "/rules/",
                f"/rules/{rule.ref}/", "/triggers/", "/enforcements/", "/packs/", "/packs/ops/",
                f"/executions/{execution.pk}/re-run/"):
        answer = admin.get(url)
        assert answer.status_code == 200, url
        html = answer.content.decode()
        for label in ("Overview", "Executions", "Actions", "Rules", "Triggers &amp; events", "Enforcements", "Packs"):
            assert f">{label}</a>" in html, (url, label)
        # Not built yet: shown, disabled.
        for label in ("Inquiries", "Policies", "Artifacts"):
            assert f'aria-disabled="true">{label}</span>' in html
    assert "ops.call" in admin.get("/actions/?q=call").content.decode()
    assert "ops.call" not in admin.get("/actions/?q=nomatch").content.decode()


def test_the_execution_page_masks_secrets_and_shows_output_and_result(admin):
    execution = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    assert parameters_full(execution)["token"] == SECRET
    Execution.objects.filter(pk=execution.pk).update(status="succeeded", result={"answer": 42, "html": "<b>"})
    ExecutionOutput.objects.create(execution=execution, seq=1, stream="stdout", data="line <one>\n")
    ExecutionOutput.objects.create(execution=execution, seq=2, stream="stderr", data="warn\n")
    html = admin.get(f"/executions/{execution.pk}/").content.decode()
    assert SECRET not in html
    assert "********" in html
    assert "&quot;answer&quot;: 42" in html and "&lt;b&gt;" in html  # formatted, escaped
    assert 'data-testid="status">succeeded<' in html
    chunks = admin.get(f"/executions/{execution.pk}/output/?after=0").json()["chunks"]
    assert [c["seq"] for c in chunks] == [1, 2]
    assert admin.get(f"/executions/{execution.pk}/output/?after=1").json()["chunks"][0]["data"] == "warn\n"
    assert admin.get(f"/executions/{execution.pk}/output/?after=x").status_code == 400
    rerun = admin.get(f"/executions/{execution.pk}/re-run/").content.decode()
    assert SECRET not in rerun and 'value="http://a"' in rerun


def test_the_run_form_is_generated_from_the_schema(admin):
    html = admin.get("/actions/ops.call/").content.decode()
    assert re.search(r'<input type="password" name="token"', html)
    assert re.search(r'<select name="mode"[^>]*>.*<option value="safe" selected>', html, re.S)
    assert re.search(r'<input type="number" name="retries" value="1"', html)
    assert re.search(r'name="url"[^>]*required', html)
    assert '<textarea name="headers"' in html


def test_the_run_form_shows_errors_next_to_their_fields(admin):
    answer = admin.post("/actions/ops.call/", {"url": "", "retries": "9", "mode": "safe", "headers": "{bad"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'data-testid="error-url">This field is required.' in html
    assert 'data-testid="error-headers">is not valid JSON' in html
    answer = admin.post("/actions/ops.call/", {"url": "http://a", "retries": "9", "mode": "safe"})
    assert answer.status_code == 400
    assert 'data-testid="error-retries">9 is greater than the maximum of 5' in answer.content.decode()
    answer = admin.post("/actions/ops.call/", {"url": "http://a", "retries": "x"})
    assert 'data-testid="error-retries">must be a whole number' in answer.content.decode()
    assert not Execution.objects.exists()


def test_the_run_form_starts_the_execution_and_opens_its_page(admin):
    answer = admin.post("/actions/ops.call/", {"url": "http://a", "retries": "2", "mode": "fast", "verbose": "true",
                                               "headers": '{"x": "1"}', "token": SECRET})
    execution = Execution.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/executions/{execution.pk}/"
    assert execution.parameters == {"url": "http://a", "retries": 2, "mode": "fast", "verbose": True,
                                    "headers": {"x": "1"}, "token": "********"}
    assert parameters_full(execution)["token"] == SECRET
    assert execution.user.username == "admin"


def test_a_viewer_sees_no_buttons_and_is_refused_when_posting(viewer):
    execution = execution_request(action="ops.call", parameters={"url": "http://a"})
    action_page = viewer.get("/actions/ops.call/").content.decode()
    assert 'data-testid="run-form"' not in action_page and 'data-testid="run"' not in action_page
    page = viewer.get(f"/executions/{execution.pk}/").content.decode()
    for button in ("cancel", "rerun", "pause", "resume"):
        assert f'data-testid="{button}"' not in page
    assert 'data-testid="disable"' not in viewer.get("/rules/").content.decode()
    assert 'data-testid="register-form"' not in viewer.get("/packs/").content.decode()

    assert viewer.post("/actions/ops.call/", {"url": "http://b"}).status_code == 403
    assert viewer.post(f"/executions/{execution.pk}/cancel/").status_code == 403
    assert viewer.post(f"/executions/{execution.pk}/pause/").status_code == 403
    assert viewer.get(f"/executions/{execution.pk}/re-run/").status_code == 403
    assert viewer.post(f"/executions/{execution.pk}/re-run/", {"url": "http://c"}).status_code == 403
    assert viewer.post("/rules/ops.on_tick/disable/").status_code == 403
    assert viewer.post("/packs/register/").status_code == 403
    assert Execution.objects.count() == 1
    execution.refresh_from_db()
    assert execution.status == "scheduled"
    assert Rule.objects.get(ref="ops.on_tick").enabled


def test_the_admin_buttons_call_the_services(admin):
    execution = execution_request(action="ops.call", parameters={"url": "http://a", "token": SECRET})
    page = admin.get(f"/executions/{execution.pk}/").content.decode()
    assert 'data-testid="cancel"' in page and 'data-testid="rerun"' in page
    assert 'data-testid="pause"' not in page  # not a workflow

    answer = admin.post(f"/executions/{execution.pk}/re-run/", {"url": "http://b", "retries": "3"})
    again = Execution.objects.exclude(pk=execution.pk).get()
    assert answer["Location"] == f"/executions/{again.pk}/"
    assert again.re_run_of_id == execution.pk and again.parameters["retries"] == 3
    assert parameters_full(again)["token"] == SECRET  # the stored secret, kept

    answer = admin.post(f"/executions/{execution.pk}/cancel/", follow=True)
    execution.refresh_from_db()
    assert execution.status == "canceled"
    assert "Cancel requested." in answer.content.decode()
    answer = admin.post(f"/executions/{execution.pk}/cancel/", follow=True)
    assert "already finished" in answer.content.decode()
    answer = admin.post(f"/executions/{execution.pk}/pause/", follow=True)
    assert "only workflows can be paused" in answer.content.decode()

    admin.post("/rules/ops.on_tick/disable/")
    assert not Rule.objects.get(ref="ops.on_tick").enabled
    assert admin.post("/rules/ops.on_tick/enable/", {"next": "https://evil.example/"})["Location"] == "/rules/"
    assert Rule.objects.get(ref="ops.on_tick").enabled


def test_the_execution_list_filters_and_serves_rows(admin):
    first = execution_request(action="ops.call", parameters={"url": "http://a"})
    second = execution_request(action="core.noop", parameters={})
    Execution.objects.filter(pk=first.pk).update(status="failed")
    html = admin.get("/executions/?status=failed").content.decode()
    assert f'id="execution-{first.pk}"' in html and f'id="execution-{second.pk}"' not in html
    html = admin.get("/executions/?pack=core").content.decode()
    assert f'id="execution-{second.pk}"' in html and f'id="execution-{first.pk}"' not in html
    assert admin.get(f"/executions/{second.pk}/row/?status=failed").status_code == 204
    row = admin.get(f"/executions/{first.pk}/row/?status=failed").content.decode()
    assert 'data-testid="row-status">failed<' in row
    rows = admin.get("/executions/rows/?action=noop").content.decode()
    assert f'id="execution-{second.pk}"' in rows and f'id="execution-{first.pk}"' not in rows
    Execution.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    recent = admin.get("/executions/rows/?since=24h&parent=none").content.decode()
    assert f'id="execution-{second.pk}"' in recent and f'id="execution-{first.pk}"' not in recent
    # A hand-edited URL with values the form cannot send is not an error.
    assert admin.get("/executions/?since=forever&status=bogus&parent=7").status_code == 200


def test_analytics_count_by_hour_and_status(admin, viewer):
    for _ in range(3):
        execution_request(action="ops.call", parameters={"url": "http://a"})
    failed = execution_request(action="core.noop", parameters={})
    Execution.objects.filter(pk=failed.pk).update(status="failed")
    data = admin.get("/api/v1/analytics/executions/?hours=6").json()
    assert len(data["buckets"]) == 6
    assert data["totals"] == {"scheduled": 3, "failed": 1} and data["total"] == 4
    assert data["buckets"][-1]["total"] == 4 and data["buckets"][-1]["failed"] == 1
    assert data["failure_rate"] == 1.0
    busiest = admin.get("/api/v1/analytics/actions/?hours=6").json()["actions"]
    assert busiest[0] == {"action": "ops.call", "count": 3, "failed": 0, "succeeded": 0}
    assert admin.get("/api/v1/analytics/events/").json()["total"] == 0
    assert "workers" in admin.get("/api/v1/analytics/workers/").json()
    bad = admin.get("/api/v1/analytics/executions/?hours=0")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "hours"
    assert viewer.get("/api/v1/analytics/executions/").status_code == 200


def test_a_workflow_page_has_its_graph_and_workflow_buttons(admin, viewer, tmp_path):
    root = tmp_path / "flow"
    (root / "actions" / "workflows").mkdir(parents=True)
    (root / "pack.yaml").write_text("ref: flow\nversion: 1.0.0\n")
    (root / "actions" / "two.yaml").write_text("name: two\nrunner_type: workflow\nworkflow_file: workflows/two.yaml\n")
    (root / "actions" / "workflows" / "two.yaml").write_text(textwrap.dedent("""
        version: 1.0
        tasks:
          - name: first
            action: core.noop
            next: [{do: [second]}]
          - name: second
            action: core.noop
    """))
    pack_register(path=root)
    execution = execution_request(action="flow.two", parameters={})
    Execution.objects.filter(pk=execution.pk).update(status="running")
    graph = admin.get(f"/executions/{execution.pk}/graph/").json()["graph"]
    assert [(n["id"], n["status"]) for n in graph["nodes"]] == [("first", "not started"), ("second", "not started")]
    assert graph["edges"] == [{"id": "first->second", "source": "first", "target": "second"}]
    page = admin.get(f"/executions/{execution.pk}/").content.decode()
    assert 'id="graph-data"' in page
    assert 'data-testid="pause"' in page and 'data-testid="cancel"' in page and 'data-testid="resume"' not in page
    Execution.objects.filter(pk=execution.pk).update(status="paused")
    page = admin.get(f"/executions/{execution.pk}/summary/").content.decode()
    assert 'data-testid="resume"' in page and 'data-testid="pause"' not in page
    assert 'data-testid="resume"' not in viewer.get(f"/executions/{execution.pk}/").content.decode()
    assert viewer.post(f"/executions/{execution.pk}/resume/").status_code == 403


def test_rules_show_what_fired_them_recently(admin):
    from apps.automation.models import Enforcement, Event

    rule = Rule.objects.get(ref="ops.on_tick")
    assert "never" in admin.get("/rules/").content.decode()
    event = Event.objects.create(trigger_ref="ops.tick", payload={"n": 1})
    Enforcement.objects.create(event=event, rule=rule, rule_ref=rule.ref, status="succeeded")
    listing = admin.get("/rules/").content.decode()
    assert "/enforcements/?rule=ops.on_tick" in listing and "ago" in listing
    detail = admin.get("/rules/ops.on_tick/").content.decode()
    assert f'href="/events/{event.pk}/"' in detail
    assert "&quot;n&quot;: 1" in admin.get(f"/events/{event.pk}/").content.decode()
    assert f'href="/events/{event.pk}/"' in admin.get("/enforcements/?rule=ops.on_tick").content.decode()


def test_a_pack_is_uploaded_from_the_packs_page(admin, viewer, tmp_path, settings):
    """The upload form installs a .tar.gz pack and opens its page; a broken archive is
    reported and installs nothing; a viewer is refused."""
    import io
    import tarfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.packs.models import Pack

    settings.ATTUNE_PACKS_UPLOAD_DIR = tmp_path / "uploads"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("demo/pack.yaml", b"ref: demo\nversion: 1.0.0\n"),
                           ("demo/actions/hi.yaml", b"name: hi\nrunner_type: shell\nentry_point: hi.sh\n"),
                           ("demo/actions/hi.sh", b"#!/bin/sh\necho hi\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    page = admin.post("/packs/upload/", {"file": SimpleUploadedFile("demo.tar.gz", buffer.getvalue())}, follow=True)
    assert page.redirect_chain[-1][0] == "/packs/demo/"
    assert "demo.hi" in page.content.decode()
    broken = admin.post("/packs/upload/", {"file": SimpleUploadedFile("x.tar.gz", b"not a tarball")}, follow=True)
    assert broken.redirect_chain[-1][0] == "/packs/" and Pack.objects.filter(ref="demo").count() == 1
    assert viewer.post("/packs/upload/", {"file": SimpleUploadedFile("demo.tar.gz", buffer.getvalue())}).status_code == 403
