"""The conductor: a pure, deterministic workflow state machine (no I/O, no Django).

Given a :class:`~.spec.WorkflowSpec`, the workflow's parameters and the outcomes of
the runs it asked for, it decides which runs start next, with what input, and the
workflow's status, variables and output. The orchestrator executes the runs and
reports back; nothing here waits, sleeps or touches a database.

API::

    c = Conductor(spec, parameters, context={"config": …, "keystore": …, "system": …})
    runs = c.start()                              # list[TaskRun] to start, in order
    runs = c.complete(run_id, status, result)     # status: succeeded|failed|timeout|canceled|abandoned
    c.pause(); runs = c.resume(); c.cancel()
    c.status      # running | pausing | paused | canceling | canceled | succeeded | failed
    c.output, c.errors, c.variables, c.active     # active: run ids started, not completed
    c.tasks()     # runs this object has seen, in start order (not persisted)
    state = c.to_state()                          # JSON; see state.py for the format
    c = Conductor.from_state(spec, state, item_results=loader)

Item results loader (``ItemResults``)::

    item_results(task: str, first_run_id: int, last_run_id: int, count: int) -> list[Any]

returns ``count`` values: element *i* is the result of the run of ``task`` with
``item_index == i`` and the highest run id in ``[first_run_id, last_run_id]`` (its
last attempt), or None if no such run. Called once, inside the ``complete()`` that
finishes a with_items task, and only if its iteration began before the conductor was
restored (a conductor keeps the results of iterations it began in memory). The
results of the run being completed must already be visible to the loader. Two
executions of the same with_items task never iterate at the same time (the second
waits for the first), so the range is unambiguous.

Every run gets a run id, also routing-only tasks (no action), which complete at once
and are never returned as TaskRuns; run ids therefore increase in start order.
"""

from __future__ import annotations

from typing import Any

from apps.core.expressions import ExpressionError, render

from .launching import Launching
from .machine import TERMINAL, ConductorError, ItemResults, TaskRun, run_record
from .routing import Routing
from .spec import WorkflowSpec
from .state import State

__all__ = ["Conductor", "ConductorError", "ItemResults", "TaskRun", "RUN_STATUSES", "TERMINAL"]

#: Statuses a run may end with.
RUN_STATUSES = frozenset({"succeeded", "failed", "timeout", "canceled", "abandoned"})


