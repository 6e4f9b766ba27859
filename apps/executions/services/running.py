"""Running a scheduled execution on an action worker: claim, run, finish."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.schemas import mask_text, mask_values

from ..choices import Status
from ..models import Execution, ExecutionOutput
from ..notifications import output_written
from ..runners import base as runner_registry
from ..runners.base import Job, RunOutcome
from . import fastpath, tokens
from .requests import parameters_secret
from .transitions import transition
from .workers import LocalWorker

log = logging.getLogger(__name__)


# What running needs, read right after the claim: the row's output and result columns
# (empty now, large later) stay unread.
_RUN_FIELDS = (
    "action_ref", "runner_type", "parameters", "secret_parameters", "timeout", "rule_ref", "trigger_ref",
    "action__entry_point", "action__parameters", "action__parameter_format", "action__parameter_delivery",
    "action__output_format", "action__pack__ref", "action__pack__path",
)


def execution_claim(*, execution_id: int, worker: LocalWorker) -> tuple[Execution, str, str] | None:
    """Claim a scheduled execution for this worker: (the execution with its action and
    pack, lease, api token), or None when another delivery already claimed it or it
    was canceled meanwhile."""
    lease = uuid.uuid4().hex
    token, token_hash = tokens.issue(execution_id)
    now = timezone.now()
    reason = f"claimed by {worker.name}"
    if fastpath.available():
        execution = fastpath.claim(execution_id=execution_id, worker_id=worker.worker_id, lease=lease,
                                   token_hash=token_hash, now=now, reason=reason)
        return (execution, lease, token) if execution is not None else None
    claimed = transition(
        execution_id, to=Status.RUNNING, expected=Status.SCHEDULED, reason=reason,
        worker_id=worker.worker_id, lease=lease, token_hash=token_hash, started_at=now, heartbeat_at=now,
    )
    if not claimed:
        return None
    execution = Execution.objects.select_related("action__pack").only(*_RUN_FIELDS).get(pk=execution_id)
    return execution, lease, token


class _OutputSink:
    """Numbered output chunks. Output of an action that ends within one flush interval
    is written with its final status, in one transaction; longer runs stream chunks
    as they come so a reader can follow them."""

    def __init__(self, execution_id: int, flush_interval: float, secrets: list[str]) -> None:
        self.execution_id = execution_id
        self.flush_interval = flush_interval
        self.secrets = secrets
        self.seq = 0
        self.pending: list[ExecutionOutput] = []
        self.spawned = time.monotonic()

    def spawned_now(self, _pid: int) -> None:
        self.spawned = time.monotonic()

    def write(self, stream: str, data: bytes) -> None:
        self.seq += 1
        text = storable(mask_text(data.decode("utf-8", errors="replace"), self.secrets))
        self.pending.append(ExecutionOutput(execution_id=self.execution_id, seq=self.seq, stream=stream, data=text))
        if time.monotonic() - self.spawned >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            chunks, self.pending = self.pending, []
            ExecutionOutput.objects.bulk_create(chunks, ignore_conflicts=True)
            output_written(execution_id=self.execution_id, chunks=[(c.seq, c.stream, c.data) for c in chunks])


def storable(value: Any) -> Any:
    """`value` with NUL characters replaced by U+FFFD: PostgreSQL's text and jsonb
    cannot hold them, and an action's output may contain anything."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _environment(execution: Execution, token: str, artifacts: Path) -> dict[str, str]:
    env = {
        "ATTUNE_ACTION": execution.action_ref,
        "ATTUNE_PACK": execution.action_ref.split(".", 1)[0],
        "ATTUNE_EXEC_ID": str(execution.pk),
        "ATTUNE_API_URL": settings.ATTUNE_API_URL,
        "ATTUNE_API_TOKEN": token,
        "ATTUNE_ARTIFACTS_DIR": str(artifacts),
    }
    if execution.rule_ref:
        env["ATTUNE_RULE"] = execution.rule_ref
    if execution.trigger_ref:
        env["ATTUNE_TRIGGER"] = execution.trigger_ref
    return env


