"""Packs: the list, a pack's contents, and registering (from the pack directories)
or uploading (a tar.gz) a pack, for users who may manage packs."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from apps.automation.models import Rule, Trigger
from apps.core.errors import DomainError
from apps.executions.models import Action
from apps.packs import services as pack_services
from apps.packs.models import Pack

from .. import access
from .base import page, render_page


def visible(user):
    return access.restrict(Pack.objects.all(), user, "packs")


@page
def pack_list(request):
    return render_page(request, "dashboard/packs/list.html", {
        "packs": visible(request.user).order_by("ref"),
        "may_manage": access.can(request.user, "manage", "packs"),
        "pack_dirs": [str(path) for path in pack_services.pack_dirs()],
    })


@page
def pack_detail(request, ref: str):
    pack = get_object_or_404(visible(request.user), ref=ref)
    return render_page(request, "dashboard/packs/detail.html", {
        "pack": pack,
        "actions": Action.objects.filter(pack=pack).order_by("ref"),
        "triggers": Trigger.objects.filter(pack=pack).order_by("ref"),
        "rules": Rule.objects.filter(pack=pack).order_by("ref"),
        "runtimes": pack.runtimes.order_by("name"),
    })


@require_POST
@page
def pack_register_view(request):
    """Register one of the pack directories (`path`), or all of them when empty.
    Only the platform's pack directories are offered: not any path on the server."""
    access.require(request.user, "manage", "packs")
    path = request.POST.get("path", "").strip()
    if path and path not in {str(p) for p in pack_services.pack_dirs()}:
        messages.error(request, f"path: {path!r} is not one of the pack directories")
        return redirect("dashboard:packs")
    try:
        if path:
            pack = pack_services.pack_register(path=path)
            messages.success(request, f"Pack {pack.ref} registered.")
        else:
            outcomes = pack_services.packs_register_all()
            messages.success(request, f"{len(outcomes)} pack director{'y' if len(outcomes) == 1 else 'ies'} "
                                      "registered.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("dashboard:packs")


@require_POST
@page
def pack_upload_view(request):
    access.require(request.user, "manage", "packs")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "file: choose a .tar.gz pack archive")
    else:
        try:
            pack = pack_services.pack_upload(file=upload)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Pack {pack.ref} uploaded and registered.")
            return redirect("dashboard:pack", ref=pack.ref)
    return redirect("dashboard:packs")
