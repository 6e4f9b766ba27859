"""Parsing a workflow graph file into an immutable :class:`WorkflowSpec`.

Accepts FORMATS.md "Workflow" and StackStorm's spellings (tasks as a map, ``with:``,
``output_map``, legacy ``on_success``/``on_failure``/``on_complete``/``on_timeout``
and task-level ``publish``). Every problem is collected — not just the first — as a
:class:`SpecError` naming the file, the task and the field; the graph and expression
checks live in :mod:`.checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .context import prepare, prepare_value

#: Engine commands usable in ``do`` (and so forbidden as task names).
ENGINE_COMMANDS = frozenset({"continue", "noop", "fail", "retry"})
BACKOFFS = ("constant", "linear", "exponential")
_TASK_FIELDS = frozenset({
    "name", "action", "input", "next", "join", "with_items", "with", "concurrency", "retry", "delay", "timeout",
    "publish", "on_success", "on_failure", "on_complete", "on_timeout", "description",
})
_TOP_FIELDS = frozenset({"version", "description", "input", "vars", "tasks", "output", "output_map"})
# Legacy fields, in the order their transitions are appended after `next`.
_LEGACY = (
    ("on_success", "{{ succeeded() }}"),
    ("on_failure", "{{ failed() }}"),
    ("on_complete", None),
    ("on_timeout", "{{ timed_out() }}"),
)


@dataclass(frozen=True)
class SpecError:
    """One problem in a graph file."""

    file: str
    task: str
    field: str
    reason: str

    def __str__(self) -> str:
        parts = [self.file, *([f"task {self.task}"] if self.task else []), *([self.field] if self.field else [])]
        return ": ".join([*parts, self.reason])


class WorkflowSpecError(Exception):
    """The graph file is invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = list(errors)
        super().__init__("invalid workflow:\n" + "\n".join(f"  {error}" for error in self.errors))


@dataclass(frozen=True)
class Retry:
    """A task's retry policy: ``count`` extra attempts while ``when`` holds."""

    count: int
    delay: float = 0.0
    backoff: str = "constant"
    max_delay: float | None = None
    when: Any = "{{ failed() }}"

    def delay_for(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the second attempt)."""
        if self.backoff == "linear":
            seconds = self.delay * retry
        elif self.backoff == "exponential":
            seconds = self.delay * 2 ** (retry - 1)
        else:
            seconds = self.delay
        return float(min(seconds, self.max_delay) if self.max_delay is not None else seconds)


@dataclass(frozen=True)
class Transition:
    """One ``next`` entry. ``origin`` names it in errors (``next[0]``, ``on_failure``)."""

    origin: str
    when: Any = None  # None: always
    publish: tuple[tuple[str, Any], ...] = ()
    do: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    """One task. ``action`` None: a routing node, completed by the conductor itself."""

    name: str
    action: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    next: tuple[Transition, ...] = ()
    join: str | int | None = None
    with_items: Any = None  # None: no iteration; an expression string or a list
    concurrency: Any = 1
    retry: Retry | None = None
    delay: float = 0.0
    timeout: float | None = None


@dataclass(frozen=True)
class WorkflowSpec:
    """A parsed, validated graph. ``start``: tasks without an inbound transition;
    ``inbound``: for each task, the distinct tasks that transition to it."""

    file: str
    version: Any
    input: tuple[tuple[str, Any], ...]
    vars: tuple[tuple[str, Any], ...]
    tasks: dict[str, TaskSpec]
    output: tuple[tuple[str, Any], ...] | None
    start: tuple[str, ...]
    inbound: dict[str, tuple[str, ...]]


def parse_workflow(
    data: Any, *, file: str = "<workflow>", action_exists: Callable[[str], bool] | None = None
) -> WorkflowSpec:
    """Parse and validate a graph (already-loaded YAML/JSON data).

    ``action_exists(ref)``, when given, is asked about every literal action ref.
    Raises :class:`WorkflowSpecError` listing every problem.
    """
    from .checks import check_workflow  # checks imports this module's dataclasses

    parser = _Parser(file)
    spec = parser.workflow(data)
    if spec is not None and spec.tasks:
        errors, start, inbound = check_workflow(spec, action_exists)
        parser.errors.extend(errors)
        spec = replace(spec, start=start, inbound=inbound)
    if parser.errors or spec is None:
        raise WorkflowSpecError(parser.errors)
    return spec


def load_workflow(path: str | Path, *, action_exists: Callable[[str], bool] | None = None) -> WorkflowSpec:
    """Read a YAML graph file and :func:`parse_workflow` it (errors name the path)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WorkflowSpecError([SpecError(str(path), "", "", f"cannot read the workflow: {exc}")]) from exc
    return parse_workflow(data, file=str(path), action_exists=action_exists)


