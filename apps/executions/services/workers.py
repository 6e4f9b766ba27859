"""The worker process's own bookkeeping: its Worker row, the executions it runs, and
the heartbeat thread that keeps their leases, notices cancel requests, and fences the
worker (stops its actions) when it cannot reach the database for a whole lease."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from ..choices import ON_WORKER, Status, WorkerStatus
from ..models import Execution, Worker

log = logging.getLogger(__name__)


@dataclass
class Running:
    lease: str
    cancel: threading.Event
    reason: str = ""  # why we stopped it ourselves: "shutdown" or "fenced"
    pids: list[int] = field(default_factory=list)


class LocalWorker:
    def __init__(self, *, name: str, role: str, queues: list[str]) -> None:
        self.name = name
        self.role = role
        self.queues = queues
        self.running: dict[int, Running] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.worker_id: int | None = None
        self._thread: threading.Thread | None = None
        self._last_ok = time.monotonic()

    # --- lifecycle -------------------------------------------------------------------
    def register(self) -> None:
        worker, _ = Worker.objects.update_or_create(
            name=self.name,
            defaults={
                "hostname": socket.gethostname(), "pid": os.getpid(), "role": self.role, "queues": self.queues,
                "status": WorkerStatus.ONLINE, "heartbeat_at": timezone.now(), "stopped_at": None,
            },
        )
        self.worker_id = worker.pk

    def start(self) -> None:
        if self.worker_id is None:
            self.register()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="attune-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Warm shutdown: stop every running action; they end `abandoned`."""
        self.stopping.set()
        with self.lock:
            for entry in self.running.values():
                entry.reason = entry.reason or "shutdown"
                entry.cancel.set()

    def mark_offline(self) -> None:
        if self.worker_id is not None:
            Worker.objects.filter(pk=self.worker_id).update(status=WorkerStatus.OFFLINE, stopped_at=timezone.now())

    # --- tracking --------------------------------------------------------------------
    def track(self, execution_id: int, lease: str, cancel: threading.Event) -> Running:
        entry = Running(lease=lease, cancel=cancel)
        with self.lock:
            self.running[execution_id] = entry
            if self.stopping.is_set():
                entry.reason = "shutdown"
                cancel.set()
        return entry

    def untrack(self, execution_id: int) -> None:
        with self.lock:
            self.running.pop(execution_id, None)

    # --- heartbeat -------------------------------------------------------------------
    def _loop(self) -> None:
        interval = settings.ATTUNE_HEARTBEAT_INTERVAL
        # Cancel requests are looked for more often than heartbeats are written, and
        # only while something runs: a cheap indexed read.
        poll = min(1.0, interval)
        last_beat = 0.0
        while True:
            time.sleep(poll)
            try:
                self._notice_cancels()
                if time.monotonic() - last_beat >= interval:
                    self.heartbeat()
                    last_beat = time.monotonic()
                self._last_ok = time.monotonic()
            except Exception as exc:  # the database may be restarting
                log.warning("heartbeat failed: %s", exc)
                try:
                    connection.close()
                except Exception:
                    pass
                if time.monotonic() - self._last_ok > settings.ATTUNE_LEASE_TIMEOUT:
                    self._fence()

    def heartbeat(self) -> None:
        close_old_connections()
        now = timezone.now()
        Worker.objects.filter(pk=self.worker_id).update(heartbeat_at=now, status=WorkerStatus.ONLINE)
        with self.lock:
            ids = list(self.running)
        if ids:
            Execution.objects.filter(pk__in=ids, worker_id=self.worker_id, status__in=ON_WORKER).update(
                heartbeat_at=now
            )

    def _notice_cancels(self) -> None:
        with self.lock:
            ids = list(self.running)
        if not ids:
            return
        for execution_id in Execution.objects.filter(pk__in=ids, status=Status.CANCELING).values_list("pk", flat=True):
            with self.lock:
                entry = self.running.get(execution_id)
            if entry is not None and not entry.cancel.is_set():
                entry.cancel.set()

    def _fence(self) -> None:
        """We could not renew our leases: the reaper will abandon (and a retry policy
        may re-run) these executions, so ours must stop rather than run twice."""
        with self.lock:
            for entry in self.running.values():
                if not entry.cancel.is_set():
                    log.error("lease lost: stopping execution to avoid a duplicate run")
                    entry.reason = "fenced"
                    entry.cancel.set()


_local: LocalWorker | None = None
_local_lock = threading.Lock()


def local_worker(*, name: str | None = None, role: str = "action", queues: list[str] | None = None) -> LocalWorker:
    """This process's LocalWorker, created (and started) on first use."""
    global _local
    with _local_lock:
        if _local is None:
            _local = LocalWorker(
                name=name or f"{role}@{socket.gethostname()}:{os.getpid()}", role=role, queues=queues or []
            )
            _local.start()
        return _local


def reset_local_worker() -> None:
    """Forget this process's worker (after a fork, or between tests)."""
    global _local
    with _local_lock:
        _local = None
