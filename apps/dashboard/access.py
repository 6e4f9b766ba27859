"""Every authorisation question the dashboard asks, in one place.

The answers come from the platform's one authoriser, `apps.identity.authz`
(`can(user, verb, resource, pack=None)`, `restrict(queryset, user, verb, resource)`),
the same one the REST API and the WebSocket use. Until that module exists the
fallback below applies: superusers may do everything, other signed-in users may read.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

try:
    from apps.identity import authz as _authz
except ImportError:  # TEMPORARY until the authoriser is merged (then this fallback goes)
    _authz = None


def can(user, verb: str, resource: str, pack: str | None = None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if _authz is not None:
        return bool(_authz.can(user, verb, resource, pack=pack))
    return bool(user.is_superuser) or verb == "read"


def restrict(queryset: QuerySet, user, resource: str, verb: str = "read") -> QuerySet:
    """The rows of `queryset` the user may `verb`: those of the packs their roles cover."""
    if _authz is not None:
        return _authz.restrict(queryset, user, verb, resource)
    return queryset if can(user, verb, resource) else queryset.none()


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
    """Record a sensitive act (a key decrypted) in the audit log, when it exists;
    never the value."""
    try:
        from apps.identity.services import audit_record
    except ImportError:  # the audit log arrives with the authoriser
        return
    audit_record(actor=request.user, verb=verb, object_type=resource, object_id=object_id,
                 source=request.META.get("REMOTE_ADDR", ""), method=request.method, path=request.path,
                 status_code=200)
