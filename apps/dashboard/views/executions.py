"""Executions: the live list, an execution's page and its fragments, and the buttons
(cancel, re-run, pause, resume), which call the same services as the API."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core import schemas
from apps.core.errors import DomainError, InvalidInput
from apps.executions.choices import CANCELABLE, TERMINAL, Status
from apps.executions.models import Execution
from apps.executions.services.cancel import execution_cancel, execution_pause, execution_resume
from apps.executions.services.requests import execution_rerun
from apps.packs.models import Pack

from .. import access
from ..filters import SINCE, ExecutionListFilter
from ..forms import RunForm
from ..graph import workflow_graph, workflow_timeline
from .base import PAGE_SIZE, page, render_page

OUTPUT_BATCH = 1000
TREE_LIMIT = 500


def visible(user):
    return access.restrict(Execution.objects.all(), user, "executions")


def get_execution(request, pk: int) -> Execution:
    return get_object_or_404(visible(request.user).select_related("action"), pk=pk)


def _filters(request) -> dict[str, str]:
    keys = ("status", "action", "pack", "since", "parent")
    return {key: request.GET.get(key, "").strip() for key in keys}


def _filtered(request, queryset):
    # A value the form cannot have sent (a hand-edited URL) is ignored, not an error.
    return ExecutionListFilter(request.GET, queryset=queryset).qs


def _rows(request):
    queryset = _filtered(request, visible(request.user)).order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    rows = list(queryset[: PAGE_SIZE + 1])
    older = rows[PAGE_SIZE].pk + 1 if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], older


@page
def execution_list(request):
    rows, older = _rows(request)
    query = request.GET.copy()
    query.pop("before", None)
    packs = access.restrict(Pack.objects.order_by("ref"), request.user, "packs").values_list("ref", flat=True)
    return render_page(request, "dashboard/executions/list.html", {
        "rows": rows, "older": older, "filters": _filters(request), "query": query.urlencode(),
        "statuses": [s.value for s in Status], "since_choices": list(SINCE), "packs": list(packs),
    })


@page
def execution_rows(request):
    """The list's rows (a resync after the WebSocket reconnects)."""
    rows, _ = _rows(request)
    return render(request, "dashboard/executions/_rows.html", {"rows": rows})


@page
def execution_row(request, pk: int):
    """One row, if the execution matches the list's filters (else 204)."""
    execution = _filtered(request, visible(request.user)).filter(pk=pk).first()
    if execution is None:
        return HttpResponse(status=204)
    return render(request, "dashboard/executions/_row.html", {"execution": execution})


def _tree(user, execution: Execution) -> list[dict[str, Any]]:
    """The descendants of an execution the user may read (a workflow may call actions
    of other packs), as a nested list (at most TREE_LIMIT)."""
    root_id = execution.root_id or execution.pk
    rows = list(visible(user).filter(root_id=root_id).order_by("id")
                .values("id", "parent_id", "action_ref", "status", "task_name", "item_index", "attempt",
                        "created_at", "finished_at")[:TREE_LIMIT])
    by_parent: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], []).append(row)

    def build(parent_id: int, depth: int) -> list[dict[str, Any]]:
        nodes = []
        for row in by_parent.get(parent_id, []):
            nodes.append({**row, "depth": depth})
            nodes.extend(build(row["id"], depth + 1))
        return nodes

    return build(execution.pk, 0)


def _buttons(user, execution: Execution) -> dict[str, bool]:
    pack = access.pack_of(execution.action_ref)
    is_workflow = execution.runner_type == "workflow"
    may_cancel = access.can(user, "cancel", "executions", pack=pack)
    return {
        "cancel": may_cancel and execution.status in CANCELABLE,
        "pause": may_cancel and is_workflow and execution.status in (Status.RUNNING, Status.PENDING),
        "resume": may_cancel and is_workflow and execution.status in (Status.PAUSED, Status.PAUSING),
        "rerun": access.can(user, "execute", "executions", pack=pack) and execution.action_id is not None,
    }


