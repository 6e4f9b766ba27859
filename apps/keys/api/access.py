"""The audit record of a decrypt through the API (the act, never the value)."""

from __future__ import annotations

from typing import Any

from apps.identity.services import audit_record

from ..selectors import RESOURCE


def audit(request: Any, *, verb: str, key: Any) -> None:
    audit_record(actor=request.user, verb=verb, object_type=RESOURCE, object_id=key.pk,
                 source=request.META.get("REMOTE_ADDR", ""), method=request.method, path=request.path,
                 status_code=200)
