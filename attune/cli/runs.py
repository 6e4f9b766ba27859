"""Running actions and following executions: ``attune run``, ``attune action``,
``attune execution``.

``run`` waits by default (a spinner on stderr), ``--async`` prints the id, ``--tail``
streams the output as it is written (``GET /executions/<id>/output/?after=<seq>``,
history first, so nothing is missed). The exit code mirrors the outcome: 0 for
``succeeded``, 1 for ``failed``, ``timeout``, ``canceled`` or ``abandoned``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import params as parameters
from .client import Api
from .common import FieldOpt, JsonOpt, LimitOpt, Out, OutputOpt, cell, key_values, print_record, render, session
from .live import Feed, open_feed
from .output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, OutputFormat, echo, escape
from .resources import RESOURCES, list_command

if TYPE_CHECKING:
    from rich.console import Console

TERMINAL = {"succeeded", "failed", "timeout", "canceled", "abandoned"}
# Live updates are hints: after this long without one, ask the API anyway.
_RESYNC = 5.0
EXIT_INTERRUPTED = 130
LIST_COLUMNS = ["id", "action", "status", "rule", "task_name", "created_at", "duration"]

ParamsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[PARAMS]...", help="NAME=VALUE pairs, a JSON object, or @FILE (JSON or YAML)."),
]
AsyncOpt = Annotated[bool, typer.Option("--async", "-a", help="Print the execution id and return at once.")]
TailOpt = Annotated[bool, typer.Option("--tail", "-t", help="Stream the output while it runs.")]

action_app = typer.Typer(help="Actions: list, show, run.", no_args_is_help=True)
execution_app = typer.Typer(help="Executions: list, show, tail, result, cancel, re-run, pause, resume.",
                            no_args_is_help=True)

action_app.command("list", help="List actions (newest registered last).")(list_command(RESOURCES["action"]))


@action_app.command("show")
def action_show(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The action's ref.")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Show an action and a table of its parameters."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        action = api.get(f"/actions/{ref}/", what=f"action {ref}")
        render(action, out, human=lambda console: print_action(console, action))


def print_action(console: Console, action: dict[str, Any]) -> None:
    from .common import print_rows

    print_record(console, {k: v for k, v in action.items() if k != "parameters" and v not in (None, "", [], {})})
    rows = [{"parameter": name, "type": spec.get("type"), "required": bool(spec.get("required")),
             "default": spec.get("default"), "secret": bool(spec.get("secret")), "description": spec.get("description")}
            for name, spec in parameters.properties(action.get("parameters")).items()]
    if isinstance(action.get("parameters"), dict) and isinstance(action["parameters"].get("required"), list):
        for row in rows:  # a full JSON Schema lists the required names apart
            row["required"] = row["required"] or row["parameter"] in action["parameters"]["required"]
    console.print("[bold]parameters[/]:" if rows else "[bold]parameters[/]: none")
    if rows:
        print_rows(console, rows)


# --- waiting and tailing ------------------------------------------------------------


def exit_code(execution: dict[str, Any]) -> int:
    return EXIT_OK if execution.get("status") == "succeeded" else EXIT_FAILURE


def _pause(delay: float) -> float:
    time.sleep(delay)
    return min(delay * 1.5, 1.0)


def wait(api: Api, execution: dict[str, Any]) -> dict[str, Any]:
    """Wait until the execution finishes, a spinner on stderr when it is a terminal:
    woken by its notifications over the WebSocket, polling when there is none."""
    from .output import console

    if execution.get("status") in TERMINAL:
        return execution
    feed = open_feed(api, execution["id"])
    err = console(stderr=True)
    try:
        if not err.is_terminal:
            return _wait(api, execution, feed, lambda _: None)
        with err.status(_label(execution)) as status:
            return _wait(api, execution, feed, lambda current: status.update(_label(current)))
    finally:
        if feed is not None:
            feed.close()


def _wait(api: Api, execution: dict[str, Any], feed: Feed | None,
          show: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    delay = 0.1
    # Read once the subscription stands: a change before it is in this answer.
    execution = _get(api, execution["id"])
    while execution.get("status") not in TERMINAL:
        if feed is not None and not feed.broken:
            # A notification says something changed; quiet for a while, look anyway.
            feed.next(timeout=_RESYNC)
        else:
            delay = _pause(delay)
        execution = _get(api, execution["id"])
        show(execution)
    return execution


def _get(api: Api, execution_id: int) -> dict[str, Any]:
    return api.get(f"/executions/{execution_id}/", what=f"execution {execution_id}")


def _label(execution: dict[str, Any]) -> str:
    return f"{escape(execution.get('action'))} (execution {execution.get('id')}): {execution.get('status')}"


def tail(api: Api, execution_id: int, *, write: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """Print every output chunk from the first, until the execution finishes. Chunks
    stream over the WebSocket when it is available; what existed before is read from
    the API, and chunk numbers leave no gap and no duplicate."""
    write = write or _write
    feed = open_feed(api, execution_id)
    try:
        return _tail(api, execution_id, write, feed)
    finally:
        if feed is not None:
            feed.close()


def _tail(api: Api, execution_id: int, write: Callable[[str, str], None], feed: Feed | None) -> dict[str, Any]:
    seq = 0
    delay = 0.1
    while True:
        execution = _get(api, execution_id)
        done = execution.get("status") in TERMINAL
        # Read after the status: a finished execution has written all its chunks.
        seq, read = _read_output(api, execution_id, seq, write)
        if done:
            return execution
        if feed is not None and not feed.broken:
            seq = _follow(api, execution_id, seq, write, feed)
        else:
            # Poll quickly while output flows, more slowly (up to 1 s) while it is quiet.
            delay = _pause(0.1 if read else delay)


def _read_output(api: Api, execution_id: int, seq: int, write: Callable[[str, str], None]) -> tuple[int, int]:
    """The chunks after `seq` from the API; (the last seq, how many were read)."""
    read = 0
    while True:
        chunks = api.get(f"/executions/{execution_id}/output/", params={"after": seq})
        for chunk in chunks:
            write(chunk.get("stream") or "stdout", chunk.get("data") or "")
            seq = max(seq, int(chunk.get("seq") or 0))
        read += len(chunks)
        if len(chunks) < 1000:  # the endpoint answers at most 1000 chunks at a time
            return seq, read


def _follow(api: Api, execution_id: int, seq: int, write: Callable[[str, str], None], feed: Feed) -> int:
    """Write streamed chunks in order until the execution reaches a terminal status
    or the stream goes quiet; the caller then checks with the API."""
    while True:
        message = feed.next(timeout=_RESYNC)
        if message is None:
            return seq
        payload = message.get("payload") or {}
        if message.get("notification_type") == "execution.output":
            number = int(payload.get("seq") or 0)
            if number == seq + 1:
                write(payload.get("stream") or "stdout", payload.get("data") or "")
                seq = number
            elif number > seq + 1:  # a chunk went missing on the way: read from the API
                seq, _ = _read_output(api, execution_id, seq, write)
        elif payload.get("status") in TERMINAL:
            return seq


def _write(stream: str, data: str) -> None:
    target = sys.stderr if stream == "stderr" else sys.stdout
    target.write(data)
    target.flush()


def follow(api: Api, execution: dict[str, Any], out: Out, *, run_async: bool, stream: bool) -> None:
    """What ``run`` and ``re-run`` do once the execution exists; exits with its outcome."""
    if run_async:
        if out.field or out.fmt.is_document:
            render(execution, out)
        else:
            echo(str(execution["id"]))
            echo(f"follow it with: attune execution tail {execution['id']}", err=True)
        return
    try:
        if stream:
            # With a document on stdout, the streamed output goes to stderr so stdout
            # stays one document.
            document = bool(out.field or out.fmt.is_document)
            execution = tail(api, execution["id"], write=(lambda _, data: _write("stderr", data)) if document else None)
            echo(f"execution {execution['id']} {execution.get('status')}{_took(execution)}", err=True)
            if out.field or out.fmt.is_document:
                render(execution, out)
        else:
            execution = wait(api, execution)
            render(execution, out, human=lambda console: print_execution(console, execution))
    except KeyboardInterrupt:
        echo(f"\nstopped waiting; execution {execution['id']} goes on: attune execution tail {execution['id']}",
             err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    raise typer.Exit(exit_code(execution))


def _took(execution: dict[str, Any]) -> str:
    duration = execution.get("duration")
    return f" in {duration:.2f} s" if isinstance(duration, (int, float)) else ""


# --- the readable view of an execution ---------------------------------------------

_SUMMARY = ["id", "action", "status", "parameters", "rule", "trigger", "event_id", "parent", "task_name", "attempt",
            "exit_code", "worker", "user", "re_run_of", "created_at", "started_at", "finished_at", "duration"]


_STREAM_KEYS = {"stdout", "stderr", "exit_code"}


def _is_json_of(text: str, value: Any) -> bool:
    import json

    try:
        return json.loads(text) == value
    except ValueError:
        return False


def print_execution(console: Console, execution: dict[str, Any]) -> None:
    from rich.syntax import Syntax

    from .output import to_json

    status = execution.get("status")
    colour = {"succeeded": "green", "failed": "red", "timeout": "red", "abandoned": "red",
              "canceled": "yellow"}.get(status or "", "cyan")
    summary = {key: execution.get(key) for key in _SUMMARY if execution.get(key) not in (None, "", [], {})}
    console.print(f"[bold]execution {execution.get('id')}[/] {escape(execution.get('action'))} "
                  f"[{colour}]{escape(status)}[/]{_took(execution)}")
    print_record(console, summary)
    if execution.get("error"):
        console.print(f"[bold red]error[/]: {escape(cell(execution['error'], width=2000))}")
    result = execution.get("result")
    # A shell action's result repeats its streams, a JSON action's stdout is its result:
    # show each thing once.
    if result not in (None, "", {}) and not (isinstance(result, dict) and set(result) <= _STREAM_KEYS):
        console.print("[bold]result[/]:")
        console.print(Syntax(to_json(result), "json", theme="ansi_dark", background_color="default"))
    for stream in ("stdout", "stderr"):
        text = execution.get(stream)
        if text and not (stream == "stdout" and result not in (None, "") and _is_json_of(text, result)):
            cut = " (truncated)" if execution.get(f"{stream}_truncated") else ""
            console.print(f"[bold]{stream}[/]{cut}:")
            console.print(escape(text.rstrip("\n")))
    children = execution.get("children") or []
    if children:
        from .common import print_rows

        console.print("[bold]children[/]:")
        print_rows(console, children, ["id", "task_name", "action", "status", "item_index", "attempt"])
    workflow = execution.get("workflow")
    if isinstance(workflow, dict) and workflow.get("errors"):
        console.print("[bold red]workflow errors[/]:")
        for error in workflow["errors"]:
            console.print("  " + escape(cell(error, width=400)))
    if status and status not in TERMINAL:
        console.print(f"[dim]still {escape(status)}: attune execution tail {execution.get('id')}[/]")


# --- commands -----------------------------------------------------------------------


def request_params(api: Api, action_ref: str, items: list[str] | None) -> dict[str, Any]:
    """The parameters of ``items``, coerced by the action's schema (fetched once)."""
    action = api.get(f"/actions/{action_ref}/", what=f"action {action_ref}")
    return parameters.parse(items or [], action.get("parameters"))


