"""One error shape for the whole API: `{"detail": …, "errors": [{"field", "reason"}]}`."""

from __future__ import annotations

from typing import Any

from django.db import DataError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import DomainError, InvalidInput


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            out.extend(_flatten(value, f"{prefix}.{index}" if nested and prefix else prefix))
        return out
    return [{"field": prefix, "reason": str(detail)}]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidInput):
        body = {"detail": str(exc), "errors": [{"field": exc.field, "reason": exc.reason}]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc), "errors": []}, status=exc.status_code)
    if isinstance(exc, (OverflowError, DataError)):
        # A number too big for its column, in a filter or a body, that no serializer
        # bounded: the database refuses it, and that is the client's error.
        return Response({"detail": "a value is out of range", "errors": [{"field": "", "reason": "out of range"}]},
                        status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else {"field": "", "reason": "invalid input"}
        detail = f"{first['field']}: {first['reason']}" if first["field"] else first["reason"]
        response.data = {"detail": detail, "errors": errors}
    return response
