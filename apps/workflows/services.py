"""Orchestration: the conductor (pure) wrapped with persistence and the execution
pipeline. Every advancement locks the workflow's row, restores the conductor, applies
the children that finished, starts the runs it asks for, and saves it again."""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.core.crypto import decrypt_json, encrypt_json, reseal
from apps.core.dispatch import EXECUTOR_QUEUE, send_on_commit
from apps.core.errors import Conflict, DomainError
from apps.core.recent import RecentIds
from apps.core.schemas import mask_values
from apps.executions.choices import TERMINAL, Status
from apps.executions.models import Execution
from apps.executions.services.cancel import execution_cancel, execution_pause, execution_resume
from apps.executions.services.requests import (
    action_resolve_remembered,
    execution_prepare,
    executions_create,
    parameters_full,
    parameters_keep_secret,
    secret_values,
)
from apps.executions.services.transitions import transition
from apps.keys.keystore import KeyStore, keystore_for

from . import fastpath
from .conductor import Conductor
from .models import WorkflowDefinition, WorkflowExecution
from .spec import parse_workflow

log = logging.getLogger(__name__)

ADVANCE_TASK = "workflows.advance"
# Conductor statuses → the parent execution's status.
_PARENT_STATUS = {
    "running": Status.RUNNING, "pausing": Status.PAUSING, "paused": Status.PAUSED,
    "canceling": Status.CANCELING, "canceled": Status.CANCELED,
    "succeeded": Status.SUCCEEDED, "failed": Status.FAILED,
}


def _keystore(execution: Execution, revealed: list[str] | None = None) -> KeyStore:
    """`keystore` for a workflow: its pack's keys and its user's, read on demand."""
    keystore = keystore_for(pack_ref=execution.action_ref.split(".", 1)[0], user=execution.user_id)
    keystore.remember(revealed or [])
    return keystore


def _context(execution: Execution) -> dict[str, Any]:
    pack_config = execution.action.pack.config if execution.action_id and execution.action.pack_id else {}
    return {
        "config": pack_config,
        "keystore": _keystore(execution),
        "system": {
            "execution_id": execution.pk,
            "workflow_start": execution.created_at.isoformat() if execution.created_at else None,
            "user": execution.user.get_username() if execution.user_id else None,
        },
    }


def _item_results(parent_id: int):
    """The with_items loader (conductor.py's ItemResults contract): item results live
    on the children's rows, not in the serialised conductor state (which would
    otherwise grow with every item)."""

    def load(task: str, first_run_id: int, last_run_id: int, count: int) -> list[Any]:
        results: list[Any] = [None] * count
        rows = (
            Execution.objects.filter(parent_id=parent_id, task_name=task, task_run__range=(first_run_id, last_run_id))
            .order_by("task_run")
            .values_list("item_index", "result")
        )
        for index, result in rows:  # ascending run ids: the last attempt of an item wins
            if index is not None and 0 <= index < count:
                results[index] = result
        return results

    return load


def _spec(workflow: WorkflowExecution):
    """A running workflow's graph never changes (it is copied when the workflow
    starts), and parsing it costs milliseconds: it is parsed once per process. The
    creation time is part of the key: an id can come back after a rollback (SQLite)."""
    return _parsed(workflow.pk, workflow.created_at, workflow.file)


@lru_cache(maxsize=256)
def _parsed(workflow_id: int, created_at: Any, file: str):
    definition = WorkflowExecution.objects.filter(pk=workflow_id).values_list("definition", flat=True).get()
    return parse_workflow(definition, file=file)


def _restore(workflow: WorkflowExecution) -> Conductor:
    spec = _spec(workflow)
    state = _unseal(workflow)
    return Conductor.from_state(spec, state, item_results=_item_results(workflow.execution_id),
                                keystore=_keystore(workflow.execution, state.get(_REVEALED)))