def run(
    action: Annotated[str, typer.Argument(metavar="ACTION", help="The action's ref, e.g. core.echo.")],
    params: ParamsArg = None,
    run_async: AsyncOpt = False,
    stream: TailOpt = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Run an action: wait for it (exit code 0 if it succeeded, 1 if not), or --async, or --tail.

    attune run core.echo message=hi  |  attune run e2e.deploy '{"regions": ["eu"]}'  |  attune run x.y @params.yaml
    """
    out = Out.of(output, as_json, field)
    with session(out) as api:
        values = request_params(api, action, params)
        execution = api.post("/executions/", json={"action": action, "parameters": values},
                             what=f"action {action}")
        follow(api, execution, out, run_async=run_async, stream=stream)


action_app.command("run")(run)


def _execution_id(api: Api, value: str) -> int:
    """An execution id; ``last`` is the newest execution."""
    if value == "last":
        newest = api.collect("/executions/", limit=1)
        if not newest:
            raise CliError("there are no executions yet", code=EXIT_FAILURE)
        return int(newest[0]["id"])
    if not value.isdigit():
        raise CliError(f"execution id {value!r}: expected a number or 'last'", code=EXIT_USAGE)
    return int(value)


IdArg = Annotated[str, typer.Argument(metavar="ID", help="The execution's id ('last': the newest).")]


@execution_app.command("list")
def execution_list(
    action: Annotated[str | None, typer.Option("--action", help="Only this action's executions.")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", "-s", help="Only these statuses (repeatable).")]
    = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only executions this rule started.")] = None,
    trigger: Annotated[str | None, typer.Option("--trigger", help="Only executions of this trigger's events.")]
    = None,
    parent: Annotated[int | None, typer.Option("--parent", help="Only the children of this execution.")] = None,
    root: Annotated[int | None, typer.Option("--root", help="Everything under this workflow execution.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Created at or after (ISO time).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Created before (ISO time).")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", help="Any other API filter, KEY=VALUE.")] = None,
    limit: LimitOpt = 50,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """List executions, newest first."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        query: dict[str, Any] = {key: value for key, value in {
            "action": action, "rule": rule, "trigger": trigger, "parent": parent, "root": root,
            "created_after": since, "created_before": until,
        }.items() if value is not None}
        query.update(key_values(filters, option="--filter"))
        if status:
            query["status"] = status
        rows = api.collect("/executions/", query, limit=limit)
        render(rows, out, columns=LIST_COLUMNS)


