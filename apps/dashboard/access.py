"""Every authorisation question the dashboard asks, in one place. The answers come
from the platform's one authoriser, `apps.identity.authz`, the same one the REST API
and the WebSocket use; this module adapts it to views (Django's PermissionDenied, a
signed-in session user)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from apps.identity import authz as _authz
from apps.identity.services import audit_record


def can(user, verb: str, resource: str, pack: str | None = None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(_authz.can(user, verb, resource, pack=pack))


def restrict(queryset: QuerySet, user, resource: str, verb: str = "read") -> QuerySet:
    """The rows of `queryset` the user may `verb`: those of the packs their roles cover."""
    return _authz.restrict(queryset, user, verb, resource)


def require(user, verb: str, resource: str, pack: str | None = None) -> None:
    """Raise PermissionDenied (HTTP 403) unless the user may."""
    if not can(user, verb, resource, pack=pack):
        raise PermissionDenied(f"not allowed to {verb} {resource}")


def pack_of(ref: str | None) -> str | None:
    """The pack of a `pack.name` reference."""
    if not ref or "." not in ref:
        return None
    return ref.split(".", 1)[0]


def audit(request, *, verb: str, resource: str, object_id) -> None:
    """Record a sensitive act (a key decrypted) in the audit log; never the value."""
    audit_record(actor=request.user, verb=verb, object_type=resource, object_id=object_id,
                 source=request.META.get("REMOTE_ADDR", ""), method=request.method, path=request.path,
                 status_code=200)
