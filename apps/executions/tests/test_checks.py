"""The reliability timers are checked at start-up."""

from apps.executions.checks import reliability_timers


def test_default_and_test_settings_pass():
    """The settings in use satisfy lease ≥ 3 heartbeats and reaper ≤ lease / 2."""
    assert reliability_timers() == []


def test_a_lease_shorter_than_three_heartbeats_is_refused(settings):
    """A lease that could lapse between heartbeats is reported."""
    settings.ATTUNE_HEARTBEAT_INTERVAL = 5
    settings.ATTUNE_LEASE_TIMEOUT = 10
    assert [e.id for e in reliability_timers()] == ["attune.E001"]


def test_a_slow_reaper_is_refused(settings):
    """A reaper slower than half the lease is reported."""
    settings.ATTUNE_REAPER_INTERVAL = 60
    assert "attune.E002" in [e.id for e in reliability_timers()]
