import django_filters

from ..models import Enforcement, Event, Rule, Trigger


class TriggerFilter(django_filters.FilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")

    class Meta:
        model = Trigger
        fields = ["pack", "webhook", "enabled"]


class RuleFilter(django_filters.FilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    action = django_filters.CharFilter(field_name="action_ref")

    class Meta:
        model = Rule
        fields = ["pack", "trigger", "action", "enabled"]


class EventFilter(django_filters.FilterSet):
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["trigger", "status", "source"]


class EnforcementFilter(django_filters.FilterSet):
    rule = django_filters.CharFilter(field_name="rule_ref")

    class Meta:
        model = Enforcement
        fields = ["rule", "event", "execution", "status"]
