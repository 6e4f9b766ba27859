from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.api.pagination import NewestFirstCursorPagination

from .. import authz, services
from ..middleware import source_of
from ..models import ApiKey, AuditEvent, Role
from ..permissions import IsAuthenticatedUser
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    AuditEventSerializer,
    LoginAnswerSerializer,
    LoginSerializer,
    RefreshSerializer,
    RoleSerializer,
    TokenPairSerializer,
    UserSerializer,
    WhoamiSerializer,
)

User = get_user_model()


def _expiry(token) -> datetime:
    return datetime.fromtimestamp(token["exp"], tz=UTC)


def _pair(refresh: RefreshToken) -> dict:
    access = refresh.access_token
    return {"access": str(access), "refresh": str(refresh),
            "access_expires_at": _expiry(access), "refresh_expires_at": _expiry(refresh)}


def _unauthorized(detail: str) -> Response:
    return Response({"detail": detail, "errors": []}, status=status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": "Bearer"})


class OpenAuthView(APIView):
    """Login, refresh and logout: open by design (the body carries the credential), and
    they record their own audit events."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    audit_self = True

    def get_authenticate_header(self, request) -> str:
        return "Bearer"


class LoginRateThrottle(SimpleRateThrottle):
    """Password guessing is slowed per source address (ATTUNE_LOGIN_RATE, e.g. 20/min)."""

    scope = "login"

    def get_rate(self) -> str:
        return settings.ATTUNE_LOGIN_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginView(OpenAuthView):
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=LoginSerializer, responses={200: LoginAnswerSerializer})
    def post(self, request):
        """Exchange a username and password for a JWT access token (1 h) and refresh
        token (7 d)."""
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        user = authenticate(request, username=username, password=serializer.validated_data["password"])
        if user is None:
            services.audit_record(actor=None, actor_label=username, verb="login", object_type="users",
                                  source=source_of(request), outcome="failure", status_code=401,
                                  method="POST", path=request.path)
            return _unauthorized("invalid username or password")
        refresh = RefreshToken.for_user(user)
        User.objects.filter(pk=user.pk).update(last_login=refresh.current_time)
        services.audit_record(actor=user, verb="login", object_type="users", object_id=user.pk,
                              source=source_of(request), status_code=200, method="POST", path=request.path)
        return Response({**_pair(refresh), "user": WhoamiSerializer(user).data})


class RefreshView(OpenAuthView):
    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        """A new access token and a new refresh token; the old refresh token is revoked."""
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            old = RefreshToken(serializer.validated_data["refresh"])
        except TokenError:
            return self._refused(request, "invalid, expired or revoked refresh token")
        user = User.objects.filter(pk=old.payload.get("user_id"), is_active=True).first()
        if user is None:
            return self._refused(request, "the refresh token's user is gone or inactive")
        # Two refreshes racing with one token: only the one that revokes it wins.
        _, revoked_now = old.blacklist()
        if not revoked_now:
            return self._refused(request, "invalid, expired or revoked refresh token")
        services.audit_record(actor=user, verb="refresh", object_type="users", object_id=user.pk,
                              source=source_of(request), status_code=200, method="POST", path=request.path)
        return Response(_pair(RefreshToken.for_user(user)))

    def _refused(self, request, detail: str) -> Response:
        services.audit_record(actor=None, verb="refresh", object_type="users", source=source_of(request),
                              outcome="denied", status_code=401, method="POST", path=request.path)
        return _unauthorized(detail)


class LogoutView(OpenAuthView):
    @extend_schema(request=RefreshSerializer, responses={204: None})
    def post(self, request):
        """Revoke a refresh token (access tokens already issued run out within the hour)."""
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
            token.blacklist()
        except TokenError:
            return _unauthorized("invalid, expired or revoked refresh token")
        user = User.objects.filter(pk=token.payload.get("user_id")).first()
        services.audit_record(actor=user, verb="logout", object_type="users", object_id=getattr(user, "pk", ""),
                              source=source_of(request), status_code=204, method="POST", path=request.path)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WhoamiView(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(responses={200: WhoamiSerializer})
    def get(self, request):
        return Response(WhoamiSerializer(request.user).data)


class UserViewSet(viewsets.ModelViewSet):
    """Users (admins): `password` is write-only, `roles` a list of role names."""

    queryset = User.objects.prefetch_related(Prefetch("attune_roles", queryset=Role.objects.only("name")))
    serializer_class = UserSerializer
    rbac_resource = "users"
    filterset_fields = ["username", "is_active", "is_superuser"]
    ordering_fields = ["id", "username", "date_joined"]
    ordering = ["id"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        roles = data.pop("attune_roles", None)
        serializer.instance = services.user_create(roles=roles, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        roles = data.pop("attune_roles", None)
        serializer.instance = services.user_update(user=serializer.instance, roles=roles, **data)

    def perform_destroy(self, instance):
        if instance.pk == self.request.user.pk:
            raise PermissionDenied("you cannot delete yourself")
        instance.delete()


class RoleViewSet(viewsets.ModelViewSet):
    """Roles: `grants` are `[verb, resource]` pairs, `packs` limits them (empty: all
    packs). The built-in roles can be neither changed nor deleted (409)."""

    queryset = Role.objects.prefetch_related("users")
    serializer_class = RoleSerializer
    rbac_resource = "roles"
    filterset_fields = ["name", "builtin"]

    def perform_create(self, serializer):
        serializer.instance = services.role_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.role_update(role=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.role_delete(role=instance)


class ApiKeyViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """API keys: everyone sees their own, admins (`manage api_keys`) everyone's. The
    token is in the create answer only. DELETE (or POST …/revoke/) revokes."""

    queryset = ApiKey.objects.select_related("user")
    serializer_class = ApiKeySerializer
    rbac_resource = "api_keys"
    filterset_fields = ["name", "prefix"]
    ordering_fields = ["id", "created_at", "last_used_at"]
    # Whose keys a user sees is decided here (own or all), not by pack.
    filter_backends = [DjangoFilterBackend, OrderingFilter]

    def get_queryset(self):
        queryset = super().get_queryset()
        if authz.can(self.request.user, "manage", "api_keys"):
            return queryset
        return queryset.filter(user_id=self.request.user.pk)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = serializer.validated_data.get("user") or request.user
        if owner.pk != request.user.pk:
            authz.require(request.user, "manage", "api_keys")
        key, token = services.api_key_create(user=owner, name=serializer.validated_data["name"],
                                             expires_at=serializer.validated_data.get("expires_at"))
        return Response({**ApiKeySerializer(key).data, "token": token}, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_key_revoke(key=instance)

    @extend_schema(request=None, responses={200: ApiKeySerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return Response(ApiKeySerializer(services.api_key_revoke(key=self.get_object())).data)


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name")
    actor_id = django_filters.NumberFilter()
    verb = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    outcome = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log, newest first (cursor pagination: follow `next`)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    rbac_resource = "audit_events"
    filterset_class = AuditEventFilter
    pagination_class = NewestFirstCursorPagination
    ordering_fields: list[str] = []
