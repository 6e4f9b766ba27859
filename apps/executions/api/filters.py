import django_filters

from ..models import Action, Execution


class ActionFilter(django_filters.FilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")

    class Meta:
        model = Action
        fields = ["pack", "runner_type", "enabled", "ref"]


class ExecutionFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action_ref")
    rule = django_filters.CharFilter(field_name="rule_ref")
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    status = django_filters.MultipleChoiceFilter(choices=Execution._meta.get_field("status").choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Execution
        fields = ["action", "rule", "trigger", "status", "event_id", "parent", "root"]
