"""Workflows on the fleet: the conductor drives child executions run by real workers."""

from __future__ import annotations

import pytest

from apps.executions.models import Execution

from .api import admin_client
from .harness import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def finished(execution_id: int) -> Execution | None:
    execution = Execution.objects.get(pk=execution_id)
    return execution if execution.finished_at else None


@pytest.fixture
def running(platform):
    platform.web()
    platform.executor()
    platform.actions(concurrency=6)
    platform.scheduler()
    return platform


def test_workflow_branches_fans_out_retries_joins_and_publishes(running, tmp_path):
    """The deploy workflow: a branch on a result, with_items with concurrency 2, a
    flaky task retried, a join, and a published output."""
    client = admin_client(running.url)
    answer = client.post("/api/v1/executions/", json={
        "action": "e2e.deploy", "parameters": {"flaky_path": str(tmp_path / "flaky")}})
    assert answer.status_code == 201, answer.text
    workflow_id = answer.json()["id"]
    done = wait_for(lambda: finished(workflow_id), timeout=90, what="the workflow")
    assert done.status == "succeeded", done.error
    assert done.result == {"image": "app:7", "regions": ["eu-app:7", "us-app:7", "ap-app:7"],
                           "summary": "deployed 3 regions with app:7"}

    children = list(Execution.objects.filter(parent_id=workflow_id).order_by("id"))
    by_task: dict[str, list[Execution]] = {}
    for child in children:
        by_task.setdefault(child.task_name, []).append(child)
    assert "abort" not in by_task
    assert sorted(c.item_index for c in by_task["deploy"]) == [0, 1, 2]
    assert [(c.attempt, c.status) for c in by_task["flaky"]] == [(1, "failed"), (2, "succeeded")]
    assert len(by_task["report"]) == 1 and by_task["report"][0].stdout == "deployed 3 regions with app:7"
    # Never more than two deploy items ran at once.
    spans = sorted((c.started_at, c.finished_at) for c in by_task["deploy"])
    for index, (start, _) in enumerate(spans):
        overlapping = sum(1 for s, f in spans[:index] if f > start)
        assert overlapping < 2

    shown = client.get(f"/api/v1/executions/{workflow_id}/").json()
    assert shown["workflow"]["variables"]["image"] == "app:7"
    assert shown["workflow"]["output"]["summary"] == "deployed 3 regions with app:7"
    assert {c["task_name"] for c in shown["children"]} == {"check", "deploy", "flaky", "report"}
    assert {(c["task_name"], c["item_index"]) for c in shown["children"] if c["task_name"] == "deploy"} == {
        ("deploy", 0), ("deploy", 1), ("deploy", 2)}


def test_workflow_takes_the_other_branch(running, tmp_path):
    """When the check says unhealthy, only the abort branch runs."""
    client = admin_client(running.url)
    workflow_id = client.post("/api/v1/executions/", json={
        "action": "e2e.deploy", "parameters": {"flaky_path": str(tmp_path / "f"), "healthy": False}}).json()["id"]
    done = wait_for(lambda: finished(workflow_id), timeout=60, what="the workflow")
    assert done.status == "succeeded", done.error
    tasks = set(Execution.objects.filter(parent_id=workflow_id).values_list("task_name", flat=True))
    assert tasks == {"check", "abort"}


def test_cancel_cascades_to_running_children(running):
    """Canceling a workflow cancels its running task and ends it canceled."""
    client = admin_client(running.url)
    workflow_id = client.post("/api/v1/executions/", json={"action": "e2e.slow_flow",
                                                            "parameters": {"seconds": 60}}).json()["id"]
    child = wait_for(lambda: Execution.objects.filter(parent_id=workflow_id, status="running").first(),
                     timeout=30, what="the first task to run")
    assert client.post(f"/api/v1/executions/{workflow_id}/cancel/").status_code == 200
    wait_for(lambda: Execution.objects.get(pk=workflow_id).status == "canceled", timeout=30, what="the cancel")
    assert Execution.objects.get(pk=child.pk).status == "canceled"
    assert not Execution.objects.filter(parent_id=workflow_id, task_name="after").exists()


def test_pause_waits_for_running_tasks_and_resume_continues(running):
    """Pause: the running task finishes, the next does not start; resume starts it."""
    client = admin_client(running.url)
    workflow_id = client.post("/api/v1/executions/", json={"action": "e2e.slow_flow",
                                                            "parameters": {"seconds": 2}}).json()["id"]
    wait_for(lambda: Execution.objects.filter(parent_id=workflow_id, status="running").exists(),
             timeout=30, what="the first task to run")
    assert client.post(f"/api/v1/executions/{workflow_id}/pause/").json()["status"] == "pausing"
    wait_for(lambda: Execution.objects.get(pk=workflow_id).status == "paused", timeout=30, what="paused")
    assert not Execution.objects.filter(parent_id=workflow_id, task_name="after").exists()
    assert client.post(f"/api/v1/executions/{workflow_id}/resume/").status_code == 200
    done = wait_for(lambda: finished(workflow_id), timeout=30, what="the resumed workflow")
    assert done.status == "succeeded" and done.result == {"done": "succeeded"}
    pausing = client.post(f"/api/v1/executions/{done.children.first().pk}/pause/")
    assert pausing.status_code == 409


def test_nested_workflow_survives_an_executor_killed_mid_run(running):
    """A workflow whose task is a workflow; the executor is SIGKILLed while the inner
    workflow's task runs and started again: both workflows finish, from their rows."""
    client = admin_client(running.url)
    outer_id = client.post("/api/v1/executions/", json={"action": "e2e.outer", "parameters": {"seconds": 3}}).json()["id"]
    inner = wait_for(lambda: Execution.objects.filter(parent_id=outer_id, task_name="inner").first(),
                     timeout=30, what="the inner workflow")
    wait_for(lambda: Execution.objects.filter(parent_id=inner.pk, status="running").exists(),
             timeout=30, what="the inner workflow's first task")
    running.kill("executor")
    running.executor()
    done = wait_for(lambda: finished(outer_id), timeout=60, what="the outer workflow")
    assert done.status == "succeeded", done.error
    assert done.result == {"inner": {"done": "succeeded"}, "report": "inner said succeeded"}
    assert Execution.objects.get(pk=inner.pk).status == "succeeded"
    shown = client.get(f"/api/v1/executions/{outer_id}/").json()
    assert [c["task_name"] for c in shown["children"]] == ["inner", "report"]
    tree = client.get(f"/api/v1/executions/?root={outer_id}&limit=50").json()["results"]
    assert {(e["parent"], e["task_name"]) for e in tree} == {
        (outer_id, "inner"), (outer_id, "report"), (inner.pk, "wait"), (inner.pk, "after")}
