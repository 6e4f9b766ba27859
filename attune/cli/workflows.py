"""``attune workflow simulate|validate``: run or check a workflow without a server.

``simulate`` drives the real conductor (apps/workflows/conductor.py) through
``apps.workflows.simulate``: each task run completes at once and succeeds with a
null result unless an outcomes file says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .files import STDIN, load_data, parse_value, read_text, type_name
from .output import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    OutputFormat,
    echo,
    emit,
    error_lines,
    escape,
    reporting,
    summarize,
    to_json,
)

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(help="Workflows: list, show; simulate and validate workflow files offline.", no_args_is_help=True)

RESULT_KEYS = ("status", "output", "errors", "tasks")
SPEC_ERROR_KEYS = ("file", "task", "field", "reason")

FileArgument = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="A workflow graph file, or a workflow action's YAML (its workflow_file and parameter defaults are used).",
        show_default=False,
    ),
]


@app.command("simulate")
def simulate(
    file: FileArgument,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input", "-i", metavar="KEY=VALUE",
            help="A workflow parameter (repeatable, overrides defaults); VALUE is JSON when it parses (3, true, [1]), "
                 "else a string.",
        ),
    ] = None,
    outcomes: Annotated[
        str | None,
        typer.Option(
            "--outcomes", metavar="FILE",
            help="JSON/YAML: task name → {status: succeeded|failed|timeout, result: …}, or a list used one per run.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", "-j", help='Print {"status", "output", "errors", "tasks"} as JSON.')
    ] = False,
) -> None:
    """Run FILE's workflow through the conductor, offline.

    Each task run succeeds at once with a null result unless --outcomes says
    otherwise. Exit 0 when the workflow succeeded, 1 otherwise, 2 for an invalid
    workflow or bad input.
    """
    fmt = OutputFormat.JSON if as_json else OutputFormat.TABLE
    with reporting(fmt):
        spec, defaults, schema = load_for_simulation(file)
        parameters = {**defaults, **parse_inputs(inputs, schema)}
        if schema is not None:
            parameters = validate_parameters(schema, parameters)
        plan = read_outcomes(outcomes, spec) if outcomes is not None else None
        result = run_simulation(spec, parameters, plan)
    data = {key: result.get(key) for key in RESULT_KEYS}
    emit(data, fmt, human=lambda out: print_simulation(out, data))
    raise typer.Exit(EXIT_OK if data["status"] == "succeeded" else EXIT_FAILURE)


@app.command("validate")
def validate(
    file: FileArgument,
    as_json: Annotated[bool, typer.Option("--json", "-j", help='Print {"valid", "errors"} as JSON.')] = False,
) -> None:
    """Check FILE: print "valid", or every error with its file, task and field.

    Offline, task actions are not looked up (the platform reports unknown actions
    when the pack is registered). Exit 0 when valid, 1 when not.
    """
    fmt = OutputFormat.JSON if as_json else OutputFormat.TABLE
    with reporting(fmt):
        errors = validation_errors(file)
    if fmt.is_document:
        emit({"valid": not errors, "errors": errors}, fmt)
    elif errors:
        echo(f"invalid: {len(errors)} error{'' if len(errors) == 1 else 's'}")
        for line in error_lines(errors):
            echo(f"  {line}")
    else:
        echo("valid")
    raise typer.Exit(EXIT_FAILURE if errors else EXIT_OK)


# --- loading ------------------------------------------------------------------------


def spec_errors(exc: Exception) -> list[dict[str, Any]]:
    """A WorkflowSpecError's errors as ``{"file", "task", "field", "reason"}`` records."""
    records = []
    for error in getattr(exc, "errors", None) or []:
        if is_dataclass(error) and not isinstance(error, type):
            record = asdict(error)
        elif isinstance(error, Mapping):
            record = dict(error)
        else:
            record = {key: getattr(error, key, None) for key in SPEC_ERROR_KEYS}
        records.append({key: record.get(key) for key in SPEC_ERROR_KEYS})
    return records or [{"file": None, "task": None, "field": None, "reason": str(exc)}]


def action_schema(path: str) -> dict[str, Any] | None:
    """The parameter schema of a workflow action's YAML; None for a graph file."""
    try:
        data = load_data(path, what="workflow")
    except CliError:
        return None  # unreadable or not YAML: load_for_simulation reports it with file and field
    from apps.workflows.simulate import graph_file_of

    if graph_file_of(data) is None:
        return None
    parameters = data.get("parameters") or {}
    return parameters if isinstance(parameters, dict) else {}


def check_file(path: str) -> None:
    """A plain exit-2 message for standard input, a missing file or a directory."""
    if path == STDIN:
        raise CliError("workflow: give a file, not '-' (a workflow_file is found relative to it)")
    read_text(path, what="workflow")


def load_for_simulation(path: str) -> tuple[Any, dict[str, Any], dict[str, Any] | None]:
    """(spec, default parameters, the action's parameter schema or None for a graph file)."""
    from apps.workflows import simulate as simulation
    from apps.workflows.spec import WorkflowSpecError

    check_file(path)
    try:
        spec, defaults = simulation.load_for_simulation(path)
    except WorkflowSpecError as exc:
        raise CliError(f"invalid workflow {path}", code=EXIT_USAGE, errors=spec_errors(exc)) from None
    return spec, dict(defaults or {}), action_schema(path)


