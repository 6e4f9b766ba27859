from rest_framework import serializers

from ..models import Pack


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["id", "ref", "label", "description", "version", "author", "email", "conf_schema", "tags",
                  "system", "enabled", "path", "created_at", "updated_at"]
