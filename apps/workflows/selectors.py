"""Reads of workflow definitions for the API and the dashboard."""

from __future__ import annotations

from typing import Any

from .spec import WorkflowSpecError, parse_workflow


def workflow_graph(*, data: Any, file: str) -> dict[str, Any]:
    """The graph of a stored definition as nodes (tasks and their actions), edges
    (`from` → `to`, with the transition's condition, `null` for always) and the start
    tasks. A definition stored before a change of the rules that no longer parses
    answers its errors instead of nodes."""
    try:
        spec = parse_workflow(data, file=file)
    except WorkflowSpecError as exc:
        return {"nodes": [], "edges": [], "start": [], "errors": [str(e) for e in exc.errors]}
    nodes = [{"name": task.name, "action": task.action, "with_items": task.with_items is not None}
             for task in spec.tasks.values()]
    edges = [
        {"from": task.name, "to": target, "when": transition.when if isinstance(transition.when, str) else None}
        for task in spec.tasks.values() for transition in task.next for target in transition.do
    ]
    return {"nodes": nodes, "edges": edges, "start": list(spec.start), "errors": []}
