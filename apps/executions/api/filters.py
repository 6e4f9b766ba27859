import django_filters

from apps.core.api.filters import SearchFilterSet

from ..models import Action, Execution, Worker


class ActionFilter(SearchFilterSet):
    pack = django_filters.CharFilter(field_name="pack__ref")
    search_fields = ("ref", "label", "description")

    class Meta:
        model = Action
        fields = ["pack", "runner_type", "enabled", "ref", "source"]


class ExecutionFilter(SearchFilterSet):
    action = django_filters.CharFilter(field_name="action_ref")
    pack = django_filters.CharFilter(method="filter_pack", label="the pack of the action")
    rule = django_filters.CharFilter(field_name="rule_ref")
    trigger = django_filters.CharFilter(field_name="trigger_ref")
    # distinct=False: the default DISTINCT would sort every matching row (no join here needs it).
    status = django_filters.MultipleChoiceFilter(choices=Execution._meta.get_field("status").choices, distinct=False)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search_fields = ("action_ref", "rule_ref", "task_name")

    class Meta:
        model = Execution
        fields = ["action", "pack", "rule", "trigger", "status", "event_id", "parent", "root", "user"]

    def filter_pack(self, queryset, name, value):
        return queryset.filter(action_ref__startswith=f"{value}.")


class WorkerFilter(SearchFilterSet):
    search_fields = ("name", "hostname")

    class Meta:
        model = Worker
        fields = ["status", "role", "hostname"]
