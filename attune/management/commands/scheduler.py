"""The scheduler: timers, the reaper and the other periodic jobs, one active at a
time (the others wait on the lock as standbys)."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from apps.core import periodic
from apps.core.locks import SingletonLock

log = logging.getLogger("attune.scheduler")


class Command(BaseCommand):
    help = "Run the scheduler (timers, reaper, retries); one is active at a time."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, once: bool = False, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        lock = SingletonLock("scheduler")
        tick = settings.ATTUNE_SCHEDULER_TICK
        last_run: dict[str, float] = {}
        standby_logged = False
        while not stop.is_set():
            if not lock.acquire():
                if not standby_logged:
                    log.info("another scheduler is active; standing by")
                    standby_logged = True
                stop.wait(tick)
                continue
            if standby_logged:
                log.info("scheduler active")
                standby_logged = False
            self._run_due(last_run)
            if once:
                break
            stop.wait(tick)
        lock.release()

    def _run_due(self, last_run: dict[str, float]) -> None:
        now = time.monotonic()
        for job in periodic.jobs():
            every = settings.ATTUNE_REAPER_INTERVAL if job.every == "reaper" else (job.every or 0)
            if now - last_run.get(job.name, 0.0) < float(every):
                continue
            last_run[job.name] = now
            try:
                close_old_connections()
                job.fn()
            except Exception:
                # Reconnect on the next tick rather than die: the database or broker
                # may be restarting.
                log.exception("periodic job %s failed", job.name)
                try:
                    connection.close()
                except Exception:
                    pass
