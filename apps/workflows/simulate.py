"""Offline simulation: run a workflow's conductor without a server ("rehearsal").

Every run the conductor asks for is completed in the order runs started (as if all
actions took the same time; delays are ignored) with a mocked outcome, and the
conductor is serialised to JSON and restored between every two steps, so a
simulation also proves that the state round-trips.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .conductor import Conductor, TaskRun
from .spec import SpecError, WorkflowSpec, WorkflowSpecError, load_workflow

#: A simulation that has not ended after this many steps is a runaway cycle.
MAX_STEPS = 10_000
_RECORD_KEYS = ("name", "action", "input", "item_index", "attempt", "status", "result")


def simulate(
    spec: WorkflowSpec,
    parameters: dict[str, Any],
    outcomes: Mapping[str, Any] | None = None,
    *,
    context: dict[str, Any] | None = None,
    control: Mapping[int, str | list[str]] | None = None,
    roundtrip: bool = True,
) -> dict[str, Any]:
    """Run the workflow to its end with mocked action outcomes.

    ``outcomes``: task name → ``{"status": succeeded|failed|timeout|…, "result": …}``
    or a list of them, consumed one per run of the task in start order (the last one
    repeats); unlisted tasks succeed with result None. ``control``: number of
    completed runs → ``"pause"``/``"resume"``/``"cancel"`` (or a list), applied
    before the next completion; commands not reached when no run is left are applied
    then, in order. ``roundtrip=False`` keeps one conductor in memory instead of
    serialising it between steps.

    Returns ``{"status", "output", "errors", "variables", "tasks"}``; ``tasks`` lists
    every run (routing tasks too, with action None) in start order as ``{"name",
    "action", "input", "item_index", "attempt", "status", "result"}``.
    """
    plans = {name: list(value) if isinstance(value, list) else [value] for name, value in (outcomes or {}).items()}
    used: dict[str, int] = {}
    records: dict[int, dict[str, Any]] = {}
    queue: deque[tuple[int, str, Any]] = deque()
    commands = sorted((step, [c] if isinstance(c, str) else list(c)) for step, c in (control or {}).items())

    def loader(task: str, first: int, last: int, count: int) -> list[Any]:
        # What the orchestrator does with its rows: latest attempt per item index.
        results: list[Any] = [None] * count
        for run_id in sorted(records):
            record = records[run_id]
            if first <= run_id <= last and record["name"] == task and record["status"] != "running":
                index = record["item_index"]
                if index is not None and 0 <= index < count:
                    results[index] = record["result"]
        return results

    conductor = Conductor(spec, parameters, context=context)

    def step(call: Any) -> None:
        nonlocal conductor
        if roundtrip:
            state = json.loads(json.dumps(conductor.to_state()))
            conductor = Conductor.from_state(spec, state, item_results=loader)
        runs: list[TaskRun] = call(conductor) or []
        for record in conductor.tasks():
            records[record["run_id"]] = {**records.get(record["run_id"], {}), **record}
        for run in runs:
            plan = plans.get(run.task)
            used[run.task] = used.get(run.task, 0) + 1
            outcome = plan[min(used[run.task], len(plan)) - 1] if plan else {}
            queue.append((run.run_id, outcome.get("status", "succeeded"), outcome.get("result")))

    step(lambda c: c.start())
    completed = 0
    for _ in range(MAX_STEPS):
        while commands and (commands[0][0] <= completed or not queue):
            for command in commands.pop(0)[1]:
                step(lambda c, command=command: getattr(c, command)())
        if not queue:
            break
        run_id, status, result = queue.popleft()
        records[run_id].update(status=status, result=result)  # the row is written before the conductor hears
        step(lambda c, r=run_id, s=status, v=result: c.complete(r, s, v))
        completed += 1
    else:
        raise RuntimeError(f"the simulation did not end after {MAX_STEPS} steps")
    return {
        "status": conductor.status,
        "output": conductor.output,
        "errors": conductor.errors,
        "variables": conductor.variables,
        "tasks": [{key: records[run_id][key] for key in _RECORD_KEYS} for run_id in sorted(records)],
    }


def load_for_simulation(path: str | Path) -> tuple[WorkflowSpec, dict[str, Any]]:
    """The spec and default parameters from a graph file, or from a workflow action
    YAML (``workflow_file:`` relative to the action file; its parameter defaults)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WorkflowSpecError([SpecError(str(path), "", "", f"cannot read the file: {exc}")]) from exc
    graph = graph_file_of(data)
    if graph is None:
        return load_workflow(path), {}
    parameters = data.get("parameters") or {}
    if parameters.get("type") == "object" and isinstance(parameters.get("properties"), dict):
        parameters = parameters["properties"]  # a full JSON Schema
    defaults = {
        name: schema["default"] for name, schema in parameters.items() if isinstance(schema, dict) and "default" in schema
    }
    return load_workflow(path.parent / graph), defaults


# Runner types of a workflow action (the platform's own names and StackStorm's).
WORKFLOW_RUNNERS = frozenset({"workflow", "orquesta", "action-chain"})


def graph_file_of(data: Any) -> str | None:
    """The graph file a workflow action YAML names (`workflow_file:`, or StackStorm's
    `entry_point:` with a workflow runner); None when `data` is not such an action."""
    if not isinstance(data, dict):
        return None
    if data.get("workflow_file"):
        return str(data["workflow_file"])
    runner = str(data.get("runner_type") or data.get("runner") or "").lower()
    if runner in WORKFLOW_RUNNERS and data.get("entry_point"):
        return str(data["entry_point"])
    return None