# A workflow given secret parameters, or whose templates read an encrypted key, keeps
# its conductor state (which holds the parameters and the rendered inputs of its runs)
# encrypted, and shows its variables, output and errors with the secret values masked.
# The texts of the encrypted keys it read are kept in that sealed state, so later
# advancements go on masking them without reading the keys again.
_SEALED = "sealed"
_REVEALED = "revealed_keys"


def _revealed(conductor: Conductor) -> list[str]:
    return list(getattr(conductor.keystore, "revealed", None) or [])


def _seal(workflow: WorkflowExecution, state: dict[str, Any], secrets: list[str],
          revealed: list[str]) -> dict[str, Any]:
    if not secrets:
        return state
    if revealed:
        state = {**state, _REVEALED: revealed}
    return {_SEALED: encrypt_json(state, aad=f"workflow:{workflow.pk}:state")}


def _unseal(workflow: WorkflowExecution) -> dict[str, Any]:
    state = workflow.state
    if isinstance(state, dict) and set(state) == {_SEALED}:
        return decrypt_json(state[_SEALED], aad=f"workflow:{workflow.pk}:state")
    return state


def workflows_reseal() -> int:
    """Seal every sealed workflow state again under the current master key (key
    rotation, `manage.py keys_rotate`)."""
    count = 0
    for pk, state in WorkflowExecution.objects.values_list("pk", "state").iterator():
        if not (isinstance(state, dict) and set(state) == {_SEALED}):
            continue
        sealed = reseal(state[_SEALED], aad=f"workflow:{pk}:state")
        if sealed is not None:
            count += WorkflowExecution.objects.filter(pk=pk, state__sealed=state[_SEALED]).update(state={_SEALED: sealed})
    return count


def _user(execution: Execution):
    """The workflow's user for its children, without loading the user's row."""
    return get_user_model()(pk=execution.user_id) if execution.user_id else None


def workflow_launch(execution: Execution) -> None:
    """Start a workflow execution (on the executor, under the execution's row lock)."""
    now = timezone.now()
    transition(execution.pk, to=Status.SCHEDULED, expected=Status.REQUESTED, scheduled_at=now)
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=now, spawned_at=now)
    definition = WorkflowDefinition.objects.filter(action_id=execution.action_id).first()
    if definition is None:
        transition(execution.pk, to=Status.FAILED, expected=Status.RUNNING,
                   error="the workflow definition is missing; register the pack again")
        return
    workflow = WorkflowExecution.objects.create(
        execution=execution, definition=definition.data, file=definition.file, state={},
    )
    conductor = Conductor(_spec(workflow), parameters_full(execution),
                          context=_context(execution))
    runs = conductor.start()
    _apply(workflow, execution, conductor, runs, current=Status.RUNNING)


def _spawn(parent: Execution, conductor: Conductor, runs: list, secrets: list[str]) -> None:
    """Child executions for the conductor's runs, created in bulk. A run whose input
    the action refuses fails at once, which may ask for more runs."""
    actions: dict[str, Any] = {}  # a with_items fan-out resolves its action once
    user = _user(parent)
    while runs:
        prepared, failed = [], []
        # The runs' inputs were rendered already: every encrypted key they read is known.
        carried = [*secrets, *_revealed(conductor)]
        for run in runs:
            try:
                if run.action not in actions:
                    actions[run.action] = action_resolve_remembered(run.action)
                new = execution_prepare(
                    action=actions[run.action], parameters=run.input, user=user, parent=parent,
                    timeout=math.ceil(run.timeout) if run.timeout else None, task_name=run.task,
                    task_run=run.run_id, item_index=run.item_index, attempt=run.attempt, delay=run.delay or 0.0,
                )
                # A child input carrying one of the workflow's secrets is kept secret too.
                parameters_keep_secret(new, carried)
                prepared.append(new)
            except DomainError as exc:
                failed.append((run.run_id, str(exc)))
        if prepared:
            executions_create(prepared)
        runs = []
        for run_id, message in failed:
            runs.extend(conductor.complete(run_id, "failed", {"error": message}))


