import django_filters
from django.db.models import Q

from ..models import Key


class KeyFilter(django_filters.FilterSet):
    scope = django_filters.CharFilter()
    name = django_filters.CharFilter()
    q = django_filters.CharFilter(method="search", label="name or scope contains")

    class Meta:
        model = Key
        fields = ["scope", "name", "encrypted"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(scope__icontains=value))
