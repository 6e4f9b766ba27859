from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..models import ApiKey, AuditEvent, Role
from ..selectors import user_role_names

User = get_user_model()


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()


class WhoamiSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "is_superuser", "roles"]

    def get_roles(self, user) -> list[str]:
        return user_role_names(user=user)


class LoginAnswerSerializer(TokenPairSerializer):
    user = WhoamiSerializer()


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, allow_blank=False,
                                     style={"input_type": "password"}, trim_whitespace=False)
    roles = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, source="attune_roles", queryset=Role.objects.all()
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "is_superuser",
                  "date_joined", "last_login", "roles", "password"]
        read_only_fields = ["date_joined", "last_login"]
        # Uniqueness is the service's to check (409, not 400).
        extra_kwargs = {"username": {"validators": []}}


class RoleSerializer(serializers.ModelSerializer):
    grants = serializers.ListField(child=serializers.JSONField(), required=False)
    packs = serializers.ListField(child=serializers.CharField(), required=False)
    users = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Role
        fields = ["id", "name", "description", "builtin", "grants", "packs", "users", "created_at"]
        read_only_fields = ["builtin", "created_at"]
        extra_kwargs = {"name": {"validators": []}}


class ApiKeySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False,
                                        help_text="another user's username (admins only)")


class ApiKeyCreatedSerializer(ApiKeySerializer):
    token = serializers.CharField(read_only=True, help_text="shown once, never again")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "token"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "actor_id", "verb", "object_type", "object_id", "method", "path",
                  "status_code", "outcome", "source"]
        read_only_fields = fields
