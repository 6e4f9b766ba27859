"""The executions list's filters: the API's ExecutionFilter (the same fields mean the
same thing), plus what a person types into a form: part of an action's ref, a recent
time window, top-level executions only."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.utils import timezone

from apps.executions.api.filters import ExecutionFilter

SINCE = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


class ExecutionListFilter(ExecutionFilter):
    action = django_filters.CharFilter(field_name="action_ref", lookup_expr="icontains")
    since = django_filters.ChoiceFilter(choices=[(key, key) for key in SINCE], method="filter_since")
    parent = django_filters.ChoiceFilter(choices=[("none", "top level only")], method="filter_top_level")

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=timezone.now() - SINCE[value])

    def filter_top_level(self, queryset, name, value):
        return queryset.filter(parent__isnull=True)
