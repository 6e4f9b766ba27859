"""Enabling and disabling rules and triggers. A disabled rule matches no event from
the next one processed on; a disabled trigger accepts no new event. Timer rows follow
the enabled timer rules."""

from __future__ import annotations

from django.db import transaction

from apps.core.errors import NotFound

from ..models import Rule, Trigger
from .timers import timers_sync


def rule_set_enabled(*, ref: str, enabled: bool) -> Rule:
    with transaction.atomic():
        rule = Rule.objects.select_for_update().filter(ref=ref).first()
        if rule is None:
            raise NotFound(f"no rule named {ref!r}")
        if rule.enabled != enabled:
            rule.enabled = enabled
            rule.save(update_fields=["enabled", "updated_at"])
            timers_sync()
    return rule


def trigger_set_enabled(*, ref: str, enabled: bool) -> Trigger:
    with transaction.atomic():
        trigger = Trigger.objects.select_for_update().filter(ref=ref).first()
        if trigger is None:
            raise NotFound(f"no trigger named {ref!r}")
        if trigger.enabled != enabled:
            trigger.enabled = enabled
            trigger.save(update_fields=["enabled", "updated_at"])
    return trigger
