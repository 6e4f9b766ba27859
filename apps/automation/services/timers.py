"""Timers are rows with a due time, derived from the enabled rules that use a timer
trigger, and fired by the one active scheduler."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import InvalidInput

from ..models import Rule, Timer
from . import schedules
from .events import event_create

log = logging.getLogger(__name__)


def timers_sync() -> None:
    """Make the timer rows match the enabled timer rules: new schedules get a first
    due time, schedules no rule uses any more are dropped, the rest keep theirs."""
    now = timezone.now()
    wanted: dict[tuple[str, str], dict] = {}
    for trigger_ref, key, params in Rule.objects.filter(enabled=True, trigger_ref__in=schedules.TIMERS).values_list(
        "trigger_ref", "trigger_key", "trigger_params"
    ):
        wanted[(trigger_ref, key)] = params
    with transaction.atomic():
        existing = {(t.trigger_ref, t.trigger_key): t for t in Timer.objects.select_for_update()}
        for ident, timer in existing.items():
            if ident not in wanted:
                timer.delete()
        for (trigger_ref, key), params in wanted.items():
            if (trigger_ref, key) not in existing:
                Timer.objects.create(
                    trigger_ref=trigger_ref, trigger_key=key, params=params,
                    next_fire_at=schedules.first_fire(trigger_ref, params, now=now),
                )


def on_pack_registered(**_kwargs) -> None:
    timers_sync()


def timers_fire(limit: int = 100) -> int:
    """Fire every due timer once: an event for its trigger, and its next due time.
    The due time is moved with a compare-and-set, so a timer fires once per due time
    even if two schedulers ever overlapped."""
    now = timezone.now()
    fired = 0
    for timer in Timer.objects.filter(next_fire_at__lte=now).order_by("next_fire_at")[:limit]:
        due = timer.next_fire_at
        following = schedules.next_fire(timer.trigger_ref, timer.params, after=due, now=now)
        with transaction.atomic():
            moved = Timer.objects.filter(pk=timer.pk, next_fire_at=due).update(
                next_fire_at=following, last_fired_at=now, fire_count=F("fire_count") + 1
            )
            if not moved:
                continue
            try:
                event_create(
                    trigger=timer.trigger_ref,
                    trigger_key=timer.trigger_key,
                    payload={"executed_at": due.isoformat(), "schedule": timer.params},
                    source="timer",
                )
            except InvalidInput as exc:  # the timer trigger was disabled: the tick passes
                log.info("timer %s/%s skipped: %s", timer.trigger_ref, timer.trigger_key, exc)
                continue
        fired += 1
    return fired
