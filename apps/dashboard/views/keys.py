"""Keys (only when the keys app is installed): names and scopes, values hidden;
users allowed to decrypt a key's pack may reveal its value."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from .. import access
from .base import page, render_page


def _models():
    try:
        from apps.keys import services
        from apps.keys.models import Key
    except ImportError:  # the keys app is not installed
        raise Http404("keys are not available") from None
    return Key, services


def visible(user):
    """Pack and system keys the roles allow, and the user's own user-scope keys."""
    Key, _ = _models()
    shared = access.restrict(Key.objects.live().exclude(scope_kind="user"), user, "keys")
    return (shared | Key.objects.live().filter(scope_kind="user", owner_id=user.pk)).distinct()


def _may_decrypt(user, key) -> bool:
    if key.scope_kind == "user":
        return key.owner_id == user.pk
    return access.can(user, "decrypt", "keys", pack=key.pack_ref or None)


@page
def key_list(request):
    keys = visible(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        keys = keys.filter(Q(name__icontains=q) | Q(scope__icontains=q))
    rows = [{"key": key, "may_decrypt": _may_decrypt(request.user, key)} for key in keys.order_by("scope", "name")[:500]]
    return render_page(request, "dashboard/keys/list.html", {"rows": rows, "q": q})


@require_POST
@page
def key_decrypt_view(request, pk: int):
    key = get_object_or_404(visible(request.user), pk=pk)
    if not _may_decrypt(request.user, key):
        raise PermissionDenied("not allowed to decrypt this key")
    _, services = _models()
    value = services.key_decrypt(key=key)
    access.audit(request, verb="decrypt", resource="keys", object_id=key.pk)
    return render_page(request, "dashboard/keys/value.html", {
        "key": key, "value": json.dumps(value, indent=2, default=str) if not isinstance(value, str) else value,
    })
