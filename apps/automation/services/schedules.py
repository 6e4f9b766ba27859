"""Timer triggers: validating their parameters and computing fire times. Pure."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from apps.core.errors import InvalidInput

INTERVAL = "core.intervaltimer"
CRON = "core.crontimer"
DATE = "core.datetimer"
TIMERS = (INTERVAL, CRON, DATE)
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")


def schedule_key(params: dict[str, Any]) -> str:
    """Rules with the same schedule share one timer (and its events)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _zone(params: dict[str, Any]) -> ZoneInfo:
    name = params.get("timezone") or "UTC"
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("trigger_params.timezone", f"{name!r} is not a known time zone") from None


def interval_seconds(params: dict[str, Any]) -> int:
    unit = str(params.get("unit") or "seconds").lower()
    if unit not in UNITS:
        raise InvalidInput("trigger_params.unit", f"{unit!r} is not one of {', '.join(UNITS)}")
    value = params.get("interval", params.get("delta"))
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput("trigger_params.interval", "must be a whole number of units, at least 1")
    return value * UNITS[unit]


def cron_expression(params: dict[str, Any]) -> tuple[str, bool]:
    """(expression, seconds first) from `expression` or the separate fields."""
    expression = params.get("expression")
    if expression is None and any(f in params for f in _CRON_FIELDS):
        fields = [str(params.get(f, "*" if f != "second" else "0")) for f in _CRON_FIELDS]
        expression = " ".join(fields)
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidInput("trigger_params.expression", "is required: 5 cron fields, or 6 with seconds first")
    parts = expression.split()
    if len(parts) not in (5, 6):
        raise InvalidInput("trigger_params.expression", f"{expression!r} must have 5 fields, or 6 with seconds first")
    seconds_first = len(parts) == 6
    if not croniter.is_valid(expression, second_at_beginning=seconds_first):
        raise InvalidInput("trigger_params.expression", f"{expression!r} is not a valid cron expression")
    return expression, seconds_first


def fire_date(params: dict[str, Any]) -> datetime:
    raw = params.get("date")
    if not isinstance(raw, str):
        raise InvalidInput("trigger_params.date", "is required (ISO 8601, e.g. 2026-12-01T09:00:00)")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("trigger_params.date", f"{raw!r} is not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone(params))
    return when.astimezone(UTC)


def validate(trigger_ref: str, params: dict[str, Any]) -> None:
    _zone(params)
    if trigger_ref == INTERVAL:
        interval_seconds(params)
    elif trigger_ref == CRON:
        cron_expression(params)
    elif trigger_ref == DATE:
        fire_date(params)


def next_fire(trigger_ref: str, params: dict[str, Any], *, after: datetime, now: datetime) -> datetime | None:
    """The next due time strictly after `after` that is not in the past: after downtime
    a timer fires once, not once per missed tick. None: it will not fire again."""
    if trigger_ref == INTERVAL:
        step = timedelta(seconds=interval_seconds(params))
        due = after + step
        if due <= now:
            missed = (now - due) // step + 1
            due += step * missed
        return due
    if trigger_ref == CRON:
        expression, seconds_first = cron_expression(params)
        base = max(after, now).astimezone(_zone(params))
        return croniter(expression, base, second_at_beginning=seconds_first).get_next(datetime).astimezone(UTC)
    if trigger_ref == DATE:
        return None
    raise ValueError(f"{trigger_ref} is not a timer")


def first_fire(trigger_ref: str, params: dict[str, Any], *, now: datetime) -> datetime | None:
    if trigger_ref == DATE:
        when = fire_date(params)
        # A date already past never fires (it would otherwise fire at every restart).
        return when if when > now else None
    if trigger_ref == INTERVAL:
        return now + timedelta(seconds=interval_seconds(params))
    return next_fire(trigger_ref, params, after=now, now=now)
