"""Helpers shared by the apps' admin consoles: commands that call a service once per
selected row and report what happened, in the admin's own messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages

from .errors import DomainError


def for_each(request, queryset, command: Callable[[Any], Any], *, done: str) -> None:
    """Run `command(obj)` for every selected row; a refusal (a domain error) is
    reported for its row and does not stop the others."""
    succeeded, refused = 0, []
    for obj in queryset:
        try:
            command(obj)
        except DomainError as exc:
            refused.append(f"{obj}: {exc}")
        else:
            succeeded += 1
    if succeeded:
        messages.success(request, f"{succeeded} {done}.")
    for line in refused:
        messages.error(request, line)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History: shown, never edited or added by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
