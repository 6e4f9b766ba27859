"""Requesting an execution: validate, store, schedule, dispatch on commit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core import schemas, signals
from apps.core.crypto import decrypt_json, encrypt_json, reseal
from apps.core.dispatch import EXECUTOR_QUEUE, send_many_on_commit, send_on_commit, send_task
from apps.core.errors import Conflict, InvalidInput, NotFound

from ..choices import WAITING, Status
from ..models import Action, Execution, ExecutionHistory
from ..runners import base as runner_registry
from .transitions import STATUS_CHANGED, transition

RUN_TASK = "executions.run"
LAUNCH_TASK = "executions.launch"


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
        found = Action.objects.filter(ref=action).first()
        if found is None:
            raise InvalidInput(field, f"no action named {action!r}")
    if not found.enabled:
        raise InvalidInput(field, f"action {found.ref} is disabled")
    return found


# Workflow advancement resolves the same few actions hundreds of times a second; each
# lookup costs a query. The executor remembers them briefly: a change made in this
# process is seen at once (saving or deleting an action empties the memory, see
# apps.py), one made in another process within ATTUNE_ACTION_CACHE_SECONDS.
_remembered: dict[str, tuple[float, Action]] = {}


def action_resolve_remembered(ref: str, *, field: str = "action") -> Action:
    """`action_resolve` for a ref, answered from memory when it was looked up less
    than ATTUNE_ACTION_CACHE_SECONDS ago."""
    now = time.monotonic()
    hit = _remembered.get(ref)
    if hit is not None and now - hit[0] < settings.ATTUNE_ACTION_CACHE_SECONDS:
        return action_resolve(hit[1], field=field)
    action = Action.objects.select_related("pack").filter(ref=ref).first()
    if action is None:
        raise InvalidInput(field, f"no action named {ref!r}")
    _remembered[ref] = (now, action)
    return action_resolve(action, field=field)


def actions_forget(**_: Any) -> None:
    _remembered.clear()


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


def parameters_secret(execution: Execution) -> dict[str, Any]:
    """The secret parameter values, decrypted: only for running or re-running."""
    if not execution.secret_parameters:
        return {}
    return decrypt_json(execution.secret_parameters, aad=secret_aad(execution.pk)) or {}


def secrets_reseal() -> int:
    """Seal every execution's secret parameters again under the current master key
    (key rotation, `manage.py keys_rotate`)."""
    count = 0
    rows = Execution.objects.exclude(secret_parameters="").values_list("pk", "secret_parameters")
    for pk, token in rows.iterator():
        sealed = reseal(token, aad=secret_aad(pk))
        if sealed is not None:
            count += Execution.objects.filter(pk=pk, secret_parameters=token).update(secret_parameters=sealed)
    return count


def secret_values(execution: Execution) -> list[str]:
    """The values to mask wherever this execution's output or data is shown."""
    return [str(value) for value in parameters_secret(execution).values() if value not in (None, "")]


def parameters_full(execution: Execution) -> dict[str, Any]:
    """Every parameter value in clear: only for running the action or re-running it."""
    return {**execution.parameters, **parameters_secret(execution)}


def queue_for(action: Action) -> str | None:
    runner = runner_registry.get(action.runner_type)
    resolve = getattr(runner, "queue_for", None)
    return resolve() if resolve else runner.queue


@dataclass
class NewExecution:
    """A validated request, ready to be stored (alone or in bulk)."""

    action: Action
    plain: dict[str, Any]
    hidden: dict[str, Any]
    queue: str | None
    user: Any = None
    cause: Cause = field(default_factory=Cause)
    parent: Execution | None = None
    context: dict[str, Any] = field(default_factory=dict)
    timeout: int | None = None
    task_name: str = ""
    task_run: int | None = None
    item_index: int | None = None
    attempt: int = 1
    delay: float = 0.0
    re_run_of: Execution | None = None


def carries_secret(value: Any, secrets: list[str]) -> bool:
    """Whether a parameter value holds one of `secrets` (inside a string, or as a
    whole scalar: a secret number stays a number)."""
    if not secrets:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value) in secrets
    if isinstance(value, list):
        return any(carries_secret(item, secrets) for item in value)
    if isinstance(value, dict):
        return any(carries_secret(item, secrets) for item in value.values())
    return isinstance(value, str) and value != schemas.MASK and schemas.mask_text(value, secrets) != value


def parameters_keep_secret(new: NewExecution, secrets: list[str]) -> None:
    """A parameter that carries one of `secrets` (a secret parameter of a workflow,
    an encrypted key a template read) is kept secret too: stored encrypted, shown
    masked, its value masked in the output, whatever the action's schema says."""
    for name, value in list(new.plain.items()):
        if carries_secret(value, secrets):
            new.hidden[name] = value
            new.plain[name] = schemas.MASK


