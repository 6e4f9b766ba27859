"""Orchestration on the database: registration validates the graph, children are
created for the conductor's runs, finished children advance the workflow (the state
is restored from its row each time), and cancel cascades. Children are finished by
hand here; tests/e2e/test_workflows.py runs the same on real workers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from apps.executions.choices import Status
from apps.executions.models import Execution
from apps.executions.services.cancel import execution_cancel
from apps.executions.services.reaper import executions_reap
from apps.executions.services.requests import execution_launch, execution_request
from apps.executions.services.transitions import transition
from apps.packs.errors import PackLoadError
from apps.packs.services import pack_register
from apps.workflows.models import WorkflowDefinition, WorkflowExecution
from apps.workflows.services import workflow_advance

pytestmark = pytest.mark.django_db

FLOW = """
    version: 1.0
    input: [regions]
    tasks:
      deploy:
        action: ops.step
        with_items: "{{ parameters.regions }}"
        concurrency: 2
        input: {name: "{{ item }}"}
        next:
          - when: "{{ succeeded() }}"
            publish: [{deployed: "{{ result() }}"}]
            do: report
      report:
        action: ops.step
        input: {name: "{{ length(workflow.deployed) }} regions"}
    output:
      deployed: "{{ workflow.deployed }}"
"""


def write_pack(root: Path, flow: str = FLOW) -> Path:
    files = {
        "pack.yaml": "ref: ops\nversion: 1.0.0\n",
        "actions/step.yaml": "name: step\nrunner_type: shell\nentry_point: step.sh\nparameters: {name: {type: string}}\n",
        "actions/step.sh": "#!/bin/sh\necho step\n",
        "actions/flow.yaml": "name: flow\nrunner_type: orquesta\nentry_point: workflows/flow.yaml\n"
                             "parameters: {regions: {type: array, default: [eu, us, ap]}}\n",
        "actions/workflows/flow.yaml": flow,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def pack(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    return pack_register(path=write_pack(tmp_path / "ops"))


def start(**parameters) -> Execution:
    """Request the workflow, then launch it as the executor does on its message."""
    workflow = execution_request(action="ops.flow", parameters=parameters)
    assert workflow.status == Status.REQUESTED and not children(workflow.pk)
    assert execution_launch(execution_id=workflow.pk)
    assert not execution_launch(execution_id=workflow.pk)  # a duplicated message does nothing
    workflow.refresh_from_db()
    return workflow


def children(workflow_id: int, **filters) -> list[Execution]:
    return list(Execution.objects.filter(parent_id=workflow_id, **filters).order_by("task_run"))


def finish(child: Execution, status: str = Status.SUCCEEDED, result=None) -> None:
    transition(child.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=child.created_at)
    transition(child.pk, to=status, expected=Status.RUNNING, result=result)
    workflow_advance(execution_id=child.parent_id)


def test_registration_stores_the_graph(pack):
    definition = WorkflowDefinition.objects.get(action__ref="ops.flow")
    assert set(definition.data["tasks"]) == {"deploy", "report"}


def test_registration_names_the_file_the_task_and_the_field(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    broken = FLOW.replace("do: report", "do: reprot").replace("action: ops.step\n        input: {name: \"{{ length",
                                                               "action: ops.missing\n        input: {name: \"{{ length")
    with pytest.raises(PackLoadError) as caught:
        pack_register(path=write_pack(tmp_path / "ops", broken))
    text = str(caught.value)
    assert "actions/workflows/flow.yaml" in text
    assert "tasks.deploy.next" in text and "reprot" in text
    assert "ops.missing" in text


def test_with_items_runs_with_concurrency_and_collects_results_across_restores(pack):
    """Two items at a time; each finished child advances the workflow from its stored
    state; the item results come back in item order from the children's rows."""
    workflow = start()
    assert workflow.status == Status.RUNNING
    first = children(workflow.pk)
    assert [(c.task_name, c.item_index, c.parameters) for c in first] == [
        ("deploy", 0, {"name": "eu"}), ("deploy", 1, {"name": "us"})]
    finish(first[1], result="us-done")  # out of order: item 1 first
    third = children(workflow.pk, item_index=2)
    assert len(third) == 1 and third[0].status == Status.SCHEDULED
    finish(first[0], result="eu-done")
    finish(third[0], result="ap-done")
    report = children(workflow.pk, task_name="report")
    assert [c.parameters for c in report] == [{"name": "3 regions"}]
    finish(report[0])
    workflow.refresh_from_db()
    assert workflow.status == Status.SUCCEEDED
    assert workflow.result == {"deployed": ["eu-done", "us-done", "ap-done"]}
    assert WorkflowExecution.objects.get(execution=workflow).variables["deployed"] == ["eu-done", "us-done", "ap-done"]


