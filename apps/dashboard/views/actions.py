"""The action catalogue and an action's page with its run form."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect

from apps.core import schemas
from apps.core.errors import DomainError, InvalidInput
from apps.executions.models import Action, Execution
from apps.executions.services.requests import execution_request

from .. import access
from ..forms import RunForm
from .base import page, render_page


def visible(user):
    return access.restrict(Action.objects.select_related("pack"), user, "actions")


@page
def action_list(request):
    q = request.GET.get("q", "").strip()
    actions = visible(request.user).order_by("ref")
    if q:
        actions = actions.filter(Q(ref__icontains=q) | Q(description__icontains=q) | Q(label__icontains=q))
    return render_page(request, "dashboard/actions/list.html", {"actions": actions[:500], "q": q})


@page
def action_detail(request, ref: str):
    """GET: the action and its run form. POST: validate on the server with the
    platform's own schema check and execution service, then open the new execution."""
    action = get_object_or_404(visible(request.user), ref=ref)
    may_run = action.enabled and access.can(request.user, "execute", "executions", pack=action.pack.ref)
    status = 200
    if request.method == "POST":
        access.require(request.user, "execute", "executions", pack=action.pack.ref)
        form = RunForm(action.parameters, request.POST)
        parameters = form.parameters()
        if parameters is not None:
            try:
                execution = execution_request(action=action, parameters=parameters, user=request.user)
            except InvalidInput as exc:
                form.add_invalid_input(exc)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("dashboard:execution", pk=execution.pk)
        status = 400
    else:
        form = RunForm(action.parameters)
    recent = access.restrict(Execution.objects.filter(action_ref=action.ref), request.user,
                             "executions").order_by("-id")[:10]
    return render_page(request, "dashboard/actions/detail.html", {
        "action": action, "form": form, "may_run": may_run, "recent": recent,
        "schema": sorted(schemas.properties_of(action.parameters).items()),
    }, status=status)
