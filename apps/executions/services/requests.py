"""Requesting an execution: validate, store, schedule, dispatch on commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core import schemas
from apps.core.crypto import decrypt_json, encrypt_json
from apps.core.dispatch import send_on_commit, send_task
from apps.core.errors import InvalidInput

from ..choices import Status
from ..models import Action, Execution, ExecutionHistory
from ..runners import base as runner_registry
from .transitions import STATUS_CHANGED, transition

RUN_TASK = "executions.run"


@dataclass(frozen=True)
class Cause:
    """Why an execution exists, when a rule made it."""

    rule_ref: str = ""
    trigger_ref: str = ""
    event_id: int | None = None


def action_resolve(action: Action | str, *, field: str = "action") -> Action:
    if isinstance(action, Action):
        found = action
    else:
        found = Action.objects.select_related("pack").filter(ref=action).first()
        if found is None:
            raise InvalidInput(field, f"no action named {action!r}")
    if not found.enabled:
        raise InvalidInput(field, f"action {found.ref} is disabled")
    return found


def secret_aad(execution_id: int) -> str:
    return f"execution:{execution_id}:parameters"


def parameters_prepare(action: Action, parameters: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated values with defaults, split into (plain, secret)."""
    values = schemas.validate(action.parameters, parameters)
    plain, hidden = schemas.split_secrets(values, schemas.secret_names(action.parameters))
    # The stored parameters show which secrets were given, masked; their values are
    # kept encrypted apart and merged back only for the run.
    plain.update({name: schemas.MASK for name, value in hidden.items() if value is not None})
    return plain, hidden


def parameters_full(execution: Execution) -> dict[str, Any]:
    """Every parameter value in clear: only for running the action or re-running it."""
    hidden = decrypt_json(execution.secret_parameters, aad=secret_aad(execution.pk)) if execution.secret_parameters else {}
    return {**execution.parameters, **(hidden or {})}


def queue_for(action: Action) -> str | None:
    runner = runner_registry.get(action.runner_type)
    resolve = getattr(runner, "queue_for", None)
    return resolve() if resolve else runner.queue


def execution_request(
    *,
    action: Action | str,
    parameters: Any = None,
    user=None,
    cause: Cause | None = None,
    parent: Execution | None = None,
    context: dict[str, Any] | None = None,
    timeout: int | None = None,
) -> Execution:
    """Request an execution of `action`. Parameters are validated against its schema
    (InvalidInput naming the field); the execution is stored, scheduled and sent to
    its runtime's queue once the transaction commits."""
    action = action_resolve(action)
    plain, hidden = parameters_prepare(action, parameters)
    queue = queue_for(action)
    cause = cause or Cause()
    now = timezone.now()
    with transaction.atomic():
        # With a queue and no policy holding it back, the execution is created already
        # scheduled (its history still shows `requested` first): one write fewer on the
        # hottest path of the platform.
        status = Status.SCHEDULED if queue else Status.REQUESTED
        execution = Execution.objects.create(
            action=action,
            action_ref=action.ref,
            runner_type=runner_registry.canonical(action.runner_type),
            queue=queue or "",
            status=status,
            parameters=plain,
            timeout=timeout or action.timeout or settings.ATTUNE_DEFAULT_ACTION_TIMEOUT,
            user=user if getattr(user, "pk", None) else None,
            rule_ref=cause.rule_ref,
            trigger_ref=cause.trigger_ref,
            event_id=cause.event_id,
            parent=parent,
            root=(parent.root or parent) if parent else None,
            context=context or {},
            scheduled_at=now if queue else None,
            dispatched_at=now if queue else None,
            dispatch_count=1 if queue else 0,
        )
        if hidden:
            execution.secret_parameters = encrypt_json(hidden, aad=secret_aad(execution.pk))
            Execution.objects.filter(pk=execution.pk).update(secret_parameters=execution.secret_parameters)
        history = [ExecutionHistory(execution=execution, status=Status.REQUESTED, previous="", at=now)]
        if queue:
            history.append(ExecutionHistory(execution=execution, status=Status.SCHEDULED, previous=Status.REQUESTED, at=now))
        ExecutionHistory.objects.bulk_create(history)
        from apps.core import signals

        signals.emit(STATUS_CHANGED, execution_id=execution.pk, status=execution.status, previous="")
        if queue:
            send_on_commit(RUN_TASK, [execution.pk], queue=queue)
        else:
            _run_without_worker(execution)
    return execution


def _run_without_worker(execution: Execution) -> None:
    """Runners without a queue (noop; later workflow and inquiry) start here."""
    runner = runner_registry.get(execution.runner_type)
    launch = getattr(runner, "launch", None)
    if launch is not None:
        launch(execution)
        return
    transition(execution.pk, to=Status.SCHEDULED, expected=Status.REQUESTED, scheduled_at=timezone.now())
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=timezone.now())
    outcome = runner.run(None)  # type: ignore[arg-type]
    transition(
        execution.pk, to=outcome.status, expected=Status.RUNNING, result=outcome.result,
        exit_code=outcome.exit_code, error=outcome.error,
    )
    execution.refresh_from_db()


def execution_redispatch(*, execution_id: int) -> bool:
    """Send a scheduled execution's message again (its first one may be lost)."""
    row = Execution.objects.filter(pk=execution_id, status=Status.SCHEDULED).values("queue").first()
    if row is None or not row["queue"]:
        return False
    from django.db.models import F

    Execution.objects.filter(pk=execution_id, status=Status.SCHEDULED).update(
        dispatched_at=timezone.now(), dispatch_count=F("dispatch_count") + 1
    )
    return send_task(RUN_TASK, [execution_id], queue=row["queue"])