@execution_app.command("show")
def execution_show(
    execution_id: IdArg,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Show an execution: status, parameters, result, output, children."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        number = _execution_id(api, execution_id)
        execution = api.get(f"/executions/{number}/", what=f"execution {number}")
        render(execution, out, human=lambda console: print_execution(console, execution))


@execution_app.command("result")
def execution_result(
    execution_id: IdArg,
    output: OutputOpt = OutputFormat.JSON,
    field: FieldOpt = None,
) -> None:
    """Print an execution's result (JSON by default); exit code 1 unless it succeeded."""
    out = Out(output, field)
    with session(out) as api:
        number = _execution_id(api, execution_id)
        execution = api.get(f"/executions/{number}/", what=f"execution {number}")
        if execution.get("status") not in TERMINAL:
            raise CliError(f"execution {number} is still {execution.get('status')}: no result yet",
                           code=EXIT_FAILURE)
        result = execution.get("result")
        if out.fmt is OutputFormat.TABLE and not out.field:
            render(result, Out(OutputFormat.JSON))
        else:
            render(result, out)
        if execution.get("status") != "succeeded":
            raise typer.Exit(EXIT_FAILURE)


@execution_app.command("tail")
def execution_tail(execution_id: IdArg) -> None:
    """Print an execution's output from the start and follow it until it finishes (exit code = outcome)."""
    out = Out()
    with session(out) as api:
        number = _execution_id(api, execution_id)
        try:
            execution = tail(api, number)
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None
        echo(f"execution {number} {execution.get('status')}{_took(execution)}", err=True)
        raise typer.Exit(exit_code(execution))


def _command(verb: str, help_text: str) -> None:
    def command(
        execution_id: IdArg,
        output: OutputOpt = OutputFormat.TABLE,
        as_json: JsonOpt = False,
        field: FieldOpt = None,
    ) -> None:
        out = Out.of(output, as_json, field)
        with session(out) as api:
            number = _execution_id(api, execution_id)
            execution = api.post(f"/executions/{number}/{verb}/", what=f"execution {number}")
            render(execution, out, human=lambda console: console.print(
                f"execution {number}: {escape(execution.get('status'))}"))

    command.__doc__ = help_text
    execution_app.command(verb)(command)


_command("cancel", "Cancel an execution (a workflow cancels its children).")
_command("pause", "Pause a running workflow: running tasks finish, nothing new starts.")
_command("resume", "Resume a paused workflow.")


@execution_app.command("re-run")
def execution_rerun(
    execution_id: IdArg,
    params: ParamsArg = None,
    run_async: AsyncOpt = False,
    stream: TailOpt = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Run an execution's action again, with PARAMS changed (secrets are reused from the stored values)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        number = _execution_id(api, execution_id)
        source = api.get(f"/executions/{number}/", what=f"execution {number}")
        values = request_params(api, source["action"], params) if params else {}
        execution = api.post(f"/executions/{number}/re-run/", json={"parameters": values},
                             what=f"execution {number}")
        follow(api, execution, out, run_async=run_async, stream=stream)