def _apply(workflow: WorkflowExecution, parent: Execution, conductor: Conductor, runs: list, *,
           current: str | None = None) -> None:
    """Start the runs, save the conductor, and bring the parent's status in line.
    `current` is the parent's status as the caller read it, if it did."""
    secrets = secret_values(parent)
    _spawn(parent, conductor, runs, secrets)
    # Rendering the runs may have read encrypted keys: read the list after spawning.
    revealed = _revealed(conductor)
    secrets = [*secrets, *revealed]
    workflow.state = _seal(workflow, conductor.to_state(), secrets, revealed)
    workflow.status = conductor.status
    workflow.variables = mask_values(conductor.variables, secrets)
    workflow.output = mask_values(conductor.output, secrets)
    workflow.errors = mask_values(conductor.errors, secrets)
    workflow.updated_at = timezone.now()
    WorkflowExecution.objects.filter(pk=workflow.pk).update(  # an UPDATE without save()'s machinery
        state=workflow.state, status=workflow.status, variables=workflow.variables, output=workflow.output,
        errors=workflow.errors, updated_at=workflow.updated_at,
    )
    _sync_parent(parent.pk, conductor, current, workflow)


def _sync_parent(parent_id: int, conductor: Conductor, current: str | None, workflow: WorkflowExecution) -> None:
    target = _PARENT_STATUS.get(conductor.status, Status.RUNNING)
    for _ in range(2):  # a status read earlier may have changed meanwhile: read it again once
        if current is None:
            current = Execution.objects.filter(pk=parent_id).values_list("status", flat=True).first()
        if current is None or current == target or current in TERMINAL:
            return
        fields: dict[str, Any] = {}
        if target in TERMINAL:
            fields = {"result": workflow.output,
                      "error": "; ".join(e.get("message", str(e)) for e in workflow.errors)}
        expected = current
        if target == Status.RUNNING and current == Status.PAUSED:
            if not transition(parent_id, to=Status.RESUMING, expected=current):
                current = None
                continue
            expected = Status.RESUMING
        if transition(parent_id, to=target, expected=expected, **fields):
            return
        current = None


_UNKNOWN = object()


def on_execution_status_changed(*, execution_id: int, status: str, previous: str, parent_id: Any = _UNKNOWN,
                                **_: Any) -> None:
    """A child finished: advance its workflow on the executor once this commits."""
    if status not in TERMINAL:
        return
    if parent_id is _UNKNOWN:
        # Only workflows have children, so the parent id is enough: a primary-key read
        # (the worker's finish passes it, being on every execution's path).
        parent_id = Execution.objects.filter(pk=execution_id).values_list("parent_id", flat=True).first()
    if parent_id:
        send_on_commit(ADVANCE_TASK, [parent_id, execution_id], queue=EXECUTOR_QUEUE)


# The parent's fields an advancement needs (its row is read with the workflow's).
_PARENT_FIELDS = ("execution__id", "execution__status", "execution__user", "execution__root",
                  "execution__secret_parameters", "execution__action_ref")


# Children whose completion this process has applied (committed). One advancement
# applies every child finished by then, so the messages of the others, which a large
# with_items fan-out sends by the thousand, are answered without reading the
# workflow's state.
_applied = RecentIds(100_000)


