"""Orchestration: the conductor (pure) wrapped with persistence and the execution
pipeline. Every advancement locks the workflow's row, restores the conductor, applies
the children that finished, starts the runs it asks for, and saves it again."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core.dispatch import send_on_commit
from apps.core.errors import Conflict, DomainError
from apps.executions.choices import TERMINAL, Status
from apps.executions.models import Execution
from apps.executions.services.cancel import execution_cancel, execution_pause, execution_resume
from apps.executions.services.requests import execution_prepare, executions_create, parameters_full
from apps.executions.services.transitions import transition

from .conductor import Conductor
from .models import WorkflowDefinition, WorkflowExecution
from .spec import parse_workflow

log = logging.getLogger(__name__)

ADVANCE_TASK = "workflows.advance"
EXECUTOR_QUEUE = "attune.executor"
# Conductor statuses → the parent execution's status.
_PARENT_STATUS = {
    "running": Status.RUNNING, "pausing": Status.PAUSING, "paused": Status.PAUSED,
    "canceling": Status.CANCELING, "canceled": Status.CANCELED,
    "succeeded": Status.SUCCEEDED, "failed": Status.FAILED,
}


def _context(execution: Execution) -> dict[str, Any]:
    pack_config = execution.action.pack.config if execution.action_id and execution.action.pack_id else {}
    return {
        "config": pack_config,
        "keystore": {},
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


@lru_cache(maxsize=256)
def _spec(definition_json: str, file: str):
    """Parsing a graph costs milliseconds; a workflow is advanced once per task, so
    the parsed spec is kept per (graph, file)."""
    return parse_workflow(json.loads(definition_json), file=file)


def _restore(workflow: WorkflowExecution) -> Conductor:
    spec = _spec(json.dumps(workflow.definition, sort_keys=True), workflow.file)
    return Conductor.from_state(spec, workflow.state, item_results=_item_results(workflow.execution_id))


def workflow_launch(execution: Execution) -> None:
    """Start a workflow execution (inside the transaction that requested it)."""
    now = timezone.now()
    transition(execution.pk, to=Status.SCHEDULED, expected=Status.REQUESTED, scheduled_at=now)
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=now, spawned_at=now)
    definition = WorkflowDefinition.objects.filter(action_id=execution.action_id).first()
    if definition is None:
        transition(execution.pk, to=Status.FAILED, expected=Status.RUNNING,
                   error="the workflow definition is missing; register the pack again")
        return
    spec = _spec(json.dumps(definition.data, sort_keys=True), definition.file)
    conductor = Conductor(spec, parameters_full(execution), context=_context(execution))
    runs = conductor.start()
    workflow = WorkflowExecution.objects.create(
        execution=execution, definition=definition.data, file=definition.file, state={},
    )
    _apply(workflow, execution, conductor, runs)


def _spawn(parent: Execution, conductor: Conductor, runs: list) -> None:
    """Child executions for the conductor's runs, created in bulk. A run whose input
    the action refuses fails at once, which may ask for more runs."""
    while runs:
        prepared, failed = [], []
        for run in runs:
            try:
                prepared.append(execution_prepare(
                    action=run.action, parameters=run.input, user=parent.user, parent=parent,
                    timeout=int(run.timeout) if run.timeout else None, task_name=run.task, task_run=run.run_id,
                    item_index=run.item_index, attempt=run.attempt, delay=run.delay or 0.0,
                ))
            except DomainError as exc:
                failed.append((run.run_id, str(exc)))
        if prepared:
            executions_create(prepared)
        runs = []
        for run_id, message in failed:
            runs.extend(conductor.complete(run_id, "failed", {"error": message}))


def _apply(workflow: WorkflowExecution, parent: Execution, conductor: Conductor, runs: list) -> None:
    _spawn(parent, conductor, runs)
    workflow.state = conductor.to_state()
    workflow.status = conductor.status
    workflow.variables = conductor.variables
    workflow.output = conductor.output
    workflow.errors = conductor.errors
    workflow.save(update_fields=["state", "status", "variables", "output", "errors", "updated_at"])
    _sync_parent(parent, conductor)


def _sync_parent(parent: Execution, conductor: Conductor) -> None:
    target = _PARENT_STATUS.get(conductor.status, Status.RUNNING)
    current = Execution.objects.filter(pk=parent.pk).values_list("status", flat=True).first()
    if current is None or current == target or current in TERMINAL:
        return
    fields: dict[str, Any] = {}
    if target in TERMINAL:
        fields = {"result": conductor.output, "error": "; ".join(e.get("message", str(e)) for e in conductor.errors)}
    if target == Status.RUNNING and current == Status.PAUSED:
        transition(parent.pk, to=Status.RESUMING, expected=current)
        current = Status.RESUMING
    transition(parent.pk, to=target, expected=current, **fields)


def on_execution_status_changed(*, execution_id: int, status: str, previous: str) -> None:
    """A child finished: advance its workflow on the executor once this commits."""
    if status not in TERMINAL:
        return
    parent_id = (
        Execution.objects.filter(pk=execution_id, parent__isnull=False, parent__runner_type="workflow")
        .values_list("parent_id", flat=True)
        .first()
    )
    if parent_id:
        send_on_commit(ADVANCE_TASK, [parent_id], queue=EXECUTOR_QUEUE)


def workflow_advance(*, execution_id: int) -> None:
    """Apply every finished child the conductor still waits for, in run order."""
    with transaction.atomic():
        workflow = WorkflowExecution.objects.select_for_update().filter(execution_id=execution_id).first()
        if workflow is None or workflow.status in ("succeeded", "failed", "canceled"):
            return
        conductor = _restore(workflow)
        active = conductor.active
        if not active:
            return
        finished = (
            Execution.objects.filter(parent_id=execution_id, task_run__in=active, status__in=TERMINAL)
            .order_by("task_run")
            .values_list("task_run", "status", "result")
        )
        runs: list = []
        applied = 0
        for run_id, status, result in finished:
            runs.extend(conductor.complete(run_id, status, result))
            applied += 1
        if applied:
            parent = Execution.objects.select_related("user").get(pk=execution_id)
            _apply(workflow, parent, conductor, runs)


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