def execution_run(*, execution_id: int, worker: LocalWorker) -> str | None:
    """Claim and run one execution; returns its final status, or None if this delivery
    had nothing to do (a duplicate message, or the execution was canceled first)."""
    claim = execution_claim(execution_id=execution_id, worker=worker)
    if claim is None:
        return None
    execution, lease, token = claim
    action = execution.action
    hidden = parameters_secret(execution)
    params = {**execution.parameters, **hidden}
    # Every value kept secret is masked in what the run leaves behind: those the
    # action's schema declares secret and those a workflow passed on from its own.
    secrets = [str(value) for value in hidden.values() if value not in (None, "")]
    artifacts = Path(settings.ATTUNE_ARTIFACTS_DIR) / str(execution_id)
    work_dir: Path | None = None
    sink = _OutputSink(execution_id, settings.ATTUNE_OUTPUT_FLUSH_INTERVAL, secrets)
    cancel = threading.Event()
    entry = worker.track(execution_id, lease, cancel)
    try:
        artifacts.mkdir(parents=True, exist_ok=True)
        if action and action.parameter_delivery == "file":
            work_dir = Path(tempfile.mkdtemp(prefix=f"attune-{execution_id}-"))
        job = Job(
            execution_id=execution_id,
            action_ref=execution.action_ref,
            runner_type=execution.runner_type,
            entry_point=action.entry_point if action else "",
            pack_ref=action.pack.ref if action else "",
            pack_dir=Path(action.pack.path) if action and action.pack.path else None,
            parameters=params,
            parameter_format=action.parameter_format if action else "json",
            parameter_delivery=action.parameter_delivery if action else "stdin",
            output_format=action.output_format if action else "text",
            timeout=float(execution.timeout) if execution.timeout else None,
            kill_grace=settings.ATTUNE_KILL_GRACE,
            max_output=settings.ATTUNE_OUTPUT_MAX_BYTES,
            flush_interval=settings.ATTUNE_OUTPUT_FLUSH_INTERVAL,
            env=_environment(execution, token, artifacts),
            work_dir=work_dir or artifacts,
            cancel=cancel,
            on_output=sink.write,
            on_spawn=sink.spawned_now,
        )
        if action is None:
            outcome = RunOutcome(status=Status.FAILED, error="the action was deleted")
        else:
            outcome = runner_registry.get(execution.runner_type).run(job)
    except Exception as exc:  # a runner bug must not leave the execution running
        log.exception("execution %s: runner error", execution_id)
        outcome = RunOutcome(status=Status.FAILED, error=f"runner error: {exc}")
    finally:
        worker.untrack(execution_id)
        if work_dir is not None:
            shutil.rmtree(work_dir, ignore_errors=True)
        try:
            artifacts.rmdir()  # only removes it when the action left nothing there
        except OSError:
            pass
    if entry.reason and outcome.status == Status.CANCELED:
        # We stopped it ourselves (worker shutdown or lost lease): not the user's cancel.
        outcome.status = Status.ABANDONED
        outcome.error = "the worker stopped while the action ran" if entry.reason == "shutdown" else "worker lost its lease"
    execution_finish(execution_id=execution_id, lease=lease, outcome=outcome, sink=sink, secrets=secrets)
    return outcome.status


def execution_finish(*, execution_id: int, lease: str, outcome: RunOutcome, sink: _OutputSink, secrets: list[str]) -> bool:
    """Record the outcome, fenced by the lease: if the reaper abandoned the execution
    meanwhile (or another claim holds it), nothing is written."""
    spawned = (
        datetime.fromtimestamp(outcome.spawned_at, tz=UTC) if outcome.spawned_at else None
    )
    fields = {
        "result": storable(mask_values(outcome.result, secrets)),
        "stdout": storable(mask_text(outcome.stdout, secrets)),
        "stderr": storable(mask_text(outcome.stderr, secrets)),
        "stdout_truncated": outcome.stdout_truncated,
        "stderr_truncated": outcome.stderr_truncated,
        "exit_code": outcome.exit_code,
        "error": storable(mask_text(outcome.error, secrets)),
        "spawned_at": spawned,
    }
    # The output chunks not streamed yet are written with the status, in one transaction.
    with transaction.atomic() if sink.pending else nullcontext():
        if fastpath.available():
            done = fastpath.finish(execution_id=execution_id, lease=lease, now=timezone.now(),
                                   status=str(outcome.status), reason=fields["error"], fields=fields)
        else:
            done = transition(execution_id, to=outcome.status, expected=(Status.RUNNING, Status.CANCELING),
                              fence=lease, reason=fields["error"], **fields)
        if done:
            sink.flush()
    if not done:
        log.warning("execution %s: outcome %s discarded, lease no longer held", execution_id, outcome.status)
    return done