def execution_prepare(
    *,
    action: Action | str,
    parameters: Any = None,
    user=None,
    cause: Cause | None = None,
    parent: Execution | None = None,
    context: dict[str, Any] | None = None,
    timeout: int | None = None,
    task_name: str = "",
    task_run: int | None = None,
    item_index: int | None = None,
    attempt: int = 1,
    delay: float = 0.0,
) -> NewExecution:
    """Validate a request (InvalidInput naming the field) without storing anything."""
    action = action_resolve(action)
    plain, hidden = parameters_prepare(action, parameters)
    return NewExecution(
        action=action, plain=plain, hidden=hidden, queue=queue_for(action), user=user, cause=cause or Cause(),
        parent=parent, context=context or {}, timeout=timeout, task_name=task_name, task_run=task_run,
        item_index=item_index, attempt=attempt, delay=delay,
    )


def executions_create(requests: list[NewExecution]) -> list[Execution]:
    """Store prepared requests in bulk: each is scheduled and sent to its runtime's
    queue once the transaction commits (or `delayed` until its start time, or started
    at once when its runner needs no worker)."""
    now = timezone.now()
    rows = []
    for new in requests:
        delayed = new.delay > 0
        runner_type = runner_registry.canonical(new.action.runner_type)
        # With a queue and no policy holding it back, an execution is created already
        # scheduled (its history still shows `requested` first): one write fewer on
        # the hottest path of the platform. A driven runner's execution waits
        # `requested` for the executor to launch it.
        if delayed:
            status = Status.DELAYED
        else:
            status = Status.SCHEDULED if new.queue else Status.REQUESTED
        dispatched = status == Status.SCHEDULED or (status == Status.REQUESTED and runner_registry.is_driven(runner_type))
        rows.append(Execution(
            action=new.action,
            action_ref=new.action.ref,
            runner_type=runner_type,
            queue=new.queue or "",
            status=status,
            parameters=new.plain,
            # A driven execution (a workflow) is bounded by its tasks' timeouts, not its own.
            timeout=None if runner_registry.is_driven(runner_type) else (
                new.timeout or new.action.timeout or settings.ATTUNE_DEFAULT_ACTION_TIMEOUT),
            user=new.user if getattr(new.user, "pk", None) else None,
            rule_ref=new.cause.rule_ref,
            trigger_ref=new.cause.trigger_ref,
            event_id=new.cause.event_id,
            parent=new.parent,
            root_id=(new.parent.root_id or new.parent.pk) if new.parent else None,
            context=new.context,
            task_name=new.task_name,
            task_run=new.task_run,
            item_index=new.item_index,
            attempt=new.attempt,
            re_run_of=new.re_run_of,
            not_before=now + timedelta(seconds=new.delay) if delayed else None,
            scheduled_at=now if status == Status.SCHEDULED else None,
            dispatched_at=now if dispatched else None,
            dispatch_count=1 if dispatched else 0,
        ))
    with transaction.atomic(savepoint=False):  # see transition(): the caller's transaction is the unit
        created = Execution.objects.bulk_create(rows)
        history = []
        for execution, new in zip(created, requests, strict=True):
            if new.hidden:
                execution.secret_parameters = encrypt_json(new.hidden, aad=secret_aad(execution.pk))
                Execution.objects.filter(pk=execution.pk).update(secret_parameters=execution.secret_parameters)
            history.append(ExecutionHistory(execution=execution, status=Status.REQUESTED, previous="", at=now))
            if execution.status != Status.REQUESTED:
                history.append(ExecutionHistory(execution=execution, status=execution.status,
                                                previous=Status.REQUESTED, at=now))
        ExecutionHistory.objects.bulk_create(history)
        for execution in created:
            signals.emit(STATUS_CHANGED, execution_id=execution.pk, status=execution.status, previous="",
                         action_ref=execution.action_ref, user_id=execution.user_id)
        send_many_on_commit([_message(e) for e in created if e.dispatched_at is not None])
        for execution in created:
            if execution.status == Status.REQUESTED and execution.dispatched_at is None:
                _run_without_worker(execution)
    return created


def _message(execution: Execution) -> tuple[str, list[Any], str]:
    """The message that moves a dispatched execution on: to its runtime's workers
    when scheduled, to the executor when a driven runner must launch it."""
    if execution.status == Status.SCHEDULED:
        return RUN_TASK, [execution.pk], execution.queue
    return LAUNCH_TASK, [execution.pk], EXECUTOR_QUEUE


