import django_filters

from apps.core.api.filters import SearchFilterSet

from ..models import WorkflowDefinition


class WorkflowFilter(SearchFilterSet):
    pack = django_filters.CharFilter(field_name="action__pack__ref")
    ref = django_filters.CharFilter(field_name="action__ref")
    enabled = django_filters.BooleanFilter(field_name="action__enabled")
    search_fields = ("action__ref", "action__label", "action__description")

    class Meta:
        model = WorkflowDefinition
        fields = ["pack", "ref", "enabled"]
