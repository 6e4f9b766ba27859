"""`?q=` on every list: a case-insensitive search over a few text columns each
FilterSet names in `search_fields`."""

from __future__ import annotations

from functools import reduce
from operator import or_

import django_filters
from django.db.models import Q, QuerySet


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="search names, refs and descriptions")
    search_fields: tuple[str, ...] = ()

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        return queryset.filter(reduce(or_, (Q(**{f"{field}__icontains": value}) for field in self.search_fields)))
