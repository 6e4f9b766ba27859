from __future__ import annotations

from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from apps.identity.tokens import ScopedPrincipal

from .. import services
from ..choices import ScopeKind
from ..models import Key
from ..selectors import key_permitted, keys_visible, scope_permitted
from .access import audit
from .filters import KeyFilter
from .serializers import KeyCreateSerializer, KeySerializer, KeyUpdateSerializer, KeyValueSerializer

# The kind of execution tokens (ATTUNE_API_TOKEN), issued by apps.executions, which
# this lower layer may not import: the prefix is part of the token format.
EXECUTION_TOKEN_KIND = "atx"


def token_pack(principal: ScopedPrincipal) -> str:
    """The pack of the action an execution token runs for."""
    return str(principal.scope.get("action", "")).split(".", 1)[0]


class KeyViewSet(viewsets.ModelViewSet):
    queryset = Key.objects.live().select_related("owner")
    serializer_class = KeySerializer
    filterset_class = KeyFilter
    # The queryset is restricted in get_queryset (user-scope keys are their owner's,
    # whatever a role says), so the generic RBAC filter is not applied on top.
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name", "scope", "created_at", "updated_at"]
    rbac_resource = "keys"
    # An execution's token reads system keys and its own pack's keys while it runs.
    scoped_token_kinds = (EXECUTION_TOKEN_KIND,)

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if isinstance(user, ScopedPrincipal):
            pack = token_pack(user)
            return queryset.filter(Q(scope_kind=ScopeKind.SYSTEM) | Q(scope_kind=ScopeKind.PACK, pack_ref=pack))
        return keys_visible(user=user, queryset=queryset)

    def check_permissions(self, request):
        super().check_permissions(request)
        if isinstance(request.user, ScopedPrincipal) and self.action not in ("list", "retrieve", "decrypt"):
            self.permission_denied(request, message="an execution token may only read its pack's keys")

    def _require(self, verb: str, key: Key) -> None:
        if not key_permitted(user=self.request.user, verb=verb, key=key):
            raise PermissionDenied(f"you may not {verb} this key")

    @extend_schema(request=KeyCreateSerializer, responses={201: KeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = KeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        parsed = services.scope_parse(data["scope"], user=request.user)
        if not scope_permitted(user=request.user, kind=parsed.kind, pack_ref=parsed.pack_ref,
                               owner_id=parsed.owner.pk if parsed.owner else None):
            raise PermissionDenied(f"you may not create keys in scope {parsed.text}")
        key = services.key_create(name=data["name"], scope=data["scope"], value=data["value"],
                                  encrypted=data["encrypted"], ttl=data["ttl"], user=request.user)
        return Response(KeySerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KeyUpdateSerializer, responses={200: KeySerializer})
    def update(self, request, *args, **kwargs):
        key = self.get_object()
        self._require("update", key)
        serializer = KeyUpdateSerializer(data=request.data, context={"key": key},
                                         partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = {name: serializer.validated_data[name] for name in ("value", "encrypted", "ttl")
                   if name in serializer.validated_data}
        key = services.key_update(key=key, **changes)
        return Response(KeySerializer(key).data)

    def destroy(self, request, *args, **kwargs):
        key = self.get_object()
        self._require("delete", key)
        services.key_delete(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: KeyValueSerializer})
    @action(detail=True, methods=["post"])
    def decrypt(self, request, *args, **kwargs):
        key = self.get_object()
        if isinstance(request.user, ScopedPrincipal):
            if key.scope_kind != ScopeKind.PACK or key.pack_ref != token_pack(request.user):
                raise PermissionDenied("an execution token decrypts only its own pack's keys")
        else:
            self._require("decrypt", key)
        value = services.key_decrypt(key=key)
        audit(request, verb="decrypt", key=key)
        return Response({"value": value})