def execution_request(**kwargs: Any) -> Execution:
    """Request an execution of `action` (see execution_prepare for the arguments).
    Parameters are validated against its schema (InvalidInput naming the field); the
    execution is stored, scheduled and sent to its runtime's queue once the
    transaction commits."""
    return executions_create([execution_prepare(**kwargs)])[0]


def executions_release_delayed(limit: int = 500) -> int:
    """Start delayed executions whose time has come (run by the scheduler)."""
    now = timezone.now()
    released = 0
    due = Execution.objects.filter(status=Status.DELAYED, not_before__lte=now).order_by("not_before")
    for pk, queue, runner_type in due.values_list("pk", "queue", "runner_type")[:limit]:
        with transaction.atomic():
            if queue:
                if transition(pk, to=Status.SCHEDULED, expected=Status.DELAYED, reason="start time reached",
                              scheduled_at=now, dispatched_at=now, dispatch_count=1):
                    send_on_commit(RUN_TASK, [pk], queue=queue)
                    released += 1
            elif runner_registry.is_driven(runner_type):
                if transition(pk, to=Status.REQUESTED, expected=Status.DELAYED, reason="start time reached",
                              dispatched_at=now, dispatch_count=1):
                    send_on_commit(LAUNCH_TASK, [pk], queue=EXECUTOR_QUEUE)
                    released += 1
            elif transition(pk, to=Status.REQUESTED, expected=Status.DELAYED, reason="start time reached"):
                _run_without_worker(Execution.objects.get(pk=pk))
                released += 1
    return released


def execution_rerun(*, execution_id: int, parameters: Any = None, user=None) -> Execution:
    """Run an execution's action again, with its parameters changed by `parameters`.
    Secret values are taken from the stored (encrypted) ones, never from the masked
    display: a secret given as `********`, or not given, keeps its stored value."""
    source = Execution.objects.select_related("action").filter(pk=execution_id).first()
    if source is None:
        raise NotFound(f"no execution {execution_id}")
    if source.action is None:
        raise Conflict(f"the action {source.action_ref} of execution {execution_id} no longer exists")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise InvalidInput("parameters", "must be an object")
    stored = parameters_secret(source)
    values = {name: value for name, value in source.parameters.items() if name not in stored}
    values.update(stored)
    values.update({name: value for name, value in parameters.items()
                   if not (name in stored and value == schemas.MASK)})
    new = execution_prepare(action=source.action, parameters=values, user=user)
    # What was secret stays secret (e.g. a value a rule took from an encrypted key),
    # whatever the action's schema says.
    for name in stored:
        if name in new.plain and new.plain[name] is not None and new.plain[name] != schemas.MASK:
            new.hidden[name] = new.plain[name]
            new.plain[name] = schemas.MASK
    new.re_run_of = source
    return executions_create([new])[0]


def execution_launch(*, execution_id: int) -> bool:
    """Launch a requested execution of a driven runner (a workflow) on the executor.
    Safe to run twice: the row is locked and only a `requested` one is launched."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update().filter(pk=execution_id, status=Status.REQUESTED).first()
        if execution is None:
            return False
        runner_registry.get(execution.runner_type).launch(execution)
    return True


def _run_without_worker(execution: Execution) -> None:
    """Runners with neither a queue nor a launch (noop) complete right here."""
    runner = runner_registry.get(execution.runner_type)
    transition(execution.pk, to=Status.SCHEDULED, expected=Status.REQUESTED, scheduled_at=timezone.now())
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, started_at=timezone.now())
    outcome = runner.run(None)  # type: ignore[arg-type]
    transition(
        execution.pk, to=outcome.status, expected=Status.RUNNING, result=outcome.result,
        exit_code=outcome.exit_code, error=outcome.error,
    )
    execution.refresh_from_db()


def execution_redispatch(*, execution_id: int) -> bool:
    """Send a dispatched execution's message again (its first one may be lost): a
    scheduled one to its workers, a requested one of a driven runner to the executor."""
    execution = (
        Execution.objects.filter(pk=execution_id, status__in=WAITING, dispatched_at__isnull=False)
        .only("pk", "status", "queue", "runner_type")
        .first()
    )
    if execution is None or (execution.status == Status.SCHEDULED and not execution.queue):
        return False
    Execution.objects.filter(pk=execution_id, status=execution.status).update(
        dispatched_at=timezone.now(), dispatch_count=F("dispatch_count") + 1
    )
    name, args, queue = _message(execution)
    return send_task(name, args, queue=queue)
