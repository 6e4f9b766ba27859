"""Finishing tasks: results, transitions, publishes, engine commands and joins
(a half of the conductor)."""

from __future__ import annotations

from typing import Any

from apps.core.expressions import ExpressionError, render

from .context import FAILED
from .machine import ConductorError, Machine
from .spec import TaskSpec, Transition

#: ``do: retry`` on a task without a retry policy retries up to this many times.
DEFAULT_RETRIES = 3


class Routing(Machine):
    """What happens when a task execution ends."""

    def _finish(self, inst: dict[str, Any], status: str, result: Any, *, evaluate_next: bool = True) -> None:
        """A task execution ended: record it, then evaluate its transitions."""
        s = self._s
        del s.instances[inst["id"]]
        task = self.spec.tasks[inst["task"]]
        if inst["iterating"]:
            result = self._collect(inst, task)
        s.tasks[task.name] = {"status": status, "result": result}
        if not evaluate_next or inst.get("broken") or status == "canceled" or s.status in ("canceling", "canceled"):
            return
        self._transitions(task, inst, status, result)

    def _collect(self, inst: dict[str, Any], task: TaskSpec) -> list[Any]:
        count = inst["count"]
        cache = self._item_cache.pop(inst["id"], None)
        if cache is not None or inst["first"] is None:
            cache = cache or {}
            return [cache.get(index) for index in range(count)]
        if self._item_results is None:
            raise ConductorError(f"task {task.name}: item results are needed but no item_results loader was given")
        results = list(self._item_results(task.name, inst["first"], inst["last"], count))
        return (results + [None] * count)[:count]

    def _transitions(self, task: TaskSpec, inst: dict[str, Any], status: str, result: Any) -> None:
        handled = False
        for transition in task.next:
            if transition.when is not None:
                holds = self._holds(transition.when, status, result, task.name, f"{transition.origin}.when")
                if holds is None:
                    return  # expression error: the workflow fails
                if not holds:
                    continue
            if not self._publish(task, transition, status, result):
                return
            targets = transition.do or ("continue",)
            beside_fail = "fail" in targets
            if beside_fail:
                self._fail({"type": "error", "task": task.name, "field": f"{transition.origin}.do",
                            "message": f'task "{task.name}" failed the workflow (do: fail)'})
            for target in targets:
                if target == "noop":
                    handled = True
                elif target == "retry":
                    handled = self._rerun(task, inst) or handled
                elif target not in ("continue", "fail"):
                    handled = True
                    self._schedule(target, task.name, exempt=beside_fail)
        if status in FAILED and not handled:
            error = {"type": "error", "task": task.name, "message": f'task "{task.name}" ended {status}'}
            if not inst["iterating"]:
                error["result"] = result
            self._fail(error)

    def _publish(self, task: TaskSpec, transition: Transition, status: str, result: Any) -> bool:
        self._scope.current = (status, result)
        try:
            for key, value in transition.publish:
                try:
                    self._s.variables[key] = render(value, self._scope.names())
                except ExpressionError as exc:
                    self._expression_error(task.name, f"{transition.origin}.publish.{key}", exc)
                    return False
                self._scope.invalidate()
            return True
        finally:
            self._scope.current = (None, None)

    def _rerun(self, task: TaskSpec, inst: dict[str, Any]) -> bool:
        """``do: retry``: the same task again, as a new execution, within the count."""
        count = task.retry.count if task.retry is not None else DEFAULT_RETRIES
        if inst["iterating"]:
            if inst["rounds"] >= count:
                return False
            self._new_instance(task.name, exempt=inst["exempt"], base=inst["base"] + 1, rounds=inst["rounds"] + 1)
            return True
        last_attempt = inst["attempt"]  # set by complete(): the attempt that ended the task
        if last_attempt - 1 >= count:
            return False
        rerun = self._new_instance(task.name, exempt=inst["exempt"], base=last_attempt, rounds=inst["rounds"] + 1)
        delay = task.retry.delay_for(last_attempt) if task.retry is not None else 0.0
        rerun["queue"].append([None, last_attempt + 1, delay, None, None])
        return True

    def _schedule(self, target: str, source: str, *, exempt: bool) -> None:
        """A transition reached ``target``: start it, or count it at its join."""
        s = self._s
        if s.failing and not exempt:
            return  # nothing new starts once the workflow is failing
        task = self.spec.tasks[target]
        if task.join is None:
            self._new_instance(target, exempt=exempt)
            return
        inbound = self.spec.inbound[target]
        need = len(inbound) if task.join == "all" else task.join
        barrier = s.joins.setdefault(target, {"arrived": [], "fired": False})
        if source in barrier["arrived"]:
            if not barrier["fired"]:
                return  # counted per inbound task, not per transition
            barrier = s.joins[target] = {"arrived": [], "fired": False}  # a new round (a cycle)
        barrier["arrived"].append(source)
        if not barrier["fired"] and len(barrier["arrived"]) >= need:
            barrier["fired"] = True
            self._new_instance(target, exempt=exempt)
        if barrier["fired"] and len(barrier["arrived"]) >= len(inbound):
            del s.joins[target]  # every inbound task arrived: late arrivals absorbed

    def _unreachable_joins(self) -> None:
        """At the end: a join some inbound task reached but not enough of them did."""
        for name, barrier in self._s.joins.items():
            if not barrier["fired"] and barrier["arrived"]:
                join = self.spec.tasks[name].join
                need = len(self.spec.inbound[name]) if join == "all" else join
                self._fail({"type": "error", "task": name, "field": "join",
                            "message": f'join task "{name}" is partially satisfied but unreachable '
                                       f'({len(barrier["arrived"])} of {need} inbound tasks arrived)'})
