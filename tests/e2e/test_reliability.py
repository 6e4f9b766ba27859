"""Delivery guarantees (DESIGN.md §3) observed on real processes: a killed worker's
execution is abandoned, cancel and timeout stop the whole process tree, timers run
from the database, and events accepted while the broker is down are processed once
it returns."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import psutil
import pytest
from django.utils import timezone

from apps.automation.models import Event, Rule, Trigger
from apps.automation.services.keys import trigger_key
from apps.automation.services.timers import timers_sync
from apps.executions.models import Action, Execution
from apps.executions.services.cancel import execution_cancel
from apps.executions.services.requests import execution_request
from apps.packs.models import Pack

from .harness import Platform, free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def status_of(execution_id: int) -> str:
    return Execution.objects.get(pk=execution_id).status


def pids_from(execution_id: int) -> list[int]:
    """The PIDs the sleeper action printed (itself and its setsid child)."""
    from apps.executions.models import ExecutionOutput

    text = "".join(ExecutionOutput.objects.filter(execution_id=execution_id).values_list("data", flat=True))
    pids = [int(line.split()[1]) for line in text.splitlines() if line.startswith(("main ", "child "))]
    return pids if len(pids) == 2 else []


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkilled_worker_leaves_its_execution_abandoned(platform):
    """SIGKILL of the action worker mid-action: the execution becomes `abandoned`
    within a bounded time (lease + reaper interval), not `running` forever."""
    platform.actions()
    platform.scheduler()
    execution = execution_request(action="e2e.sleeper", parameters={"seconds": 120})
    wait_for(lambda: status_of(execution.pk) == "running", timeout=30, what="the action to start")
    pids = wait_for(lambda: pids_from(execution.pk), timeout=10, what="the action's PIDs")
    killed_at = time.monotonic()
    platform.kill("actions", signal.SIGKILL)
    wait_for(lambda: status_of(execution.pk) == "abandoned", timeout=30, what="the reaper to abandon it")
    detection = time.monotonic() - killed_at
    execution.refresh_from_db()
    assert "heartbeat" in execution.history.last().reason
    assert detection < 30, f"took {detection:.1f} s"
    for pid in pids:  # the action's processes shared the killed worker's session
        os.kill(pid, signal.SIGKILL) if alive(pid) else None


def test_cancel_stops_the_whole_process_tree(platform):
    """Cancel: SIGTERM to the process group and every descendant (even one in its
    own session), status `canceled`."""
    platform.actions()
    execution = execution_request(action="e2e.sleeper", parameters={"seconds": 120})
    pids = wait_for(lambda: pids_from(execution.pk), timeout=30, what="the action's PIDs")
    assert all(alive(pid) for pid in pids)
    execution_cancel(execution_id=execution.pk)
    wait_for(lambda: status_of(execution.pk) == "canceled", timeout=20, what="the cancel")
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=10, what="the processes to be gone")
    assert [h.status for h in Execution.objects.get(pk=execution.pk).history.all()][-2:] == ["canceling", "canceled"]


def test_timeout_stops_the_action_with_status_timeout(platform):
    """An action running past its timeout is stopped; status `timeout`."""
    platform.actions()
    execution = execution_request(action="e2e.sleeper", parameters={"seconds": 120}, timeout=2)
    pids = wait_for(lambda: pids_from(execution.pk), timeout=30, what="the action's PIDs")
    wait_for(lambda: status_of(execution.pk) == "timeout", timeout=30, what="the timeout")
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=10, what="the processes to be gone")
    done = Execution.objects.get(pk=execution.pk)
    assert "timeout" in done.error and done.finished_at - done.started_at < timedelta(seconds=15)


def test_cancel_before_a_worker_claims_it(platform):
    """An execution canceled while still queued never runs."""
    execution = execution_request(action="e2e.sleeper", parameters={"seconds": 1})
    execution_cancel(execution_id=execution.pk)
    platform.actions()
    time.sleep(3)
    assert status_of(execution.pk) == "canceled"
    assert not Execution.objects.get(pk=execution.pk).started_at


def test_interval_timer_rule_fires_from_the_scheduler(platform):
    """A rule on core.intervaltimer runs its action on schedule, driven by the
    scheduler's timer rows."""
    trigger = Trigger.objects.get(ref="core.intervaltimer")
    params = {"unit": "seconds", "interval": 1}
    Rule.objects.create(
        ref="e2e.every_second", pack=Pack.objects.get(ref="e2e"), name="every_second", trigger=trigger,
        trigger_ref=trigger.ref, trigger_params=params, trigger_key=trigger_key(trigger.ref, params),
        action=Action.objects.get(ref="core.echo"), action_ref="core.echo", action_params={"message": "tick"},
    )
    timers_sync()
    platform.executor()
    platform.actions()
    platform.scheduler()
    wait_for(
        lambda: Execution.objects.filter(rule_ref="e2e.every_second", status="succeeded").count() >= 3,
        timeout=30, what="three timer executions",
    )
    first = Execution.objects.filter(rule_ref="e2e.every_second", status="succeeded").order_by("id").first()
    assert first.stdout == "tick" and first.trigger_ref == "core.intervaltimer"


def test_events_accepted_while_the_broker_is_down_are_processed_when_it_returns(packs, tmp_path):
    """With the broker down the API still answers 202 (the event is stored); once the
    broker is back, the scheduler re-dispatches the event and its action runs."""
    from attune.embedded import redis_server_binary

    from .api import admin_client

    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"

    def start_redis() -> subprocess.Popen:
        process = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis

        wait_for(lambda: _pings(redis.Redis(port=port)), timeout=10, what="redis to start")
        return process

    own_redis = start_redis()
    platform = Platform(broker, tmp_path)
    try:
        platform.web()
        client = admin_client(platform.url)
        own_redis.terminate()
        own_redis.wait(10)
        answers = [client.post("/api/v1/events/", json={"trigger": "e2e.order",
                                                         "payload": {"id": i, "total": 500, "country": "FR"}})
                   for i in (101, 102)]
        assert [a.status_code for a in answers] == [202, 202]
        ids = [a.json()["id"] for a in answers]
        assert Event.objects.filter(pk__in=ids, status="pending").count() == 2

        own_redis = start_redis()
        platform.executor()
        platform.actions()
        platform.scheduler()
        wait_for(lambda: Execution.objects.filter(event_id__in=ids, action_ref="e2e.pyinfo",
                                                  status="succeeded").count() == 2,
                 timeout=60, what="the events' actions after the broker returned")
        assert Execution.objects.filter(event_id__in=ids).count() == 2  # once each
    finally:
        platform.stop()
        own_redis.terminate()
        own_redis.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def test_scheduled_execution_whose_message_was_lost_is_redispatched(platform):
    """An execution whose broker message never arrived is re-sent by the reaper."""
    execution = execution_request(action="core.echo", parameters={"message": "late"})
    # Pretend the message was lost: drop it from the queue before any worker exists.
    from celery import current_app

    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("runtime.shell")
    Execution.objects.filter(pk=execution.pk).update(dispatched_at=timezone.now() - timedelta(seconds=60))
    platform.actions()
    platform.scheduler()
    wait_for(lambda: status_of(execution.pk) == "succeeded", timeout=30, what="the re-dispatched execution")
    assert Execution.objects.get(pk=execution.pk).dispatch_count >= 2
