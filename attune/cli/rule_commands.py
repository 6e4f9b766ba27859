"""The remote ``attune rule`` commands (``rule test`` is offline, in rules.py):
list, show, enable, disable, create from a YAML file, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import FieldOpt, JsonOpt, Out, OutputOpt, render, session
from .files import load_mapping
from .output import EXIT_FAILURE, OutputFormat, echo, escape
from .resources import RESOURCES, list_command, show_command
from .rules import app

app.command("list")(list_command(RESOURCES["rule"]))
app.command("show")(show_command(RESOURCES["rule"]))


def _switch(enabled: bool):
    verb = "enable" if enabled else "disable"

    def command(
        ref: Annotated[str, typer.Argument(metavar="REF")],
        output: OutputOpt = OutputFormat.TABLE,
        as_json: JsonOpt = False,
        field: FieldOpt = None,
    ) -> None:
        out = Out.of(output, as_json, field)
        with session(out) as api:
            rule = api.post(f"/rules/{ref}/{verb}/", what=f"rule {ref}")
            render(rule, out, human=lambda console: console.print(
                f"rule {escape(rule.get('ref'))} {'enabled' if rule.get('enabled') else 'disabled'}"))

    command.__doc__ = f"{verb.capitalize()} a rule."
    return command


app.command("enable")(_switch(True))
app.command("disable")(_switch(False))


@app.command("create")
def create(
    rule_file: Annotated[str, typer.Argument(metavar="RULE_FILE", help="The rule as YAML or JSON ('-': stdin).")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create a rule from a file in the pack format (ref or pack + name, trigger, criteria, action)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        body = load_mapping(rule_file, what="rule file")
        rule = api.post("/rules/", json=body)
        render(rule, out, human=lambda console: console.print(f"rule {escape(rule.get('ref'))} created"))


@app.command("delete")
def delete(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete a rule."""
    out = Out.of(output, as_json)
    if not yes and not typer.confirm(f"Delete rule {ref}?", err=True):
        raise typer.Exit(EXIT_FAILURE)
    with session(out) as api:
        api.delete(f"/rules/{ref}/", what=f"rule {ref}")
        render({"deleted": ref}, out, human=lambda console: echo(f"rule {ref} deleted"))
