"""The event pipeline end to end: real ASGI server, executor and action workers, real
subprocess actions, the test database and broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.automation.models import Enforcement, Event
from apps.executions.models import Execution

from .api import admin_client
from .harness import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def finished(execution_id: int) -> Execution | None:
    execution = Execution.objects.get(pk=execution_id)
    return execution if execution.finished_at else None


def executions_of(action: str, **filters) -> list[Execution]:
    return list(Execution.objects.filter(action_ref=action, finished_at__isnull=False, **filters).order_by("id"))


@pytest.fixture
def running(platform):
    platform.web()
    platform.executor()
    platform.actions()
    return platform


def test_api_event_matches_rules_and_runs_their_actions(running):
    """An event posted to the API runs every matching rule's action once, with
    parameters rendered from the event and the pack config, types preserved."""
    client = admin_client(running.url)
    answer = client.post("/api/v1/events/", json={
        "trigger": "e2e.order", "payload": {"id": 7, "total": 150, "country": "DE", "tags": ["vip"]},
    })
    assert answer.status_code == 202, answer.text
    event_id = answer.json()["id"]

    py = wait_for(lambda: executions_of("e2e.pyinfo", event_id=event_id), timeout=30, what="the python action")[0]
    echo = wait_for(lambda: executions_of("core.echo", event_id=event_id), timeout=30, what="the echo action")[0]
    assert py.status == "succeeded", py.error
    assert py.result["params"] == {"name": "Hello order 7", "count": 7}
    env = py.result["env"]
    assert env["ATTUNE_RULE"] == "e2e.big_orders" and env["ATTUNE_TRIGGER"] == "e2e.order"
    assert env["ATTUNE_EXEC_ID"] == str(py.pk) and env["ATTUNE_ACTION"] == "e2e.pyinfo"
    assert env["ATTUNE_API_TOKEN"].startswith("atx_") and env["ATTUNE_ARTIFACTS_DIR"]
    assert py.result["leaked_env"] == [], "the platform's own environment reached the action"
    assert echo.stdout == "vip 7" and echo.status == "succeeded"
    assert Enforcement.objects.filter(event_id=event_id).count() == 2

    shown = client.get(f"/api/v1/executions/{py.pk}/").json()
    assert shown["rule"] == "e2e.big_orders" and shown["event_id"] == event_id and shown["trigger"] == "e2e.order"
    assert [h["status"] for h in shown["history"]] == ["requested", "scheduled", "running", "succeeded"]
    assert shown["exit_code"] == 0 and shown["duration"] is not None and shown["worker"]


def test_event_that_matches_no_criteria_runs_nothing(running):
    """Criteria and conditions that do not hold make no enforcement."""
    client = admin_client(running.url)
    answer = client.post("/api/v1/events/", json={"trigger": "e2e.order", "payload": {"id": 8, "total": 5}})
    event_id = answer.json()["id"]
    wait_for(lambda: Event.objects.get(pk=event_id).status == "processed", timeout=30, what="event processing")
    assert not Enforcement.objects.filter(event_id=event_id).exists()
    assert client.get("/api/v1/events/", params={"trigger": "e2e.order"}).json()["results"][0]["status"] == "processed"


def test_direct_execution_validates_and_masks_secrets(running):
    """POST /executions validates parameters (400 naming the field) and never shows a
    secret parameter's value: not in the API, not in stored output."""
    client = admin_client(running.url)
    missing = client.post("/api/v1/executions/", json={"action": "e2e.pyinfo", "parameters": {}})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "parameters.name"
    wrong = client.post("/api/v1/executions/", json={"action": "e2e.pyinfo", "parameters": {"name": "a", "count": "x"}})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "parameters.count"
    unknown = client.post("/api/v1/executions/", json={"action": "nope.nothing", "parameters": {}})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "action"

    canary = "canary-9f8e7d6c5b4a"
    answer = client.post("/api/v1/executions/", json={"action": "e2e.pyinfo",
                                                      "parameters": {"name": "n", "password": canary}})
    assert answer.status_code == 201, answer.text
    execution_id = answer.json()["id"]
    execution = wait_for(lambda: finished(execution_id), timeout=30, what="the execution")
    assert execution.status == "succeeded"
    shown = client.get(f"/api/v1/executions/{execution_id}/")
    assert canary not in shown.text and shown.json()["parameters"]["password"] == "********"
    assert "password is ********" in execution.stderr
    stored = Execution.objects.filter(pk=execution_id).values().get()
    assert canary not in json.dumps(stored, default=str)


def test_python_node_and_native_runtimes(running):
    """Each runtime runs its entry point; a non-zero exit fails the execution."""
    client = admin_client(running.url)
    node = client.post("/api/v1/executions/", json={"action": "e2e.nodeinfo", "parameters": {"n": 21}}).json()
    native = client.post("/api/v1/executions/", json={"action": "e2e.native", "parameters": {}}).json()
    node_done = wait_for(lambda: finished(node["id"]), timeout=30, what="the node action")
    native_done = wait_for(lambda: finished(native["id"]), timeout=30, what="the native action")
    assert node_done.status == "succeeded" and node_done.result == {"doubled": 42, "exec": str(node["id"])}
    assert native_done.status == "failed" and native_done.exit_code == 3
    assert native_done.stdout.startswith("format=yaml file={}")
    assert node_done.queue == "runtime.node" and native_done.queue == "runtime.native"


