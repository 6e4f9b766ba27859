"""Who sees and may act on which keys: one answer for the API and the dashboard.

Shared keys (system, pack) follow the roles (apps.identity.authz): a pack key by its
pack, a system key, read by every pack's templates, only with a grant for every pack.
A user-scope key is its owner's: others never read its value, admins see that it
exists and may change or delete it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.identity import authz

from .choices import ScopeKind
from .models import Key

RESOURCE = "keys"


def keys_visible(*, user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The live keys `user` may list: shared ones their roles cover, their own, and
    for admins every key (values stay hidden)."""
    queryset = queryset if queryset is not None else Key.objects.live()
    if authz.is_admin(user):
        return queryset
    own = queryset.filter(scope_kind=ScopeKind.USER, owner_id=user.pk)
    shared = authz.restrict(queryset.exclude(scope_kind=ScopeKind.USER), user, "read", RESOURCE)
    return shared | own


def key_permitted(*, user: Any, verb: str, key: Key) -> bool:
    """May `user` `verb` (update, delete, decrypt) this key?"""
    if key.scope_kind == ScopeKind.USER:
        if key.owner_id == user.pk:
            return True
        return verb != "decrypt" and authz.is_admin(user)
    if key.scope_kind == ScopeKind.SYSTEM:
        return authz.can_global(user, verb, RESOURCE)
    return authz.can(user, verb, RESOURCE, pack=key.pack_ref)


def scope_permitted(*, user: Any, kind: str, pack_ref: str | None = None, owner_id: int | None = None) -> bool:
    """May `user` create a key in this scope?"""
    if kind == ScopeKind.USER:
        return owner_id == user.pk or authz.is_admin(user)
    if kind == ScopeKind.SYSTEM:
        return authz.can_global(user, "create", RESOURCE)
    return authz.can(user, "create", RESOURCE, pack=pack_ref)
