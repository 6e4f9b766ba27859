from apps.core.api.filters import SearchFilterSet

from ..models import Pack, Runtime


class PackFilter(SearchFilterSet):
    search_fields = ("ref", "label", "description")

    class Meta:
        model = Pack
        fields = ["ref", "system", "enabled"]


class RuntimeFilter(SearchFilterSet):
    search_fields = ("ref", "name", "description")

    class Meta:
        model = Runtime
        fields = ["name", "queue"]
