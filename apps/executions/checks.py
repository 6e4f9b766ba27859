"""The reliability timers must fit together: a lease that lapses between two
heartbeats would abandon healthy work."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def reliability_timers(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    heartbeat, lease = settings.ATTUNE_HEARTBEAT_INTERVAL, settings.ATTUNE_LEASE_TIMEOUT
    if lease < 3 * heartbeat:
        errors.append(Error(
            f"ATTUNE_LEASE_TIMEOUT ({lease}) must be at least 3 × ATTUNE_HEARTBEAT_INTERVAL ({heartbeat})",
            id="attune.E001",
        ))
    if settings.ATTUNE_REAPER_INTERVAL > lease / 2:
        errors.append(Error(
            f"ATTUNE_REAPER_INTERVAL ({settings.ATTUNE_REAPER_INTERVAL}) must be at most half of "
            f"ATTUNE_LEASE_TIMEOUT ({lease})",
            id="attune.E002",
        ))
    return errors
