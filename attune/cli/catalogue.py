"""The remote read commands of the catalogue and the event side: ``trigger`` and
``sensor`` (with enable/disable), ``event``, ``enforcement``, ``runtime``, ``worker``, and
``workflow list|show`` (workflows are actions whose runner is a workflow runner; the
offline ``workflow validate|simulate`` live in workflows.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .common import FieldOpt, JsonOpt, LimitOpt, Out, OutputOpt, render, session
from .output import OutputFormat
from .resources import resource_app, switch_command
from .workflows import app as workflow_app

trigger_app = resource_app("trigger", "Triggers: list, show, enable, disable.")
sensor_app = resource_app("sensor", "Sensors: list, show, enable, disable.")
event_app = resource_app("event", "Events: list, show.")
enforcement_app = resource_app("enforcement", "Enforcements (a rule matched an event): list, show.")
runtime_app = resource_app("runtime", "Runtimes: how actions run.")
worker_app = resource_app("worker", "Workers: the processes that run actions.")


for _app, _name in ((trigger_app, "trigger"), (sensor_app, "sensor")):
    _app.command("enable")(switch_command(_name, True))
    _app.command("disable")(switch_command(_name, False))


@workflow_app.command("list")
def workflow_list(
    pack: Annotated[str | None, typer.Option("--pack", "-p", help="Only this pack's.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Search text (the API's ?q=).")] = None,
    limit: LimitOpt = 50,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """List workflows (actions run by a workflow runner)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        query = {key: value for key, value in {"pack": pack, "q": search}.items() if value}
        rows = api.collect("/workflows/", query, limit=limit)
        render(rows, out, columns=("ref", "file", "workflow_file", "enabled", "description"))


@workflow_app.command("show")
def workflow_show(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The workflow action's ref.")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Show a workflow: its parameters, file and tasks."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        workflow = api.get(f"/workflows/{ref}/", what=f"workflow {ref}")
        render(workflow, out, human=lambda console: _print_workflow(console, workflow))


def _print_workflow(console: Any, workflow: dict[str, Any]) -> None:
    from .common import print_record, print_rows

    print_record(console, {k: v for k, v in workflow.items() if k not in ("definition", "graph")})
    tasks = (workflow.get("definition") or {}).get("tasks") if isinstance(workflow.get("definition"), dict) else None
    if isinstance(tasks, dict):  # tasks by name (orquesta) or a list of tasks with names
        tasks = [{"name": name, **(task or {})} for name, task in tasks.items()]
    if isinstance(tasks, list) and tasks:
        console.print("[bold]tasks[/]:")
        print_rows(console, [{"task": t.get("name"), "action": t.get("action"), "next": t.get("next")}
                             for t in tasks if isinstance(t, dict)])
