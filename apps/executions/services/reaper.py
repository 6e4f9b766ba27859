"""The reaper: nothing stays non-terminal forever. Run periodically by the scheduler
(one active at a time)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..choices import ON_WORKER, WAITING, Status, WorkerStatus
from ..models import Execution, Worker
from ..runners import base as runners
from .requests import execution_redispatch
from .transitions import transition

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class ReapReport:
    abandoned: int = 0
    timed_out: int = 0
    redispatched: int = 0
    workers_lost: int = 0


def executions_reap() -> ReapReport:
    """Abandon executions whose worker stopped heartbeating (a NULL heartbeat counts
    from the claim), time out those that ran far past their timeout on a live but
    stuck worker, and re-dispatch scheduled executions whose message seems lost."""
    report = ReapReport()
    now = timezone.now()
    lease = timedelta(seconds=settings.ATTUNE_LEASE_TIMEOUT)
    cutoff = now - lease

    report.workers_lost = Worker.objects.filter(status=WorkerStatus.ONLINE, heartbeat_at__lt=cutoff).update(
        status=WorkerStatus.LOST
    )

    on_worker = Execution.objects.filter(status__in=ON_WORKER).exclude(runner_type__in=runners.driven())
    stale = on_worker.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    for pk, status, held in stale.values_list("pk", "status", "lease")[:BATCH]:
        seconds = int(settings.ATTUNE_LEASE_TIMEOUT)
        if transition(pk, to=Status.ABANDONED, expected=status, fence=held,
                      reason=f"worker lost: no heartbeat for {seconds} s", error="the worker running it was lost"):
            report.abandoned += 1
            log.warning("execution %s abandoned: its worker stopped heartbeating", pk)

    # A live worker enforces timeouts itself; this catches one that is alive but stuck.
    slack = settings.ATTUNE_KILL_GRACE + settings.ATTUNE_LEASE_TIMEOUT
    for pk, status, held, started, limit in (
        on_worker.filter(timeout__isnull=False)
        .values_list("pk", "status", "lease", "started_at", "timeout")[:BATCH]
    ):
        if started and started + timedelta(seconds=limit + slack) < now:
            if transition(pk, to=Status.TIMEOUT, expected=status, fence=held,
                          reason="ran past its timeout and its worker did not stop it",
                          error="timed out (stopped by the reaper)"):
                report.timed_out += 1

    base = settings.ATTUNE_REDISPATCH_AFTER
    # Scheduled ones wait for a worker; requested ones with a dispatch time wait for the
    # executor to launch them (a workflow).
    waiting = Execution.objects.filter(status__in=WAITING, dispatched_at__lt=now - timedelta(seconds=base))
    for pk, dispatched, count in waiting.values_list("pk", "dispatched_at", "dispatch_count")[:BATCH]:
        # Back off per execution: a long backlog is not lost work, and re-sending all
        # of it every cycle would only lengthen the queue.
        if dispatched + timedelta(seconds=base * 2 ** min(max(count - 1, 0), 6)) <= now:
            if execution_redispatch(execution_id=pk):
                report.redispatched += 1
    return report
