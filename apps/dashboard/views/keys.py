"""Keys: names and scopes, values hidden; users allowed to decrypt a key (in its
pack; in every pack for a system key; its owner for a user key) may reveal its value."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from apps.keys import services
from apps.keys.selectors import key_permitted, keys_visible

from .. import access
from .base import page, render_page


def visible(user):
    return keys_visible(user=user).select_related("owner")


def _may_decrypt(user, key) -> bool:
    return key_permitted(user=user, verb="decrypt", key=key)


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
    value = services.key_decrypt(key=key)
    access.audit(request, verb="decrypt", resource="keys", object_id=key.pk)
    return render_page(request, "dashboard/keys/value.html", {
        "key": key, "value": json.dumps(value, indent=2, default=str) if not isinstance(value, str) else value,
    })
