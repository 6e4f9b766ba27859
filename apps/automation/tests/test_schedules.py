"""Timer schedules: parameter validation and fire times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.automation.services import schedules
from apps.core.errors import InvalidInput

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def test_interval_fires_every_interval():
    """An interval timer is due one interval after the previous due time."""
    params = {"unit": "minutes", "interval": 5}
    assert schedules.first_fire(schedules.INTERVAL, params, now=NOW) == NOW + timedelta(minutes=5)
    assert schedules.next_fire(schedules.INTERVAL, params, after=NOW, now=NOW) == NOW + timedelta(minutes=5)


def test_interval_after_downtime_fires_once_not_per_missed_tick():
    """After downtime the next due time is in the future, on the original grid."""
    params = {"unit": "seconds", "delta": 10}
    due = schedules.next_fire(schedules.INTERVAL, params, after=NOW - timedelta(seconds=95), now=NOW)
    assert due == NOW + timedelta(seconds=5)


def test_cron_five_and_six_fields():
    """5-field cron, and 6 fields with seconds first, in a time zone."""
    assert schedules.next_fire(schedules.CRON, {"expression": "30 9 * * *"}, after=NOW, now=NOW) == NOW.replace(
        hour=9, minute=30
    )
    six = schedules.next_fire(schedules.CRON, {"expression": "15 0 8 * * *"}, after=NOW, now=NOW)
    assert six == NOW.replace(second=15)
    berlin = schedules.next_fire(schedules.CRON, {"expression": "0 10 * * *", "timezone": "Europe/Berlin"},
                                 after=NOW, now=NOW)
    assert berlin == NOW.replace(hour=9)


def test_cron_fields_form():
    """StackStorm's separate cron fields work too."""
    due = schedules.next_fire(schedules.CRON, {"minute": 0, "hour": 12}, after=NOW, now=NOW)
    assert due == NOW.replace(hour=12)


def test_date_timer_fires_once_and_not_in_the_past():
    """A date timer fires at its date, once; a past date never fires."""
    future = {"date": "2026-12-01T09:00:00", "timezone": "UTC"}
    assert schedules.first_fire(schedules.DATE, future, now=NOW) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert schedules.next_fire(schedules.DATE, future, after=NOW, now=NOW) is None
    assert schedules.first_fire(schedules.DATE, {"date": "2020-01-01T00:00:00"}, now=NOW) is None


@pytest.mark.parametrize(
    "trigger, params, field",
    [
        (schedules.INTERVAL, {"unit": "seconds", "interval": 0}, "trigger_params.interval"),
        (schedules.INTERVAL, {"unit": "fortnights", "interval": 1}, "trigger_params.unit"),
        (schedules.CRON, {"expression": "61 * * * *"}, "trigger_params.expression"),
        (schedules.CRON, {"expression": "* *"}, "trigger_params.expression"),
        (schedules.DATE, {"date": "next tuesday"}, "trigger_params.date"),
        (schedules.CRON, {"expression": "* * * * *", "timezone": "Mars/Olympus"}, "trigger_params.timezone"),
    ],
)
def test_bad_timer_parameters_name_the_field(trigger, params, field):
    """Bad timer parameters are refused with the field that is wrong."""
    with pytest.raises(InvalidInput) as error:
        schedules.validate(trigger, params)
    assert error.value.field == field
