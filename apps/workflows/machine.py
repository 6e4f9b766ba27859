"""The conductor's shared core: its state, expression scope and small helpers.

Split from conductor.py only to keep modules small: :class:`Machine` is the base of
the launching (launching.py) and routing (routing.py) halves, which
:class:`~.conductor.Conductor` combines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.core.expressions import ExpressionError, evaluate, truthy

from .context import Scope, original
from .spec import WorkflowSpec
from .state import State, new_instance

#: Workflow statuses after which nothing changes.
TERMINAL = frozenset({"succeeded", "failed", "canceled"})

ItemResults = Callable[[str, int, int, int], list[Any]]


class ConductorError(ValueError):
    """A call the conductor cannot accept (unknown run, bad status, started twice)."""


@dataclass
class TaskRun:
    """A request to run one action once."""

    run_id: int
    task: str
    action: str
    input: dict[str, Any]
    item_index: int | None
    attempt: int
    delay: float  # seconds to wait before starting (task delay, retry delay)
    timeout: float | None


class Machine:
    """State and helpers shared by the conductor's halves."""

    spec: WorkflowSpec
    _s: State
    _scope: Scope
    _item_results: ItemResults | None
    #: run id → record for tasks(), for runs this object started or completed; in memory only.
    _journal: dict[int, dict[str, Any]]
    #: instance id → {item_index: result} for instances prepared by this object.
    _item_cache: dict[int, dict[int, Any]]

    def _setup(self, spec: WorkflowSpec, state: State, item_results: ItemResults | None,
               keystore: Any = None) -> None:
        self.spec = spec
        self._s = state
        self._item_results = item_results
        #: A live keystore mapping (never part of the state: it reads keys on demand).
        self.keystore = keystore
        extra = state.context if keystore is None else {**state.context, "keystore": keystore}
        self._scope = Scope(state.parameters, state.variables, state.tasks, extra, self._task_status)
        self._journal = {}
        self._item_cache = {}

    # Implemented by the halves; declared here so each half can call the other.
    def _advance(self) -> list[TaskRun]:
        raise NotImplementedError

    def _finish(self, inst: dict[str, Any], status: str, result: Any, *, evaluate_next: bool = True) -> None:
        raise NotImplementedError

    def _settle(self) -> None:
        raise NotImplementedError

    def _holds(self, expression: Any, status: str | None, result: Any, task: str, field: str,
               names: dict[str, Any] | None = None) -> bool | None:
        """Truth of a condition for the current task; None after an expression error."""
        self._scope.current = (status, result)
        try:
            return truthy(evaluate(expression, names if names is not None else self._scope.names()))
        except ExpressionError as exc:
            self._expression_error(task, field, exc)
            return None
        finally:
            self._scope.current = (None, None)

    def _expression_error(self, task: str | None, field: str, exc: ExpressionError) -> None:
        text = original(exc.expression)
        where = f'task "{task}", {field}' if task else field
        self._fail({"type": "error", "task": task, "field": field, "expression": text,
                    "message": f'{where}: {exc.reason} in expression "{text}"'})

    def _fail(self, error: dict[str, Any]) -> None:
        self._s.errors.append(error)
        self._s.failing = True

    def _new_instance(self, task: str, *, exempt: bool, base: int = 0, rounds: int = 0) -> dict[str, Any]:
        s = self._s
        inst = new_instance(s.next_instance, task, exempt=exempt, base=base, rounds=rounds)
        s.next_instance += 1
        s.instances[inst["id"]] = inst
        return inst

    def _next_run(self) -> int:
        run_id = self._s.next_run
        self._s.next_run += 1
        return run_id

    def _task_status(self, name: str) -> str | None:
        if any(inst["task"] == name and not inst["new"] for inst in self._s.instances.values()):
            return "running"
        entry = self._s.tasks.get(name)
        return entry["status"] if entry else None


def run_record(run_id: int, run: dict[str, Any]) -> dict[str, Any]:
    """The tasks() record of an active run (from its state entry)."""
    return record(run_id, run["task"], run["action"], run["input"], run["item_index"], run["attempt"])


def record(run_id: int, name: str, action: str | None, given: dict[str, Any], index: int | None, attempt: int,
           status: str = "running") -> dict[str, Any]:
    """A tasks() record: one run, as the simulation reports it."""
    return {"run_id": run_id, "name": name, "action": action, "input": given, "item_index": index,
            "attempt": attempt, "status": status, "result": None}