def _summary_context(request, execution: Execution) -> dict[str, Any]:
    duration = None
    start = execution.spawned_at or execution.started_at
    if start:
        duration = ((execution.finished_at or timezone.now()) - start).total_seconds()
    return {
        "execution": execution,
        "buttons": _buttons(request.user, execution),
        "finished": execution.status in TERMINAL,
        "duration": duration,
        "result_json": json.dumps(execution.result, indent=2, sort_keys=True, default=str)
        if execution.result is not None else None,
        "history": execution.history.order_by("at", "id"),
        "tree": _tree(request.user, execution),
        "timeline": workflow_timeline(execution, visible(request.user))
        if execution.runner_type == "workflow" else [],
        "enforcement": _enforcement_of(execution),
    }


def _enforcement_of(execution: Execution):
    if not execution.rule_ref:
        return None
    from apps.automation.models import Enforcement

    return Enforcement.objects.filter(execution_id=execution.pk).only("id", "rule_ref", "event_id").first()


@page
def execution_detail(request, pk: int):
    execution = get_execution(request, pk)
    secrets = schemas.secret_names(execution.action.parameters) if execution.action else frozenset()
    parameters = schemas.mask(execution.parameters or {}, secrets)
    context = _summary_context(request, execution)
    context.update({
        "parameters": sorted(parameters.items()),
        "graph": workflow_graph(execution),
        "is_workflow": execution.runner_type == "workflow",
    })
    return render_page(request, "dashboard/executions/detail.html", context)


@page
def execution_summary(request, pk: int):
    execution = get_execution(request, pk)
    return render(request, "dashboard/executions/_summary.html", _summary_context(request, execution))


@page
def execution_graph(request, pk: int):
    execution = get_execution(request, pk)
    return JsonResponse({"graph": workflow_graph(execution), "status": execution.status})


@page
def execution_output(request, pk: int):
    """Output chunks after `?after=<seq>`, oldest first (stored masked)."""
    execution = get_execution(request, pk)
    after = request.GET.get("after", "0")
    if not after.isdigit():
        return JsonResponse({"after": ["must be a chunk number"]}, status=400)
    chunks = list(execution.output.filter(seq__gt=int(after)).order_by("seq")
                  .values("seq", "stream", "data")[:OUTPUT_BATCH])
    return JsonResponse({"chunks": chunks, "more": len(chunks) == OUTPUT_BATCH,
                         "stdout": execution.stdout if not chunks and after == "0" else "",
                         "stderr": execution.stderr if not chunks and after == "0" else ""})


def _act(request, pk: int, verb: str, call, done: str):
    execution = get_execution(request, pk)
    access.require(request.user, verb, "executions", pack=access.pack_of(execution.action_ref))
    try:
        call(execution)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("dashboard:execution", pk=execution.pk)


@require_POST
@page
def execution_cancel_view(request, pk: int):
    return _act(request, pk, "cancel", lambda e: execution_cancel(
        execution_id=e.pk, reason=f"canceled by {request.user}"), "Cancel requested.")


@require_POST
@page
def execution_pause_view(request, pk: int):
    return _act(request, pk, "cancel", lambda e: execution_pause(execution_id=e.pk), "Pause requested.")


@require_POST
@page
def execution_resume_view(request, pk: int):
    return _act(request, pk, "cancel", lambda e: execution_resume(execution_id=e.pk), "Resume requested.")


@page
def execution_rerun_view(request, pk: int):
    """Re-run with the parameters edited (secrets left empty keep their stored value)."""
    execution = get_execution(request, pk)
    access.require(request.user, "execute", "executions", pack=access.pack_of(execution.action_ref))
    if execution.action is None:
        raise Http404("the action no longer exists")
    schema = execution.action.parameters
    if request.method == "POST":
        form = RunForm(schema, request.POST, keep_secrets=True)
        parameters = form.typed_values()
        if parameters is not None:
            try:
                new = execution_rerun(execution_id=execution.pk, parameters=parameters, user=request.user)
            except InvalidInput as exc:
                form.add_invalid_input(exc)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("dashboard:execution", pk=new.pk)
    else:
        form = RunForm(schema, values=execution.parameters, keep_secrets=True)
    return render_page(request, "dashboard/executions/rerun.html", {"execution": execution, "form": form},
                       status=400 if request.method == "POST" else 200)