def test_a_failed_task_fails_the_workflow_once_its_siblings_finish(pack):
    workflow = start(regions=["eu"])
    finish(children(workflow.pk)[0], status=Status.FAILED)
    workflow.refresh_from_db()
    assert workflow.status == Status.FAILED
    assert not children(workflow.pk, task_name="report")


def test_advancing_twice_applies_a_completion_once(pack):
    """A duplicated advancement message changes nothing."""
    workflow = start(regions=["eu"])
    finish(children(workflow.pk)[0], result="ok")
    workflow_advance(execution_id=workflow.pk)
    assert len(children(workflow.pk, task_name="report")) == 1


def test_cancel_cascades_to_active_children(pack):
    workflow = start()
    execution_cancel(execution_id=workflow.pk)
    assert {c.status for c in children(workflow.pk)} == {Status.CANCELED}
    workflow_advance(execution_id=workflow.pk)
    workflow.refresh_from_db()
    assert workflow.status == Status.CANCELED
    assert not children(workflow.pk, item_index=2)


def test_the_reaper_leaves_running_workflows_alone(pack, settings):
    """A workflow has no worker and no heartbeat: the reaper must not abandon it."""
    settings.ATTUNE_LEASE_TIMEOUT = 0
    workflow = start()
    executions_reap()
    workflow.refresh_from_db()
    assert workflow.status == Status.RUNNING


def test_a_lost_launch_message_is_sent_to_the_executor_again(pack, settings, monkeypatch):
    """The workflow waits `requested` for the executor; if that message is lost, the
    reaper sends it again."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.executions.services import requests

    sent = []
    monkeypatch.setattr(requests, "send_task", lambda name, args, *, queue: sent.append((name, args, queue)) or True)
    workflow = execution_request(action="ops.flow", parameters={})
    Execution.objects.filter(pk=workflow.pk).update(dispatched_at=timezone.now() - timedelta(seconds=60))
    assert executions_reap().redispatched == 1
    assert sent == [("executions.launch", [workflow.pk], "attune.executor")]


SECRET_FLOW = """
    version: 1.0
    input: [token]
    vars: [{header: null}]
    tasks:
      use:
        action: ops.step
        input: {name: "Bearer {{ parameters.token }}"}
        next:
          - publish: [{header: "Bearer {{ parameters.token }}"}]
    output:
      header: "{{ workflow.header }}"
"""


def test_secret_parameters_stay_secret_in_the_state_the_children_and_the_output(tmp_path):
    """The workflow's state is stored encrypted, a child input carrying the secret is
    kept secret, and variables and output show it masked."""
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = write_pack(tmp_path / "ops", SECRET_FLOW)
    (root / "actions" / "flow.yaml").write_text(
        "name: flow\nrunner_type: orquesta\nentry_point: workflows/flow.yaml\n"
        "parameters: {token: {type: string, secret: true, required: true}}\n")
    pack_register(path=root)
    secret = "s3cr3t-canary-value"
    workflow = execution_request(action="ops.flow", parameters={"token": secret})
    execution_launch(execution_id=workflow.pk)
    workflow.refresh_from_db()
    assert children(workflow.pk), (workflow.status, workflow.error)
    child = children(workflow.pk)[0]
    assert child.parameters == {"name": "********"}
    assert secret not in child.secret_parameters
    finish(child, result=f"used Bearer {secret}")
    workflow.refresh_from_db()
    assert workflow.status == Status.SUCCEEDED
    stored = WorkflowExecution.objects.get(execution=workflow)
    rows = [stored.state, stored.variables, stored.output, stored.errors, workflow.result, workflow.parameters]
    assert all(secret not in json.dumps(row) for row in rows), rows
    assert stored.output == {"header": "Bearer ********"}


def test_canceling_a_workflow_not_launched_yet_cancels_it(pack):
    workflow = execution_request(action="ops.flow", parameters={})
    assert execution_cancel(execution_id=workflow.pk).status == Status.CANCELED
    assert not execution_launch(execution_id=workflow.pk)
    assert not children(workflow.pk)