def validation_errors(path: str) -> list[dict[str, Any]]:
    """Every error in FILE (a graph file or a workflow action's YAML); actions not looked up."""
    from apps.workflows import simulate as simulation
    from apps.workflows.spec import WorkflowSpecError

    check_file(path)
    try:
        simulation.load_for_simulation(path)
    except WorkflowSpecError as exc:
        return spec_errors(exc)
    return []


# --- parameters and outcomes ----------------------------------------------------------


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    if schema.get("type") == "object" and isinstance(schema.get("properties"), Mapping):
        return schema["properties"]  # a full JSON Schema
    return schema


def parse_inputs(items: list[str] | None, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """``--input KEY=VALUE``: JSON when it parses, else the string; a later key wins.

    A parameter the action declares ``type: string`` keeps its text as given, so
    ``--input version=1.10`` stays ``"1.10"``.
    """
    properties = _properties(schema) if schema else {}
    values: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--input {item!r}: expected KEY=VALUE", code=EXIT_USAGE)
        declared = properties.get(key)
        as_text = isinstance(declared, Mapping) and declared.get("type") == "string"
        values[key] = text if as_text else parse_value(text)
    return values


def validate_parameters(schema: Mapping[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The platform's own check of an execution's parameters (types, required, unknown names)."""
    from apps.core.errors import InvalidInput
    from apps.core.schemas import validate

    try:
        return validate(schema, parameters)
    except InvalidInput as exc:
        hint = f" (give --input {exc.field.split('.', 1)[1]}=…)" if exc.reason == "is required" else ""
        raise CliError(f"invalid parameters: {exc}{hint}", code=EXIT_USAGE) from None


def run_statuses() -> tuple[str, ...]:
    from apps.workflows.conductor import RUN_STATUSES

    order = ("succeeded", "failed", "timeout")
    return order + tuple(sorted(set(RUN_STATUSES) - set(order)))


def read_outcomes(path: str, spec: Any) -> dict[str, Any]:
    """The outcomes file, checked: task name → outcome, or a list of outcomes (one per run, the last repeats)."""
    data = load_data(path, what="--outcomes")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CliError(f"--outcomes {path}: must map task names to outcomes, not {type_name(data)}")
    statuses = run_statuses()
    tasks = list(getattr(spec, "tasks", None) or [])
    for task, outcome in data.items():
        if tasks and task not in tasks:
            raise CliError(f"--outcomes {path}: no task named {task!r} in the workflow (tasks: {', '.join(tasks)})")
        if isinstance(outcome, list) and not outcome:
            raise CliError(f"--outcomes {path}: {task}: an empty list of outcomes")
        for index, item in enumerate(outcome if isinstance(outcome, list) else [outcome]):
            where = f"--outcomes {path}: {task}" + (f"[{index}]" if isinstance(outcome, list) else "")
            if not isinstance(item, dict):
                raise CliError(f"{where}: an outcome is {{status: …, result: …}}, not {type_name(item)}")
            unknown = sorted(set(item) - {"status", "result"})
            if unknown:
                raise CliError(f"{where}: unknown key(s) {', '.join(unknown)} (an outcome has status and result)")
            status = item.get("status", "succeeded")
            if status not in statuses:
                raise CliError(f"{where}: status {status!r} is not one of {', '.join(statuses)}")
    return data


def run_simulation(spec: Any, parameters: dict[str, Any], outcomes: dict[str, Any] | None) -> dict[str, Any]:
    from apps.workflows.simulate import simulate as simulate_workflow

    try:
        return simulate_workflow(spec, parameters, outcomes=outcomes)
    except RuntimeError as exc:  # a runaway cycle (the simulation's step cap)
        raise CliError(f"simulation stopped: {exc}", code=EXIT_FAILURE) from None


# --- readable output ----------------------------------------------------------------

_STATUS_STYLE = {"succeeded": "green", "failed": "red", "timeout": "red", "abandoned": "red", "canceled": "yellow"}


def _styled(status: Any) -> str:
    return f"[{_STATUS_STYLE.get(str(status), 'yellow')}]{escape(status)}[/]"


def print_simulation(out: Console, data: dict[str, Any]) -> None:
    from rich.table import Table

    tasks = data.get("tasks") or []
    if tasks:
        table = Table("task", "item", "attempt", "status", "input", "result")
        for task in tasks:
            item = task.get("item_index")
            action = task.get("action")
            table.add_row(
                escape(task.get("name", "")) + (f" [dim]({escape(action)})[/]" if action else ""),
                "" if item is None else str(item),
                str(task.get("attempt", "")),
                _styled(task.get("status", "")),
                escape(summarize(task.get("input"), 40)),
                escape(summarize(task.get("result"), 40)),
            )
        out.print(table)
    else:
        out.print("no task ran")
    out.print(f"status: [bold]{_styled(data.get('status'))}[/]")
    out.print("output: " + escape(to_json(data.get("output"))))
    errors = data.get("errors") or []
    if errors:
        out.print("errors:")
        for line in error_lines(errors):
            out.print(f"  {escape(line)}")
