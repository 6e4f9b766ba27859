from rest_framework import serializers

from ..models import Enforcement, Event, Rule, Trigger


class TriggerSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Trigger
        fields = ["id", "ref", "pack", "name", "label", "description", "parameters", "payload_schema", "webhook",
                  "enabled", "created_at", "updated_at"]


class RuleSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    trigger = serializers.CharField(source="trigger_ref")
    action = serializers.CharField(source="action_ref")

    class Meta:
        model = Rule
        fields = ["id", "ref", "pack", "name", "label", "description", "enabled", "trigger", "trigger_params",
                  "criteria", "conditions", "action", "action_params", "source", "created_at", "updated_at"]


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
