"""`keystore.<name>` in rules and workflows: the action gets the clear value, while
everything stored or shown (parameters, enforcements, workflow state, variables,
output, errors) holds an encrypted key's value only encrypted or masked."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from apps.automation.models import Enforcement, Event
from apps.automation.services.events import event_create, event_process
from apps.executions.choices import Status
from apps.executions.models import Execution
from apps.executions.services.requests import execution_launch, execution_request, parameters_full
from apps.executions.services.transitions import transition
from apps.keys import services as keys
from apps.packs.services import pack_register
from apps.workflows.models import WorkflowExecution
from apps.workflows.services import workflow_advance

pytestmark = pytest.mark.django_db

SECRET = "k3y-canary-7Qx9"

FILES = {
    "pack.yaml": "ref: shop\nversion: 1.0.0\n",
    "actions/call.yaml": """
        name: call
        runner_type: shell
        entry_point: call.sh
        parameters:
          token: {type: string}
          header: {type: string}
          region: {type: string}
          count: {type: integer}
    """,
    "actions/call.sh": "#!/bin/sh\necho called\n",
    "triggers/order.yaml": "name: order_created\n",
    "rules/call.yaml": """
        name: call_api
        trigger: shop.order_created
        criteria:
          trigger.kind: {type: equals, pattern: good}
        action:
          ref: shop.call
          parameters:
            token: "{{ keystore.api_token }}"
            header: "Bearer {{ keystore.api_token }}"
            region: "{{ keystore.region }}"
    """,
    "rules/broken.yaml": """
        name: broken
        trigger: shop.order_created
        criteria:
          trigger.kind: {type: equals, pattern: bad}
        action: {ref: shop.call, parameters: {count: "{{ keystore.api_token }}"}}
    """,
    "actions/flow.yaml": "name: flow\nrunner_type: orquesta\nentry_point: workflows/flow.yaml\n",
    "actions/workflows/flow.yaml": """
        version: 1.0
        tasks:
          first:
            action: shop.call
            input: {token: "{{ keystore.api_token }}", region: "{{ keystore.region }}"}
            next:
              - when: "{{ succeeded() }}"
                publish: [{header: "Bearer {{ keystore.api_token }}"}]
                do: second
          second:
            action: shop.call
            input: {header: "{{ workflow.header }}"}
        output:
          header: "{{ workflow.header }}"
          second: "{{ task.second.result }}"
    """,
}


@pytest.fixture(autouse=True)
def shop(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root: Path = tmp_path / "shop"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    pack_register(path=root)
    keys.key_create(name="api_token", scope="pack:shop", value=SECRET, encrypted=True)
    keys.key_create(name="region", scope="system", value="eu-west")


def test_a_rule_hands_the_action_the_secret_and_stores_it_encrypted_only():
    """Parameters that read an encrypted key are secrets of the execution; a clear key stays clear."""
    event = event_create(trigger="shop.order_created", payload={"kind": "good"}, source="test")
    event_process(event_id=event.pk)
    execution = Execution.objects.get(event_id=event.pk)
    assert execution.parameters == {"token": "********", "header": "********", "region": "eu-west"}
    assert parameters_full(execution) == {"token": SECRET, "header": f"Bearer {SECRET}", "region": "eu-west"}
    assert SECRET not in execution.secret_parameters
    enforcement = Enforcement.objects.get(event=event)
    assert enforcement.action_params == {"token": "********", "header": "Bearer ********", "region": "eu-west"}


def test_a_refused_request_keeps_the_secret_out_of_its_error():
    """A schema error about a value read from an encrypted key names it masked."""
    event = event_create(trigger="shop.order_created", payload={"kind": "bad"}, source="test")
    event_process(event_id=event.pk)
    enforcement = Enforcement.objects.get(event=event)
    assert enforcement.status == "failed" and enforcement.execution is None
    assert "count" in enforcement.error
    stored = json.dumps([enforcement.error, enforcement.action_params, Event.objects.get(pk=event.pk).rule_errors])
    assert SECRET not in stored


def test_a_rule_without_keys_reads_none():
    """A rule that does not name the keystore decrypts nothing (the mapping is lazy)."""
    from apps.automation.models import Rule
    from apps.automation.services.matching import rule_context

    context = rule_context(Rule.objects.get(ref="shop.call_api"), Event(trigger_ref="x", payload={}))
    assert context["keystore"].revealed == []


def finish(child: Execution, result) -> None:
    transition(child.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=child.created_at)
    transition(child.pk, to=Status.SUCCEEDED, expected=Status.RUNNING, result=result)
    workflow_advance(execution_id=child.parent_id)


def test_a_workflow_passes_the_secret_to_its_task_and_masks_it_everywhere_else():
    """Task inputs from encrypted keys are secret; the state is sealed; variables and
    output are masked, also in advancements that read no key themselves."""
    workflow = execution_request(action="shop.flow", parameters={})
    execution_launch(execution_id=workflow.pk)
    first = Execution.objects.get(parent_id=workflow.pk, task_name="first")
    assert first.parameters == {"token": "********", "region": "eu-west"}
    assert parameters_full(first)["token"] == SECRET
    finish(first, result={"echo": SECRET})  # the worker masks real outputs; this one did not
    second = Execution.objects.get(parent_id=workflow.pk, task_name="second")
    assert second.parameters == {"header": "********"}
    assert parameters_full(second) == {"header": f"Bearer {SECRET}"}
    finish(second, result=f"sent Bearer {SECRET}")  # this advancement reads no key
    workflow.refresh_from_db()
    assert workflow.status == Status.SUCCEEDED, workflow.error
    stored = WorkflowExecution.objects.get(execution=workflow)
    assert set(stored.state) == {"sealed"}
    assert stored.output == {"header": "Bearer ********", "second": "sent Bearer ********"}
    rows = [stored.state, stored.variables, stored.output, stored.errors, workflow.result, workflow.parameters,
            first.parameters, second.parameters]
    assert SECRET not in json.dumps(rows)


def test_rotation_reseals_keys_execution_secrets_and_workflow_states(settings):
    """After `keys_rotate`, everything sealed under the old master key opens under the new one alone."""
    from django.core.management import call_command
    from django.test import override_settings

    from apps.core.crypto import DecryptionError

    settings.ATTUNE_ENCRYPTION_KEY = "old-master"
    keys.key_set(name="api_token", scope="pack:shop", value=SECRET, encrypted=True)  # sealed under the old key
    event = event_create(trigger="shop.order_created", payload={"kind": "good"}, source="test")
    event_process(event_id=event.pk)
    by_rule = Execution.objects.get(event_id=event.pk)
    workflow = execution_request(action="shop.flow", parameters={})
    execution_launch(execution_id=workflow.pk)
    first = Execution.objects.get(parent_id=workflow.pk, task_name="first")

    with override_settings(ATTUNE_ENCRYPTION_KEY="new-master", ATTUNE_ENCRYPTION_KEY_OLD=[]):
        with pytest.raises(DecryptionError):
            parameters_full(Execution.objects.get(pk=by_rule.pk))
    with override_settings(ATTUNE_ENCRYPTION_KEY="new-master", ATTUNE_ENCRYPTION_KEY_OLD=["old-master"]):
        call_command("keys_rotate", stdout=open("/dev/null", "w"))
    with override_settings(ATTUNE_ENCRYPTION_KEY="new-master", ATTUNE_ENCRYPTION_KEY_OLD=[]):
        assert keys.key_get(name="api_token", scope="pack:shop") == SECRET
        assert parameters_full(Execution.objects.get(pk=by_rule.pk))["token"] == SECRET
        assert parameters_full(Execution.objects.get(pk=first.pk))["token"] == SECRET
        finish(first, result={})  # the workflow's sealed state opens under the new key
        second = Execution.objects.get(parent_id=workflow.pk, task_name="second")
        assert parameters_full(second) == {"header": f"Bearer {SECRET}"}


def test_a_re_run_keeps_a_value_from_an_encrypted_key_secret():
    """Re-running a rule's execution reuses the stored value and keeps it encrypted."""
    from apps.executions.services.requests import execution_rerun

    event = event_create(trigger="shop.order_created", payload={"kind": "good"}, source="test")
    event_process(event_id=event.pk)
    source = Execution.objects.get(event_id=event.pk)
    again = execution_rerun(execution_id=source.pk, parameters={"region": "us-east"})
    assert again.parameters == {"token": "********", "header": "********", "region": "us-east"}
    assert parameters_full(again)["token"] == SECRET and SECRET not in again.secret_parameters


def test_missing_key_and_whole_keystore_are_template_errors():
    """`keystore.<missing>` names the key; `keystore` cannot be printed whole."""
    from apps.core.expressions import ExpressionError, render
    from apps.keys.keystore import keystore_for

    context = {"keystore": keystore_for(pack_ref="shop")}
    assert render("{{ keystore.region }}", context) == "eu-west"
    with pytest.raises(ExpressionError, match="nope"):
        render("{{ keystore.nope }}", context)
    for text in ("{{ keystore }}", "x {{ keystore }}", "{{ keys(keystore) }}"):
        with pytest.raises(ExpressionError):
            render(text, context)
    assert context["keystore"].revealed == []
