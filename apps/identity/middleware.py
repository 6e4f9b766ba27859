"""Every mutating API call (POST, PUT, PATCH, DELETE under /api/v1/) leaves an audit
event, whether it succeeded or was refused. It runs after the response, so it sees the
user DRF authenticated (DRF sets it on the underlying request too) and the outcome."""

from __future__ import annotations

import logging
from typing import Any

from .permissions import view_resource, view_verb
from .services import audit_record, audit_recorded

log = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"


def outcome_of(status_code: int) -> str:
    if status_code < 400:
        return "success"
    if status_code in (401, 403):
        return "denied"
    return "failure" if status_code < 500 else "error"


def source_of(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in MUTATING or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        recorded: list[tuple[str, str]] = []
        token = audit_recorded.set(recorded)
        try:
            response = self.get_response(request)
        finally:
            audit_recorded.reset(token)
        try:
            self._record(request, response, recorded)
        except Exception:  # noqa: BLE001 - the audit never breaks the answer
            log.exception("could not audit %s %s", request.method, request.path)
        return response

    def _record(self, request, response, recorded: list[tuple[str, str]]) -> None:
        match = getattr(request, "resolver_match", None)
        func = match.func if match else None
        cls = getattr(func, "cls", None)
        if cls is not None and getattr(cls, "audit_self", False):
            return  # login, refresh and logout record their own, clearer, events
        action = (getattr(func, "actions", None) or {}).get(request.method.lower())
        verb = view_verb(cls, request.method, action) if cls else request.method.lower()
        object_type = (view_resource(cls) if cls else "") or ""
        if (verb, object_type) in recorded:
            return  # the view recorded this act itself (e.g. a decrypt)
        audit_record(
            actor=getattr(request, "user", None),
            verb=verb,
            object_type=object_type,
            object_id=self._object_id(cls, match, response),
            source=source_of(request),
            outcome=outcome_of(response.status_code),
            status_code=response.status_code,
            method=request.method,
            path=request.path,
        )

    def _object_id(self, cls: Any, match: Any, response) -> str:
        kwargs = match.kwargs if match else {}
        if kwargs:
            name = getattr(cls, "lookup_url_kwarg", None) or getattr(cls, "lookup_field", None)
            value = kwargs.get(name) if name else None
            return str(value if value is not None else next(iter(kwargs.values())))
        # A create answers with the new object: its id or ref, nothing else of it.
        data = getattr(response, "data", None)
        if isinstance(data, dict) and 200 <= response.status_code < 300:
            for key in ("id", "ref", "event_id", "name"):
                if isinstance(data.get(key), (int, str)):
                    return str(data[key])
        return ""
