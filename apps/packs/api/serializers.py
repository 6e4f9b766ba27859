from rest_framework import serializers

from ..models import Pack, Runtime


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["id", "ref", "label", "description", "version", "author", "email", "conf_schema", "tags",
                  "system", "enabled", "path", "created_at", "updated_at"]


class RuntimeSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Runtime
        fields = ["id", "ref", "pack", "name", "description", "aliases", "queue", "interpreter", "created_at",
                  "updated_at"]
