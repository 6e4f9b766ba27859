"""The serialisable part of a conductor, and its JSON form.

State format (``Conductor.to_state()``; every value JSON; ``version`` 1)::

    {"version": 1,
     "status": "running",            # running|pausing|paused|canceling|canceled|succeeded|failed
     "failing": false,               # the workflow will end failed (unhandled failure, fail, errors)
     "started": true,
     "parameters": {...}, "context": {"config", "keystore", "system"},
     "variables": {...},             # published variables (vars first)
     "tasks": {name: {"status", "result"}},      # latest completed run of each task
     "next_run": 7, "next_instance": 4,
     "instances": [Instance, ...],   # task executions not finished, in creation order
     "runs": [Run, ...],             # runs started and not completed, in run order
     "joins": {task: {"arrived": [inbound task, ...], "fired": false}},
     "errors": [...], "output": null}

    Instance = {"id", "task", "exempt" (started beside a `fail`: runs even though the
                workflow is failing), "new" (not prepared yet), "base" (attempt offset
                after `do: retry`), "rounds" (do-retries so far), "queue" ([[item_index,
                attempt, delay, input or null, item], ...] runs waiting to start: first
                attempt, retries), "iterating", "items" (with_items values not launched
                yet), "count", "next" (index of items[0]), "done", "active", "failed",
                "concurrency", "first"/"last" (run-id range of the item runs), "broken"
                (its input failed to render)}
    Run = {"id", "instance", "task", "action", "input", "item_index", "item", "attempt",
           "delay", "timeout"}

Keys of an instance or a run whose value is the default are left out (most fan-out
branches use few of them); :meth:`State.from_dict` puts them back.

Item *results* are deliberately absent (see ``ItemResults`` in conductor.py): the
state does not grow as items complete, and even shrinks as they are launched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERSION = 1


@dataclass
class State:
    """Everything that must survive a restore. Containers are owned (copied in and out)."""

    parameters: dict[str, Any]
    context: dict[str, Any]
    status: str = "running"
    failing: bool = False
    started: bool = False
    variables: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_run: int = 1
    next_instance: int = 1
    instances: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    joins: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form. New containers all the way to the values, which are shared
        (they are never mutated in place), so the caller may keep or change it."""
        return {
            "version": VERSION,
            "status": self.status,
            "failing": self.failing,
            "started": self.started,
            "parameters": self.parameters,
            "context": self.context,
            "variables": dict(self.variables),
            "tasks": {name: dict(entry) for name, entry in self.tasks.items()},
            "next_run": self.next_run,
            "next_instance": self.next_instance,
            "instances": [_compact(inst, _INSTANCE_DEFAULTS) for inst in self.instances.values()],
            "runs": [_compact(run, _RUN_DEFAULTS) for run in self.runs.values()],
            "joins": {name: {"arrived": list(j["arrived"]), "fired": j["fired"]} for name, j in self.joins.items()},
            "errors": [dict(error) for error in self.errors],
            "output": self.output,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        """Inverse of :meth:`to_dict` (copies the containers it will mutate)."""
        if data.get("version") != VERSION:
            raise ValueError(f"unknown conductor state version {data.get('version')!r}")
        return cls(
            parameters=data["parameters"],
            context=data["context"],
            status=data["status"],
            failing=data["failing"],
            started=data["started"],
            variables=dict(data["variables"]),
            tasks={name: dict(entry) for name, entry in data["tasks"].items()},
            next_run=data["next_run"],
            next_instance=data["next_instance"],
            instances={inst["id"]: _expand(inst, _INSTANCE_DEFAULTS) for inst in data["instances"]},
            runs={run["id"]: _expand(run, _RUN_DEFAULTS) for run in data["runs"]},
            joins={name: {"arrived": list(j["arrived"]), "fired": j["fired"]} for name, j in data["joins"].items()},
            errors=[dict(error) for error in data["errors"]],
            output=data["output"],
        )


# Keys whose value is the default are left out of the JSON form: most instances and
# runs use few of them, and a wide fan-out has one of each per branch.
_INSTANCE_DEFAULTS: dict[str, Any] = {
    "exempt": False, "new": True, "base": 0, "rounds": 0, "queue": [], "iterating": False, "items": [],
    "count": 0, "next": 0, "done": 0, "active": 0, "failed": None, "concurrency": 1, "first": None, "last": None,
}
_RUN_DEFAULTS: dict[str, Any] = {"input": {}, "item_index": None, "item": None, "attempt": 1, "delay": 0.0,
                                 "timeout": None}
# Containers an instance mutates in place: copied on the way in and out.
_OWNED = ("queue", "items")


def _compact(entry: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in entry.items() if key not in defaults or value != defaults[key]}
    for key in _OWNED:
        if key in out:
            out[key] = [list(item) for item in out[key]] if key == "queue" else list(out[key])
    return out


def _expand(entry: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    out = {**defaults, **entry}
    for key in _OWNED:
        if key in out:
            out[key] = [list(item) for item in out[key]] if key == "queue" else list(out[key])
    return out


def new_instance(ident: int, task: str, *, exempt: bool, base: int = 0, rounds: int = 0) -> dict[str, Any]:
    """A task execution waiting to be prepared (its items evaluated) and launched."""
    return _expand({"id": ident, "task": task, "exempt": exempt, "base": base, "rounds": rounds},
                   _INSTANCE_DEFAULTS)
