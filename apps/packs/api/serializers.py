from rest_framework import serializers

from ..models import Pack, Runtime


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["id", "ref", "label", "description", "version", "author", "email", "conf_schema", "tags",
                  "system", "enabled", "path", "created_at", "updated_at"]


class PackRegisterSerializer(serializers.Serializer):
    path = serializers.CharField(required=False, help_text="a pack directory inside a scanned directory")
    ref = serializers.CharField(required=False, help_text="an installed or scanned pack, by ref")


class PackUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the pack as a gzip-compressed tar archive")


class LoadErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    field = serializers.CharField()
    reason = serializers.CharField()


class RegisteredSerializer(serializers.Serializer):
    ref = serializers.CharField()
    path = serializers.CharField()


class RegisterFailureSerializer(serializers.Serializer):
    path = serializers.CharField()
    errors = LoadErrorSerializer(many=True)


class RegisterReportSerializer(serializers.Serializer):
    registered = RegisteredSerializer(many=True)
    errors = RegisterFailureSerializer(many=True)


class RuntimeSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Runtime
        fields = ["id", "ref", "pack", "name", "description", "aliases", "queue", "interpreter", "created_at",
                  "updated_at"]