class Conductor(Launching, Routing):
    """See the module docstring. Launching (launching.py) starts runs; Routing
    (routing.py) finishes tasks and follows their transitions."""

    def __init__(self, spec: WorkflowSpec, parameters: dict[str, Any], *, context: dict[str, Any] | None = None):
        merged = {name: default for name, default in spec.input}
        merged.update(parameters or {})
        extra = {key: (context or {}).get(key) or {} for key in ("config", "keystore", "system")}
        # A plain dict keystore (offline simulation) is data and kept in the state; a
        # live mapping (the key store) is not: it reads, and decrypts, on demand.
        live = None if isinstance(extra["keystore"], dict) else extra["keystore"]
        if live is not None:
            extra["keystore"] = {}
        self._setup(spec, State(parameters=merged, context=extra), None, keystore=live)

    # --- public API --------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._s.status

    @property
    def output(self) -> Any:
        return self._s.output

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self._s.errors

    @property
    def variables(self) -> dict[str, Any]:
        return self._s.variables

    @property
    def active(self) -> list[int]:
        return list(self._s.runs)

    def tasks(self) -> list[dict[str, Any]]:
        """Runs known to this object (started by it, or active when it was restored),
        in start order: run_id, name, action (None: routing task), input, item_index,
        attempt, status (running until completed), result."""
        records = dict(self._journal)
        for run_id, run in self._s.runs.items():
            if run_id not in records:  # active when this object was restored
                records[run_id] = run_record(run_id, run)
        return [dict(record) for _, record in sorted(records.items())]

    def to_state(self) -> dict[str, Any]:
        """The JSON-serialisable state (format in state.py)."""
        return self._s.to_dict()

    @classmethod
    def from_state(
        cls, spec: WorkflowSpec, state: dict[str, Any], *, item_results: ItemResults | None = None,
        keystore: Any = None,
    ) -> Conductor:
        """A conductor continuing from :meth:`to_state`; ``item_results`` as in the
        module docstring; ``keystore`` a live key store mapping (not kept in the state)."""
        conductor = cls.__new__(cls)
        conductor._setup(spec, State.from_dict(state), item_results, keystore=keystore)
        return conductor

    def start(self) -> list[TaskRun]:
        """Render ``vars`` and return the start tasks' runs."""
        s = self._s
        if s.started:
            raise ConductorError("the workflow has already started")
        s.started = True
        for name, value in self.spec.vars:
            try:
                s.variables[name] = render(value, self._scope.names())
            except ExpressionError as exc:
                self._expression_error(None, f"vars.{name}", exc)
                break
            self._scope.invalidate()
        if not s.failing:
            for name in self.spec.start:
                self._new_instance(name, exempt=False)
        return self._advance()

    def complete(self, run_id: int, status: str, result: Any) -> list[TaskRun]:
        """Record the outcome of a run; return the runs to start now."""
        s = self._s
        run = s.runs.pop(run_id, None)
        if run is None:
            raise ConductorError(f"run {run_id} is not active")
        if status not in RUN_STATUSES:
            s.runs[run_id] = run
            raise ConductorError(f"unknown run status {status!r}")
        entry = self._journal.get(run_id)
        if entry is None:
            entry = self._journal[run_id] = run_record(run_id, run)
        entry["status"], entry["result"] = status, result
        inst = s.instances[run["instance"]]
        inst["active"] -= 1
        task = self.spec.tasks[run["task"]]
        if status == "canceled" and s.status not in ("canceling", "canceled"):
            s.status = "canceling"  # a child canceled on its own cancels the workflow (Orquesta)
        if self._should_retry(task, inst, run, status, result):
            retry = run["attempt"] - inst["base"]
            inst["queue"].append([run["item_index"], run["attempt"] + 1, task.retry.delay_for(retry), run["input"],
                                  run["item"]])
        elif inst["iterating"]:
            inst["done"] += 1
            cache = self._item_cache.get(inst["id"])
            if cache is not None:
                cache[run["item_index"]] = result
            if status != "succeeded" and inst["failed"] is None:
                inst["failed"] = "canceled" if status == "canceled" else "failed"
            if inst["active"] == 0 and not inst["queue"] and (inst["failed"] or not inst["items"]):
                self._finish(inst, inst["failed"] or "succeeded", None)
        else:
            inst["attempt"] = run["attempt"]
            self._finish(inst, status, result)
        return self._advance()

    def pause(self) -> None:
        """Start nothing new; ``paused`` once the active runs have completed."""
        if self._s.status == "running":
            self._s.status = "pausing"
            self._settle()

    def resume(self) -> list[TaskRun]:
        """Continue a paused (or pausing) workflow; return the runs held back meanwhile."""
        if self._s.status not in ("paused", "pausing"):
            return []
        self._s.status = "running"
        return self._advance()

    def cancel(self) -> None:
        """Start nothing new; ``canceled`` once the active runs have completed."""
        if self._s.status not in TERMINAL and self._s.status != "canceling":
            self._s.status = "canceling"
            self._settle()

    # --- workflow status -------------------------------------------------------------

    def _settle(self) -> None:
        """Move to paused / canceled / succeeded / failed when nothing is active."""
        s = self._s
        if s.runs or s.status in TERMINAL or s.status == "paused":
            return
        if s.status == "canceling":
            self._end("canceled")
            return
        if any(inst["exempt"] or not s.failing for inst in s.instances.values()):
            if s.status == "pausing":
                s.status = "paused"
            return
        if not s.failing:
            self._unreachable_joins()
        self._end("failed" if s.failing else "succeeded")

    def _end(self, status: str) -> None:
        """Render the output (whatever the status) and take the final status."""
        s = self._s
        s.instances.clear()
        s.joins.clear()
        self._item_cache.clear()
        output: dict[str, Any] | None = None if self.spec.output is None else {}
        for key, value in self.spec.output or ():
            try:
                output[key] = render(value, self._scope.names())
            except ExpressionError as exc:
                self._expression_error(None, f"output.{key}", exc)
        s.output = output
        s.status = "canceled" if status == "canceled" else ("failed" if s.failing else status)
