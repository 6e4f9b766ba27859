"""The remote read commands of the catalogue and the event side: ``trigger`` (with
enable/disable), ``sensor``, ``event``, ``enforcement``, ``runtime``, ``worker``, and
``workflow list|show`` (workflows are actions whose runner is a workflow runner; the
offline ``workflow validate|simulate`` live in workflows.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .common import FieldOpt, JsonOpt, LimitOpt, Out, OutputOpt, render, session
from .output import OutputFormat, escape
from .resources import RESOURCES, resource_app, show_command
from .workflows import app as workflow_app

WORKFLOW_RUNNERS = ("workflow", "orquesta")

trigger_app = resource_app("trigger", "Triggers: list, show, enable, disable.")
sensor_app = resource_app("sensor", "Sensors: list, show.")
event_app = resource_app("event", "Events: list, show.")
enforcement_app = resource_app("enforcement", "Enforcements (a rule matched an event): list, show.")
runtime_app = resource_app("runtime", "Runtimes: how actions run.")
worker_app = resource_app("worker", "Workers: the processes that run actions.")


def switch_command(resource: str, enabled: bool):
    verb = "enable" if enabled else "disable"
    path = RESOURCES[resource].path

    def command(
        ref: Annotated[str, typer.Argument(metavar="REF")],
        output: OutputOpt = OutputFormat.TABLE,
        as_json: JsonOpt = False,
        field: FieldOpt = None,
    ) -> None:
        out = Out.of(output, as_json, field)
        with session(out) as api:
            row = api.post(f"{path}{ref}/{verb}/", what=f"{resource} {ref}")
            render(row, out, human=lambda console: console.print(
                f"{resource} {escape(row.get('ref'))} {'enabled' if row.get('enabled') else 'disabled'}"))

    command.__doc__ = f"{verb.capitalize()} a {resource}."
    return command


trigger_app.command("enable")(switch_command("trigger", True))
trigger_app.command("disable")(switch_command("trigger", False))


@workflow_app.command("list")
def workflow_list(
    pack: Annotated[str | None, typer.Option("--pack", "-p", help="Only this pack's.")] = None,
    limit: LimitOpt = 50,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """List workflows (actions run by a workflow runner)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        rows: list[Any] = []
        for runner in WORKFLOW_RUNNERS:
            query = {"runner_type": runner, **({"pack": pack} if pack else {})}
            rows.extend(api.collect("/actions/", query, limit=limit))
        rows.sort(key=lambda row: row.get("ref") or "")
        render(rows[:limit], out, columns=("ref", "runner_type", "workflow_file", "enabled", "description"))


workflow_app.command("show")(show_command(RESOURCES["action"]))
workflow_app.registered_commands[-1].help = "Show a workflow action: its parameters and workflow file."
