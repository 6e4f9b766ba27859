from rest_framework import serializers

from apps.core import schemas

from ..models import Enforcement, Event, Rule, Sensor, Trigger


class TriggerSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Trigger
        fields = ["id", "ref", "pack", "name", "label", "description", "parameters", "payload_schema", "webhook",
                  "enabled", "source", "created_at", "updated_at"]


class SensorSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Sensor
        fields = ["id", "ref", "pack", "name", "label", "description", "runner_type", "entry_point",
                  "trigger_types", "parameters", "enabled", "metadata_file", "created_at", "updated_at"]


class TriggerWriteSerializer(serializers.Serializer):
    """The shape of a trigger create or change; the service checks the meaning."""

    ref = serializers.CharField(required=False, help_text="<pack>.<name>; or give pack and name")
    pack = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    label = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    parameters = serializers.JSONField(required=False, help_text="the flat schema of its parameters")
    payload_schema = serializers.JSONField(required=False)
    webhook = serializers.BooleanField(required=False)
    enabled = serializers.BooleanField(required=False)


class RuleSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    trigger = serializers.CharField(source="trigger_ref")
    action = serializers.CharField(source="action_ref")

    class Meta:
        model = Rule
        fields = ["id", "ref", "pack", "name", "label", "description", "enabled", "trigger", "trigger_params",
                  "criteria", "conditions", "action", "action_params", "source", "created_at", "updated_at"]

    def to_representation(self, rule: Rule) -> dict:
        # A literal value given for a secret parameter is shown masked; sending the
        # mask back in a change keeps the stored value (rule_update).
        data = super().to_representation(rule)
        if rule.action is not None and data.get("action_params"):
            data["action_params"] = schemas.mask(data["action_params"], schemas.secret_names(rule.action.parameters))
        return data


class RuleWriteSerializer(serializers.Serializer):
    """The shape of a rule create or change; the service checks the meaning."""

    ref = serializers.CharField(required=False, help_text="<pack>.<name>; or give pack and name")
    pack = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    label = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    trigger = serializers.CharField(required=False, help_text="the trigger's ref")
    trigger_params = serializers.JSONField(required=False)
    criteria = serializers.JSONField(required=False)
    conditions = serializers.JSONField(required=False)
    action = serializers.CharField(required=False, help_text="the action's ref")
    action_params = serializers.JSONField(required=False)


class EventSerializer(serializers.ModelSerializer):
    trigger = serializers.CharField(source="trigger_ref")

    class Meta:
        model = Event
        fields = ["id", "trigger", "payload", "source", "status", "rule_errors", "created_at", "processed_at"]


class EventCreateSerializer(serializers.Serializer):
    trigger = serializers.CharField()
    payload = serializers.JSONField(required=False, default=dict)


class EnforcementSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule_ref")
    event = serializers.PrimaryKeyRelatedField(read_only=True)
    execution = serializers.PrimaryKeyRelatedField(read_only=True)
    trigger = serializers.CharField(source="event.trigger_ref", read_only=True)

    class Meta:
        model = Enforcement
        fields = ["id", "rule", "event", "trigger", "execution", "status", "action_params", "error", "created_at"]


class WebhookAcceptedSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    status = serializers.CharField()
