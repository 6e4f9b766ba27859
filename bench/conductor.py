"""Micro-benchmark of the conductor: decisions (``complete()`` calls) per second.

    .venv/bin/python bench/conductor.py [--tasks 100] [--repeat 20]

Two generated 100-task workflows: a sequential chain (each task publishes and the next
renders its input from it) and a wide fan-out (one task → 98 parallel tasks → a
``join: all``). Each is measured with the conductor kept in memory, and with the
state serialised to JSON and restored around every decision, as the orchestrator does.
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from apps.workflows.conductor import Conductor  # noqa: E402
from apps.workflows.spec import WorkflowSpec, parse_workflow  # noqa: E402

TASKS = 100


def chain(n: int = TASKS) -> WorkflowSpec:
    """t0 → t1 → … → t(n-1); each publishes its result and the next reads it."""
    tasks = []
    for i in range(n):
        task: dict[str, Any] = {"name": f"t{i}", "action": "core.echo",
                                "input": {"message": "{{ workflow.last }}-" + str(i), "n": "{{ parameters.n }}"}}
        if i + 1 < n:
            task["next"] = [{"when": "{{ succeeded() }}", "publish": [{"last": "{{ result() }}"}],
                             "do": [f"t{i + 1}"]}]
        tasks.append(task)
    return parse_workflow({"vars": {"last": None}, "tasks": tasks, "output": {"last": "{{ workflow.last }}"}})


def fan_out(n: int = TASKS) -> WorkflowSpec:
    """start → b1 … b(n-2) in parallel → join (join: all)."""
    branches = [f"b{i}" for i in range(1, n - 1)]
    tasks: list[dict[str, Any]] = [{"name": "start", "action": "core.noop", "next": [{"do": branches}]}]
    for name in branches:
        tasks.append({"name": name, "action": "core.echo", "input": {"message": "{{ parameters.n }}"},
                      "next": [{"when": "{{ succeeded() }}", "do": ["join"]}]})
    tasks.append({"name": "join", "join": "all", "action": "core.noop"})
    return parse_workflow({"tasks": tasks})


def measure(spec: WorkflowSpec, *, restore: bool, repeat: int = 20) -> float:
    """Decisions per second over ``repeat`` complete workflow runs (FIFO completion)."""
    decisions = 0
    elapsed = 0.0
    for _ in range(repeat):
        conductor = Conductor(spec, {"n": 1})
        queue = deque(run.run_id for run in conductor.start())
        state = conductor.to_state() if restore else None
        started = time.perf_counter()
        while queue:
            if restore:
                conductor = Conductor.from_state(spec, json.loads(json.dumps(state)))
            runs = conductor.complete(queue.popleft(), "succeeded", "ok")
            if restore:
                state = conductor.to_state()
            queue.extend(run.run_id for run in runs)
            decisions += 1
        elapsed += time.perf_counter() - started
        assert conductor.status == "succeeded", conductor.errors
    return decisions / elapsed


def main() -> None:
    """Print decisions/second for each workflow shape and mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[int], WorkflowSpec]]] = [("sequential chain", chain), ("wide fan-out", fan_out)]
    print("Conductor alone (no database, no broker) [target ≥ 1000 decisions/s on a 100-task workflow]")
    for label, build in cases:
        spec = build(args.tasks)
        measure(spec, restore=False, repeat=2)  # warm the expression cache
        memory = measure(spec, restore=False, repeat=args.repeat)
        restored = measure(spec, restore=True, repeat=args.repeat)
        print(f"  {label:>17} ({args.tasks} tasks): {memory:8.0f} decisions/s in memory, "
              f"{restored:8.0f} decisions/s with JSON save/restore around each")


if __name__ == "__main__":
    main()
