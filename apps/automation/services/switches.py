"""Enabling and disabling rules, triggers and sensors. A disabled rule matches no event from
the next one processed on; a disabled trigger accepts no new event. Timer rows follow
the enabled timer rules."""

from __future__ import annotations

from django.db import models, transaction

from apps.core.errors import NotFound

from ..models import Rule, Sensor, Trigger
from .timers import timers_sync


def _set_enabled(model: type[models.Model], ref: str, enabled: bool) -> models.Model:
    with transaction.atomic():
        obj = model.objects.select_for_update().filter(ref=ref).first()
        if obj is None:
            raise NotFound(f"no {model._meta.verbose_name} named {ref!r}")
        if obj.enabled != enabled:
            obj.enabled = enabled
            obj.save(update_fields=["enabled", "updated_at"])
            if model is Rule:
                timers_sync()
    return obj


def rule_set_enabled(*, ref: str, enabled: bool) -> Rule:
    return _set_enabled(Rule, ref, enabled)


def trigger_set_enabled(*, ref: str, enabled: bool) -> Trigger:
    return _set_enabled(Trigger, ref, enabled)


def sensor_set_enabled(*, ref: str, enabled: bool) -> Sensor:
    """A disabled sensor's token stops working at once."""
    return _set_enabled(Sensor, ref, enabled)