def workflow_advance(*, execution_id: int, child_id: int | None = None) -> None:
    """Apply every finished child the conductor still waits for, in run order.
    `child_id` is the child whose completion sent this message, if known."""
    if child_id is not None and child_id in _applied:
        return
    with transaction.atomic():
        finished = None
        if fastpath.available():
            read = fastpath.lock_and_read(execution_id)
            workflow, finished = read if read is not None else (None, None)
        else:
            workflow = (
                WorkflowExecution.objects.select_for_update(of=("self",))
                .select_related("execution")
                .only("id", "status", "state", "file", "created_at", "execution_id", *_PARENT_FIELDS)
                .filter(execution_id=execution_id)
                .first()
            )
        if workflow is None or workflow.status in ("succeeded", "failed", "canceled"):
            return
        conductor = _restore(workflow)
        active = conductor.active
        if not active:
            return
        if finished is None or _SEALED in workflow.state:
            finished = (
                Execution.objects.filter(parent_id=execution_id, task_run__in=active, status__in=TERMINAL)
                .order_by("task_run")
                .values_list("pk", "task_run", "status", "result")
            )
        runs: list = []
        applied: list[int] = []
        for pk, run_id, status, result in finished:
            runs.extend(conductor.complete(run_id, status, result))
            applied.append(pk)
        if applied:
            parent = workflow.execution
            _apply(workflow, parent, conductor, runs, current=parent.status)
            transaction.on_commit(lambda: _applied.add(applied))


def _locked(execution: Execution) -> tuple[WorkflowExecution, Conductor]:
    workflow = WorkflowExecution.objects.select_for_update().filter(execution_id=execution.pk).first()
    if workflow is None:
        raise Conflict(f"execution {execution.pk} has no workflow state")
    return workflow, _restore(workflow)


def _children_active(execution: Execution):
    return Execution.objects.filter(parent_id=execution.pk).exclude(status__in=TERMINAL)


def workflow_cancel(execution: Execution, reason: str) -> None:
    """Cancel cascades: the conductor starts nothing new, every active child is
    canceled, and the workflow ends `canceled` once they have finished."""
    workflow, conductor = _locked(execution)
    conductor.cancel()
    _apply(workflow, execution, conductor, [])
    for child_id in _children_active(execution).values_list("pk", flat=True):
        try:
            execution_cancel(execution_id=child_id, reason=f"parent workflow {execution.pk} canceled")
        except Conflict:
            pass  # it finished meanwhile


def workflow_pause(execution: Execution) -> None:
    """Pause: running tasks finish (nested workflows pause too), nothing new starts."""
    workflow, conductor = _locked(execution)
    conductor.pause()
    _apply(workflow, execution, conductor, [])
    for child in _children_active(execution).filter(runner_type="workflow", status=Status.RUNNING):
        execution_pause(execution_id=child.pk)


def workflow_resume(execution: Execution) -> None:
    workflow, conductor = _locked(execution)
    for child in _children_active(execution).filter(runner_type="workflow", status__in=(Status.PAUSED, Status.PAUSING)):
        execution_resume(execution_id=child.pk)
    runs = conductor.resume()
    _apply(workflow, execution, conductor, runs)


def workflow_detail(execution: Execution) -> dict[str, Any]:
    """The workflow block of an execution's API detail."""
    if execution.runner_type != "workflow":
        return {}
    workflow = WorkflowExecution.objects.filter(execution_id=execution.pk).only(
        "status", "variables", "output", "errors"
    ).first()
    if workflow is None:
        return {}
    return {"workflow": {"status": workflow.status, "variables": workflow.variables, "output": workflow.output,
                         "errors": workflow.errors}}


def workflows_resweep(limit: int = 100) -> int:
    """Advance workflows whose advancement message was lost (e.g. the executor died
    while handling it): a child finished after the workflow last saved its state, a
    while ago. Run by the scheduler, so no workflow waits forever."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import F

    cutoff = timezone.now() - timedelta(seconds=settings.ATTUNE_REDISPATCH_AFTER)
    stale = (
        Execution.objects.filter(
            parent__runner_type="workflow",
            parent__status__in=(Status.RUNNING, Status.PAUSING, Status.CANCELING),
            status__in=TERMINAL,
            finished_at__lt=cutoff,
            finished_at__gt=F("parent__workflow__updated_at"),
        )
        .values_list("parent_id", flat=True)
        .distinct()[:limit]
    )
    count = 0
    for parent_id in list(stale):
        workflow_advance(execution_id=parent_id)
        count += 1
    return count