class _Parser:
    """Builds the spec while collecting structural errors."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[SpecError] = []

    def error(self, task: str, where: str, reason: str) -> None:
        self.errors.append(SpecError(self.file, task, where, reason))

    def workflow(self, data: Any) -> WorkflowSpec | None:
        if not isinstance(data, dict):
            self.error("", "", "a workflow must be a mapping")
            return None
        for key in data:
            if key not in _TOP_FIELDS:
                self.error("", str(key), "unknown field")
        output_raw = data.get("output", data.get("output_map"))
        tasks = self.tasks(data.get("tasks"))
        return WorkflowSpec(
            file=self.file,
            version=data.get("version"),
            input=self.inputs(data.get("input")),
            vars=self.pairs("", "vars", data.get("vars")),
            tasks=tasks,
            output=None if output_raw is None else self.pairs("", "output", output_raw),
            start=(),
            inbound={},
        )

    def pairs(self, task: str, where: str, value: Any) -> tuple[tuple[str, Any], ...]:
        """A map, or a list of one-key maps, as ordered (name, template) pairs."""
        if value is None:
            return ()
        if isinstance(value, dict):
            return tuple((str(key), prepare_value(item)) for key, item in value.items())
        if isinstance(value, list):
            out = []
            for index, entry in enumerate(value):
                if isinstance(entry, dict) and len(entry) == 1:
                    ((key, item),) = entry.items()
                    out.append((str(key), prepare_value(item)))
                else:
                    self.error(task, f"{where}[{index}]", "expected a map with one key")
            return tuple(out)
        self.error(task, where, "expected a map or a list of one-key maps")
        return ()

    def inputs(self, value: Any) -> tuple[tuple[str, Any], ...]:
        """Workflow ``input``: names (default null) or name → default."""
        if isinstance(value, list):
            out: list[tuple[str, Any]] = []
            for index, entry in enumerate(value):
                if isinstance(entry, str):
                    out.append((entry, None))
                elif isinstance(entry, dict) and len(entry) == 1:
                    ((key, default),) = entry.items()
                    out.append((str(key), default))
                else:
                    self.error("", f"input[{index}]", "expected a name or a map with one key")
            return tuple(out)
        if value is None or isinstance(value, dict):
            return tuple((str(k), v) for k, v in (value or {}).items())
        self.error("", "input", "expected a list of names or a map of defaults")
        return ()

    def tasks(self, value: Any) -> dict[str, TaskSpec]:
        if not value:
            self.error("", "tasks", "a workflow needs at least one task")
            return {}
        if isinstance(value, dict):
            entries = [(str(name), raw) for name, raw in value.items()]
        elif isinstance(value, list):
            entries = []
            for index, raw in enumerate(value):
                name = raw.get("name") if isinstance(raw, dict) else None
                if not isinstance(name, str) or not name.strip():
                    self.error("", f"tasks[{index}].name", "a task needs a name")
                    continue
                entries.append((name, raw))
        else:
            self.error("", "tasks", "expected a list of tasks or a map of name → task")
            return {}
        tasks: dict[str, TaskSpec] = {}
        for name, raw in entries:
            if name in tasks:
                self.error(name, "name", "duplicate task name")
                continue
            task = self.task(name, raw)
            if task is not None:
                tasks[name] = task
        return tasks

    def task(self, name: str, raw: Any) -> TaskSpec | None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.error(name, "", "a task must be a mapping")
            return None
        for key in raw:
            if key not in _TASK_FIELDS:
                self.error(name, str(key), "unknown field")
        action = raw.get("action")
        if action is not None and (not isinstance(action, str) or not action.strip()):
            self.error(name, "action", "must be an action ref")
            action = None
        task_input = raw.get("input") or {}
        if not isinstance(task_input, dict):
            self.error(name, "input", "must be a map")
            task_input = {}
        with_items, concurrency = self.items(name, raw)
        return TaskSpec(
            name=name,
            action=prepare(action) if action else None,
            input=prepare_value(task_input),
            next=self.transitions(name, raw),
            join=self.join(name, raw.get("join")),
            with_items=with_items,
            concurrency=concurrency,
            retry=self.retry(name, raw.get("retry")),
            delay=self.seconds(name, "delay", raw.get("delay"), 0.0, zero=True) or 0.0,
            timeout=self.seconds(name, "timeout", raw.get("timeout"), None, zero=False),
        )

    def transitions(self, name: str, raw: dict[str, Any]) -> tuple[Transition, ...]:
        out: list[Transition] = []
        entries = raw.get("next") or []
        if not isinstance(entries, list):
            self.error(name, "next", "must be a list of transitions")
            entries = []
        for index, entry in enumerate(entries):
            origin = f"next[{index}]"
            if not isinstance(entry, dict):
                self.error(name, origin, "a transition must be a map of when/publish/do")
                continue
            for key in entry:
                if key not in ("when", "publish", "do"):
                    self.error(name, f"{origin}.{key}", "unknown field")
            when = entry.get("when")
            out.append(Transition(
                origin=origin,
                when=prepare(when, expression=True) if isinstance(when, str) else when,
                publish=self.pairs(name, f"{origin}.publish", entry.get("publish")),
                do=self.targets(name, f"{origin}.do", entry.get("do")),
            ))
        publish = self.pairs(name, "publish", raw.get("publish"))
        for key, when in _LEGACY:
            targets = self.targets(name, key, raw.get(key))
            if raw.get(key) is not None or (key == "on_success" and publish):
                out.append(Transition(origin=key, when=when, publish=publish if key == "on_success" else (),
                                      do=targets))
        return tuple(out)

    def targets(self, task: str, where: str, value: Any) -> tuple[str, ...]:
        """A ``do`` list: a list of names or one string (comma-separated allowed)."""
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value):
            return tuple(item.strip() for item in value)
        self.error(task, where, "expected a task name or a list of task names")
        return ()

    def join(self, name: str, value: Any) -> str | int | None:
        if value is None or value == "all":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.error(name, "join", 'must be "all" or a positive integer')
        return None

    def items(self, name: str, raw: dict[str, Any]) -> tuple[Any, Any]:
        items, concurrency = raw.get("with_items"), raw.get("concurrency", 1)
        with_ = raw.get("with")
        if with_ is not None:
            if items is not None:
                self.error(name, "with", "use either with or with_items")
            if isinstance(with_, dict):
                items = with_.get("items")
                concurrency = with_.get("concurrency", concurrency)
                for key in with_:
                    if key not in ("items", "concurrency"):
                        self.error(name, f"with.{key}", "unknown field")
            else:
                items = with_
        if items is not None and not isinstance(items, (str, list)):
            self.error(name, "with_items", "must be an expression or a list")
            items = None
        if isinstance(items, str):
            items = prepare(items, expression=True)
        elif isinstance(items, list):
            items = prepare_value(items)
        if isinstance(concurrency, str):
            concurrency = prepare(concurrency, expression=True)
        elif concurrency is None:
            concurrency = 1
        elif not isinstance(concurrency, int) or isinstance(concurrency, bool):
            self.error(name, "concurrency", "must be an integer or an expression")
            concurrency = 1
        return items, concurrency

    def retry(self, name: str, value: Any) -> Retry | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(name, "retry", "must be a map of count, delay, backoff, max_delay, when")
            return None
        for key in value:
            if key not in ("count", "delay", "backoff", "max_delay", "when"):
                self.error(name, f"retry.{key}", "unknown field")
        count = value.get("count", 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            self.error(name, "retry.count", "must be an integer ≥ 0")
            count = 0
        backoff = value.get("backoff", "constant")
        if backoff not in BACKOFFS:
            self.error(name, "retry.backoff", f"must be one of {', '.join(BACKOFFS)}")
            backoff = "constant"
        when = value.get("when", "{{ failed() }}")
        return Retry(
            count=count,
            delay=self.seconds(name, "retry.delay", value.get("delay"), 0.0, zero=True) or 0.0,
            backoff=backoff,
            max_delay=self.seconds(name, "retry.max_delay", value.get("max_delay"), None, zero=True),
            when=prepare(when, expression=True) if isinstance(when, str) else when,
        )

    def seconds(self, name: str, where: str, value: Any, default: float | None, *, zero: bool) -> float | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (value == 0 and not zero):
            self.error(name, where, "must be a number of seconds " + ("≥ 0" if zero else "> 0"))
            return default
        return float(value)
