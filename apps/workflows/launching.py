"""Launching runs: first attempts, with_items slots and retries (a half of the conductor)."""

from __future__ import annotations

from typing import Any

from apps.core.expressions import ExpressionError, evaluate, render

from .machine import Machine, TaskRun, record
from .spec import TaskSpec


class Launching(Machine):
    """Turns the instances (task executions) that may progress into TaskRuns."""

    def _advance(self) -> list[TaskRun]:
        out: list[TaskRun] = []
        s = self._s
        progressed = True
        # Finishing a task (a routing node, an empty with_items, an error) may create
        # instances; loop until a pass launches nothing new.
        while progressed and s.status == "running":
            progressed = False
            for inst in list(s.instances.values()):
                if inst["id"] in s.instances and (inst["exempt"] or not s.failing):
                    progressed = self._launch(inst, out) or progressed
        self._settle()
        return out

    def _launch(self, inst: dict[str, Any], out: list[TaskRun]) -> bool:
        """Start what ``inst`` may start now; True if it finished (graph changed)."""
        task = self.spec.tasks[inst["task"]]
        if inst["new"]:
            if task.with_items is not None and any(
                other["task"] == task.name and other["iterating"] for other in self._s.instances.values()
            ):
                return False  # one iteration of a task at a time: see ItemResults
            inst["new"] = False
            if task.action is None:
                run_id = self._next_run()
                self._journal[run_id] = record(run_id, task.name, None, {}, None, 1, "succeeded")
                self._finish(inst, "succeeded", None)
                return True
            if task.with_items is None:
                if not inst["queue"]:
                    inst["queue"].append([None, inst["base"] + 1, task.delay, None, None])
            elif not self._prepare_items(inst, task):
                return True
        while inst["queue"]:
            index, attempt, delay, given, item = inst["queue"].pop(0)
            if not self._start_run(inst, task, index, attempt, delay, given, out, item):
                return True
        while inst["iterating"] and inst["failed"] is None and inst["items"] and inst["active"] < inst["concurrency"]:
            item = inst["items"].pop(0)
            inst["next"] += 1
            if not self._start_run(inst, task, inst["next"] - 1, inst["base"] + 1, task.delay, None, out, item):
                return True
        return False

    def _prepare_items(self, inst: dict[str, Any], task: TaskSpec) -> bool:
        """Evaluate with_items and concurrency; False if that failed (task finished)."""
        names = self._scope.names()
        try:
            field = "with_items"
            items = evaluate(task.with_items, names) if isinstance(task.with_items, str) else render(
                task.with_items, names)
            if not isinstance(items, (list, tuple)):
                raise ExpressionError(task.with_items if isinstance(task.with_items, str) else "",
                                      f"with_items must produce a list, not {type(items).__name__}")
            field = "concurrency"
            concurrency = evaluate(task.concurrency, names)
            if not isinstance(concurrency, int) or isinstance(concurrency, bool):
                raise ExpressionError(str(task.concurrency), "concurrency must be an integer")
        except ExpressionError as exc:
            self._expression_error(task.name, field, exc)
            self._finish(inst, "failed", None, evaluate_next=False)
            return False
        inst.update(iterating=True, items=list(items), count=len(items), concurrency=max(concurrency, 1))
        self._item_cache[inst["id"]] = {}
        if not items:
            self._finish(inst, "succeeded", None)
            return False
        return True

    def _start_run(self, inst: dict[str, Any], task: TaskSpec, index: int | None, attempt: int, delay: float,
                   given: dict[str, Any] | None, out: list[TaskRun], item: Any = None) -> bool:
        """Render and record one run; False if rendering failed (the workflow fails)."""
        field = "input"
        try:
            action = task.action
            if given is None:
                names = self._scope.names() if index is None else self._scope.with_item(item, index)
                if "{{" in action or "{%" in action:
                    field = "action"
                    action = render(action, names)
                    if not isinstance(action, str) or not action:
                        raise ExpressionError(task.action, "the action must render to an action ref")
                rendered = {}
                for key, value in task.input.items():
                    field = f"input.{key}"
                    rendered[key] = render(value, names)
                given = rendered
        except ExpressionError as exc:
            self._expression_error(task.name, field, exc)
            inst["failed"] = "failed"
            inst["broken"] = True  # the error is the report: no transitions
            if inst["active"] == 0:
                self._finish(inst, "failed", None)
            return False
        run_id = self._next_run()
        if inst["iterating"]:  # the run-id range the item results loader searches
            if inst["first"] is None:
                inst["first"] = run_id
            inst["last"] = run_id
        inst["active"] += 1
        self._s.runs[run_id] = {"id": run_id, "instance": inst["id"], "task": task.name, "action": action,
                                "input": given, "item_index": index, "item": item, "attempt": attempt,
                                "delay": delay, "timeout": task.timeout}
        self._journal[run_id] = record(run_id, task.name, action, given, index, attempt)
        out.append(TaskRun(run_id, task.name, action, given, index, attempt, delay, task.timeout))
        return True

    def _should_retry(self, task: TaskSpec, inst: dict[str, Any], run: dict[str, Any], status: str,
                      result: Any) -> bool:
        policy = task.retry
        if policy is None or status == "canceled" or self._s.status in ("canceling", "canceled"):
            return False
        if (self._s.failing and not inst["exempt"]) or inst["failed"] is not None:
            return False  # nothing new starts; a failed item stops its siblings' retries too
        if run["attempt"] - inst["base"] > policy.count:
            return False
        names = None if run["item_index"] is None else self._scope.with_item(run["item"], run["item_index"])
        return bool(self._holds(policy.when, status, result, task.name, "retry.when", names))
