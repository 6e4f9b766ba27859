"""The default filter backend (first of all): lists and details show only the rows of
the packs the user may read, so another pack's object is a 404, not a 403."""

from __future__ import annotations

from . import authz
from .permissions import is_public, view_resource


class RbacFilterBackend:
    def filter_queryset(self, request, queryset, view):
        if is_public(view):
            return queryset
        return authz.restrict(queryset, request.user, "read", resource=view_resource(view))

    # drf-spectacular asks filter backends for their query parameters: none here.
    def get_schema_operation_parameters(self, view) -> list:
        return []
