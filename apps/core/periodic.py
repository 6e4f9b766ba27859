"""Periodic jobs run by the scheduler (one active at a time). Apps register theirs in
AppConfig.ready(); the scheduler runs each at its cadence: every tick, or at the
reaper interval."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    fn: Callable[[], Any]
    every: str | float | None  # None: every tick; "reaper": ATTUNE_REAPER_INTERVAL; or seconds


_jobs: dict[str, Job] = {}


def register(name: str, fn: Callable[[], Any], *, every: str | float | None = None) -> None:
    _jobs[name] = Job(name, fn, every)


def jobs() -> list[Job]:
    return list(_jobs.values())
