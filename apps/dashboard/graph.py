"""A workflow execution as a graph (tasks and their transitions, each task coloured by
the status of its runs) and as a timeline of when each task ran."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.executions.choices import TERMINAL, Status
from apps.executions.models import Execution
from apps.workflows.models import WorkflowDefinition, WorkflowExecution
from apps.workflows.spec import WorkflowSpecError, parse_workflow

NOT_STARTED = "not started"
_ACTIVE_ORDER = (Status.RUNNING, Status.CANCELING, Status.PAUSING, Status.PAUSED, Status.RESUMING, Status.PENDING,
                 Status.SCHEDULED, Status.REQUESTED, Status.DELAYED)


def _task_status(statuses: list[str]) -> str:
    """One status for a task's runs (items, retries): the latest attempt decides,
    running items win over finished ones."""
    if not statuses:
        return NOT_STARTED
    for status in _ACTIVE_ORDER:
        if status in statuses:
            return status
    for status in (Status.FAILED, Status.TIMEOUT, Status.ABANDONED, Status.CANCELED):
        if status in statuses:
            return status
    return Status.SUCCEEDED


def _runs(execution: Execution) -> dict[str, list[dict[str, Any]]]:
    rows = (Execution.objects.filter(parent_id=execution.pk).order_by("id")
            .values("id", "task_name", "status", "item_index", "attempt", "created_at", "started_at",
                    "finished_at"))
    runs: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        runs.setdefault(row["task_name"], []).append(row)
    return runs


def _latest_statuses(rows: list[dict[str, Any]]) -> list[str]:
    """The status of the latest attempt of each item (a retried run's failure is past)."""
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = row["item_index"]
        if key not in latest or row["id"] > latest[key]["id"]:
            latest[key] = row
    return [row["status"] for row in latest.values()]


def workflow_graph(execution: Execution) -> dict[str, Any] | None:
    """{"nodes": [{"id", "label", "status", "runs"}], "edges": [{"source", "target"}]},
    or None when the execution is not a workflow (or its graph cannot be read)."""
    if execution.runner_type != "workflow":
        return None
    workflow = WorkflowExecution.objects.filter(execution_id=execution.pk).only("definition").first()
    if workflow is not None:
        definition = workflow.definition
    else:  # not launched yet: the action's current definition
        definition = (WorkflowDefinition.objects.filter(action_id=execution.action_id)
                      .values_list("data", flat=True).first())
    if definition is None:
        return None
    try:
        spec = parse_workflow(definition)
    except WorkflowSpecError:
        return None
    runs = _runs(execution)
    nodes, edges, seen = [], [], set()
    for name, task in spec.tasks.items():
        rows = runs.get(name, [])
        nodes.append({"id": name, "label": name, "action": task.action or "",
                      "status": _task_status(_latest_statuses(rows)), "runs": len(rows)})
        for transition in task.next:
            for target in transition.do:
                if target in spec.tasks and (name, target) not in seen:
                    seen.add((name, target))
                    edges.append({"id": f"{name}->{target}", "source": name, "target": target})
    return {"nodes": nodes, "edges": edges}


def workflow_timeline(execution: Execution, executions=None) -> list[dict[str, Any]]:
    """One bar per task run (of `executions`, the runs the user may read): its offset
    and width in percent of the workflow's span."""
    executions = Execution.objects.all() if executions is None else executions
    rows = list(executions.filter(parent_id=execution.pk).order_by("id")
                .values("id", "task_name", "status", "item_index", "attempt", "created_at", "started_at",
                        "finished_at"))
    if not rows:
        return []
    now = timezone.now()
    start = min(row["started_at"] or row["created_at"] for row in rows)
    end = max([row["finished_at"] or now for row in rows] + [execution.finished_at or now])
    span = max((end - start).total_seconds(), 0.001)
    bars = []
    for row in rows:
        began = row["started_at"] or row["created_at"]
        ended = row["finished_at"] or (now if row["status"] not in TERMINAL else began)
        offset = (began - start).total_seconds() / span * 100
        width = max((ended - began).total_seconds() / span * 100, 0.5)
        label = row["task_name"] + (f"[{row['item_index']}]" if row["item_index"] is not None else "")
        if row["attempt"] > 1:
            label += f" (attempt {row['attempt']})"
        bars.append({"id": row["id"], "label": label, "status": row["status"], "offset": round(offset, 2),
                     "width": round(min(width, 100 - offset), 2),
                     "seconds": round((ended - began).total_seconds(), 3)})
    return bars
