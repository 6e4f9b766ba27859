"""Writes through services for the pack-content viewsets (actions, triggers, rules):
an input serializer checks the shape, `authz.require` the user's right in the pack,
one service does the rest; the answer is the read serializer. PATCH changes some
fields (PUT, a full replacement, is not offered: definitions have many optional
fields whose defaults would silently come back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import status
from rest_framework.response import Response

from apps.identity import authz

from ..services import pack_content_ref


class ServiceWritesMixin:
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    rbac_resource: str = ""
    write_serializer_class: Any = None
    kind: str = ""
    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    delete_service: Callable[..., Any] | None = None

    def _input(self, request, *, partial: bool) -> dict[str, Any]:
        serializer = self.write_serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request, *args, **kwargs):
        data = self._input(request, partial=False)
        pack, _ref = pack_content_ref(data=data, kind=self.kind)
        authz.require(request.user, "create", self.rbac_resource, pack=pack.ref)
        obj = type(self).create_service(data=data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        authz.require(request.user, "update", self.rbac_resource, pack=obj.pack.ref)
        data = self._input(request, partial=True)
        obj = type(self).update_service(ref=obj.ref, data=data)
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        authz.require(request.user, "delete", self.rbac_resource, pack=obj.pack.ref)
        type(self).delete_service(ref=obj.ref)
        return Response(status=status.HTTP_204_NO_CONTENT)