def test_webhooks_need_a_token_and_store_no_credentials(running):
    """A webhook call is answered 202 with the event id; the event keeps no
    Authorization header; no token means 401, an unknown name 404."""
    client = admin_client(running.url)
    answer = client.post("/api/v1/webhooks/deploy", json={"version": "1.2"})
    assert answer.status_code == 202, answer.text
    event = Event.objects.get(pk=answer.json()["event_id"])
    assert "authorization" not in {k.lower() for k in event.payload["headers"]}
    echo = wait_for(lambda: executions_of("core.echo", event_id=event.pk), timeout=30, what="the webhook's action")
    assert echo[0].stdout == "deploying 1.2"

    import httpx

    anonymous = httpx.post(f"{running.url}/api/v1/webhooks/deploy", json={"version": "x"})
    assert anonymous.status_code == 401
    assert client.post("/api/v1/webhooks/nothing-here", json={}).status_code == 404
    invalid = client.post("/api/v1/webhooks/e2e.order", json={"total": 3})
    assert invalid.status_code == 400 and invalid.json()["errors"][0]["field"] == "payload.id"


def test_execution_token_reads_only_its_own_execution(running):
    """ATTUNE_API_TOKEN reads its own execution while it runs, and nothing else."""
    client = admin_client(running.url)
    created = client.post("/api/v1/executions/", json={"action": "e2e.api_probe"}).json()
    execution = wait_for(lambda: finished(created["id"]), timeout=30, what="the probe")
    assert execution.status == "succeeded", execution.stderr
    assert execution.result == {"own_status": 200, "own_action": "e2e.api_probe", "packs_status": 403}
    # The token died with the run.
    import httpx

    token_env = Execution.objects.get(pk=created["id"]).token_hash
    assert token_env == ""
    assert httpx.get(f"{running.url}/api/v1/executions/{created['id']}/",
                     headers={"Authorization": f"Bearer atx_{created['id']}_whatever"}).status_code == 401


def test_output_is_streamed_while_the_action_runs(running):
    """Output chunks can be read (and followed with ?after=) before the action ends."""
    client = admin_client(running.url)
    created = client.post("/api/v1/executions/", json={"action": "e2e.ticker", "parameters": {"count": 10}}).json()
    early = wait_for(
        lambda: (not finished(created["id"])) and client.get(f"/api/v1/executions/{created['id']}/output/").json(),
        timeout=30, what="output before the end",
    )
    assert "tick 1" in early[0]["data"]
    execution = wait_for(lambda: finished(created["id"]), timeout=30, what="the ticker")
    chunks = client.get(f"/api/v1/executions/{created['id']}/output/").json()
    assert "".join(c["data"] for c in chunks) == execution.stdout
    later = client.get(f"/api/v1/executions/{created['id']}/output/", params={"after": early[-1]["seq"]}).json()
    assert all(c["seq"] > early[-1]["seq"] for c in later)


def test_duplicate_message_runs_the_action_once(running, tmp_path: Path):
    """The same Celery message delivered three times runs the action once."""
    from apps.core.dispatch import send_task
    from apps.executions.services.requests import execution_request

    ledger = tmp_path / "ledger.txt"
    execution = execution_request(action="e2e.ledger", parameters={"path": str(ledger), "sleep": 0.5})
    for _ in range(2):
        assert send_task("executions.run", [execution.pk], queue="runtime.shell")
    done = wait_for(lambda: finished(execution.pk), timeout=30, what="the ledger action")
    import time

    time.sleep(1.5)  # room for any duplicate to (wrongly) run
    assert done.status == "succeeded"
    assert ledger.read_text().split() == [str(execution.pk)]
    assert [h.status for h in done.history.all()].count("running") == 1


def test_core_actions_local_sleep_noop_and_http(running):
    """core.local runs a command line with env and cwd; core.noop succeeds without a
    worker; core.http_request makes a real request and returns status and JSON."""
    client = admin_client(running.url)
    local = client.post("/api/v1/executions/", json={"action": "core.local", "parameters": {
        "cmd": 'printf "%s in %s" "$GREETING" "$(pwd)"', "env": {"GREETING": "hi"}, "cwd": "/tmp"}}).json()
    noop = client.post("/api/v1/executions/", json={"action": "core.noop"}).json()
    http = client.post("/api/v1/executions/", json={"action": "core.http_request", "parameters": {
        "url": f"{running.url}/health/live"}}).json()
    sleep = client.post("/api/v1/executions/", json={"action": "core.sleep", "parameters": {"seconds": 0.2}}).json()
    assert noop["status"] == "succeeded"
    assert wait_for(lambda: finished(local["id"]), timeout=30, what="core.local").stdout == "hi in /tmp"
    done = wait_for(lambda: finished(http["id"]), timeout=30, what="core.http_request")
    assert done.status == "succeeded" and done.queue == "runtime.http"
    assert done.result["status_code"] == 200 and done.result["json"] == {"status": "ok"} and done.result["success"]
    assert wait_for(lambda: finished(sleep["id"]), timeout=30, what="core.sleep").status == "succeeded"


def test_output_with_nul_bytes_is_stored_and_the_execution_finishes(running):
    """PostgreSQL text cannot hold NUL: the bytes are shown as U+FFFD, nothing is lost
    around them, and the execution ends normally."""
    client = admin_client(running.url)
    execution_id = client.post("/api/v1/executions/", json={
        "action": "core.local", "parameters": {"cmd": "printf 'a\\000b'; printf 'x\\000y' >&2"}}).json()["id"]
    done = wait_for(lambda: Execution.objects.filter(pk=execution_id, finished_at__isnull=False).first(),
                    timeout=30, what="the execution")
    assert done.status == "succeeded", done.error
    assert (done.stdout, done.stderr) == ("a\ufffdb", "x\ufffdy")
