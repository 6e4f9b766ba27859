"""Validation of a parsed graph: names, targets, reachability, joins, expression
syntax and (optionally) action refs. Every check reports; none stops the others."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from apps.core.expressions import ExpressionError, check_syntax

from .context import original
from .spec import ENGINE_COMMANDS, SpecError, TaskSpec, WorkflowSpec


def check_workflow(
    spec: WorkflowSpec, action_exists: Callable[[str], bool] | None
) -> tuple[list[SpecError], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """All problems of ``spec``, plus its start tasks and inbound map (which the
    conductor needs and which only a consistent graph defines)."""
    errors: list[SpecError] = []

    def error(task: str, where: str, reason: str) -> None:
        errors.append(SpecError(spec.file, task, where, reason))

    inbound: dict[str, list[str]] = {name: [] for name in spec.tasks}
    for task in spec.tasks.values():
        if task.name in ENGINE_COMMANDS:
            error(task.name, "name", f'"{task.name}" is reserved for the engine command')
        for transition in task.next:
            for target in transition.do:
                if target in ENGINE_COMMANDS:
                    continue
                if target not in spec.tasks:
                    error(task.name, f"{transition.origin}.do", f'unknown task "{target}"')
                elif task.name not in inbound[target]:
                    inbound[target].append(task.name)
    start = tuple(name for name, sources in inbound.items() if not sources)
    if not start:
        error("", "tasks", "no start task: every task has an inbound transition")
    else:
        reached = _reachable(spec, start)
        for name in spec.tasks:
            if name not in reached:
                error(name, "name", "is not reachable from any start task")
    for task in spec.tasks.values():
        _check_join(task, inbound[task.name], error)
        _check_task(task, action_exists, error)
    for name, value in spec.vars:
        _check_value(value, "", f"vars.{name}", error)
    for name, value in spec.output or ():
        _check_value(value, "", f"output.{name}", error)
    return errors, start, {name: tuple(sources) for name, sources in inbound.items()}


def _reachable(spec: WorkflowSpec, start: tuple[str, ...]) -> set[str]:
    seen = set(start)
    stack = list(start)
    while stack:
        for transition in spec.tasks[stack.pop()].next:
            for target in transition.do:
                if target in spec.tasks and target not in seen:
                    seen.add(target)
                    stack.append(target)
    return seen


Report = Callable[[str, str, str], None]


def _check_join(task: TaskSpec, sources: list[str], error: Report) -> None:
    if task.join is None:
        return
    if not sources:
        error(task.name, "join", "no transition leads to this task")
    elif isinstance(task.join, int) and task.join > len(sources):
        error(task.name, "join", f"waits for {task.join} tasks but only {len(sources)} lead here")


def _check_task(task: TaskSpec, action_exists: Callable[[str], bool] | None, error: Report) -> None:
    name = task.name
    if task.action is None:
        if task.with_items is not None:
            error(name, "with_items", "a task without an action cannot iterate")
    elif "{{" in task.action or "{%" in task.action:
        _check_value(task.action, name, "action", error)
    elif action_exists is not None and not action_exists(task.action):
        error(name, "action", f'unknown action "{task.action}"')
    for key, value in task.input.items():
        _check_value(value, name, f"input.{key}", error)
    if isinstance(task.with_items, str):
        _check_expression(task.with_items, name, "with_items", error)
    elif task.with_items is not None:
        _check_value(task.with_items, name, "with_items", error)
    if isinstance(task.concurrency, str):
        _check_expression(task.concurrency, name, "concurrency", error)
    if task.retry is not None and isinstance(task.retry.when, str):
        _check_expression(task.retry.when, name, "retry.when", error)
    for transition in task.next:
        if isinstance(transition.when, str):
            _check_expression(transition.when, name, f"{transition.origin}.when", error)
        for key, value in transition.publish:
            _check_value(value, name, f"{transition.origin}.publish.{key}", error)


def _check_expression(text: str, task: str, where: str, error: Report) -> None:
    try:
        check_syntax(text, expression=True)
    except ExpressionError as exc:
        error(task, where, f'{exc.reason} in expression "{original(exc.expression)}"')


def _check_value(value: Any, task: str, where: str, error: Report) -> None:
    for text in _strings(value):
        try:
            check_syntax(text)
        except ExpressionError as exc:
            error(task, where, f'{exc.reason} in expression "{original(exc.expression)}"')


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
