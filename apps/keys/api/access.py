"""Who may do what with keys: the project's authoriser (apps.identity.authz) when it
is installed; until then a stand-in that lets staff do anything and others read
non-secret metadata only. The stand-in goes once the authoriser is merged."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

try:  # pragma: no cover - which branch runs depends on the merge
    from apps.identity import authz
except ImportError:  # pragma: no cover
    authz = None  # type: ignore[assignment]

try:  # pragma: no cover
    from apps.identity.services import audit_record
except ImportError:  # pragma: no cover
    audit_record = None  # type: ignore[assignment]

RESOURCE = "keys"


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_staff", False))


def can(user: Any, verb: str, pack: str | None = None) -> bool:
    if authz is not None:
        return authz.can(user, verb, RESOURCE, pack=pack)
    return _staff(user) or verb == "read"


def require(user: Any, verb: str, pack: str | None = None) -> None:
    if authz is not None:
        authz.require(user, verb, RESOURCE, pack=pack)
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not can(user, verb, pack):
        raise PermissionDenied(f"you may not {verb} keys" + (f" in pack {pack!r}" if pack else ""))


def restrict(queryset: QuerySet, user: Any, verb: str = "read") -> QuerySet:
    if authz is not None:
        return authz.restrict(queryset, user, verb, RESOURCE)
    return queryset


def is_admin(user: Any) -> bool:
    if authz is not None and hasattr(authz, "is_admin"):
        return authz.is_admin(user)
    return bool(getattr(user, "is_superuser", False))


def audit(request: Any, *, verb: str, key: Any) -> None:
    """Record the act (never the value) when the audit log exists."""
    if audit_record is None:
        return
    audit_record(actor=request.user, verb=verb, object_type=RESOURCE, object_id=key.pk,
                 source=request.META.get("REMOTE_ADDR", ""), method=request.method, path=request.path,
                 status_code=200)
