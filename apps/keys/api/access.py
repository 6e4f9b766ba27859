"""Keys through the one authoriser (apps.identity.authz), and the audit record of a
decrypt (the act, never the value)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.identity import authz
from apps.identity.services import audit_record

RESOURCE = "keys"


def can(user: Any, verb: str, pack: str | None = None) -> bool:
    return authz.can(user, verb, RESOURCE, pack=pack)


def require(user: Any, verb: str, pack: str | None = None) -> None:
    authz.require(user, verb, RESOURCE, pack=pack)


def require_global(user: Any, verb: str) -> None:
    authz.require_global(user, verb, RESOURCE)


def restrict(queryset: QuerySet, user: Any, verb: str = "read") -> QuerySet:
    return authz.restrict(queryset, user, verb, RESOURCE)


def is_admin(user: Any) -> bool:
    return authz.is_admin(user)


def audit(request: Any, *, verb: str, key: Any) -> None:
    audit_record(actor=request.user, verb=verb, object_type=RESOURCE, object_id=key.pk,
                 source=request.META.get("REMOTE_ADDR", ""), method=request.method, path=request.path,
                 status_code=200)
