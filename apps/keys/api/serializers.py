from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Key


class KeySerializer(serializers.ModelSerializer):
    """A key as the API shows it: an encrypted value is never shown (null)."""

    value = serializers.SerializerMethodField()

    class Meta:
        model = Key
        fields = ["id", "name", "scope", "value", "encrypted", "expires_at", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.ANY)
    def get_value(self, key: Key):
        return None if key.encrypted else key.value


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    scope = serializers.CharField(max_length=200, default="system")
    value = serializers.JSONField()
    encrypted = serializers.BooleanField(default=False)
    ttl = serializers.IntegerField(min_value=1, allow_null=True, required=False, default=None)


class KeyUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    scope = serializers.CharField(max_length=200, required=False)
    value = serializers.JSONField(required=False)
    encrypted = serializers.BooleanField(required=False)
    ttl = serializers.IntegerField(min_value=1, allow_null=True, required=False)

    def validate(self, attrs):
        key: Key = self.context["key"]
        for field in ("name", "scope"):
            if field in attrs and attrs[field] != getattr(key, field):
                raise serializers.ValidationError({field: "cannot be changed; create a new key instead"})
        return attrs


class KeyValueSerializer(serializers.Serializer):
    value = serializers.JSONField()
