import django_filters

from apps.core.api.filters import SearchFilterSet

from ..models import Enforcement, Event, Rule, Sensor, Trigger


class TriggerFilter(SearchFilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")
    search_fields = ("ref", "label", "description")

    class Meta:
        model = Trigger
        fields = ["pack", "webhook", "enabled", "source"]


class SensorFilter(SearchFilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")
    trigger = django_filters.CharFilter(field_name="trigger_types", lookup_expr="icontains",
                                        help_text="sensors that fire this trigger")
    search_fields = ("ref", "label", "description")

    class Meta:
        model = Sensor
        fields = ["pack", "runner_type", "enabled"]


class RuleFilter(SearchFilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    action = django_filters.CharFilter(field_name="action_ref")
    search_fields = ("ref", "label", "description", "trigger_ref", "action_ref")

    class Meta:
        model = Rule
        fields = ["pack", "trigger", "action", "enabled", "source"]


class EventFilter(SearchFilterSet):
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search_fields = ("trigger_ref", "source")

    class Meta:
        model = Event
        fields = ["trigger", "status", "source"]


class EnforcementFilter(SearchFilterSet):
    rule = django_filters.CharFilter(field_name="rule_ref")
    search_fields = ("rule_ref", "error")

    class Meta:
        model = Enforcement
        fields = ["rule", "event", "execution", "status"]
