"""The remote ``attune rule`` commands (``rule test`` is offline, in rules.py):
list, show, enable, disable, create from a YAML file, delete."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .common import FieldOpt, JsonOpt, Out, OutputOpt, YesOpt, delete_confirmed, render, session
from .files import load_mapping
from .output import EXIT_USAGE, CliError, OutputFormat, escape
from .resources import RESOURCES, list_command, show_command, switch_command
from .rules import app, parse_rule

app.command("list")(list_command(RESOURCES["rule"]))
app.command("show")(show_command(RESOURCES["rule"]))


app.command("enable")(switch_command("rule", True))
app.command("disable")(switch_command("rule", False))


@app.command("create")
def create(
    rule_file: Annotated[str, typer.Argument(metavar="RULE_FILE", help="The rule as YAML or JSON ('-': stdin).")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create a rule from a file in the pack format (rules.md; StackStorm spellings accepted)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        body = rule_body(load_mapping(rule_file, what="rule file"), file=rule_file)
        rule = api.post("/rules/", json=body)
        render(rule, out, human=lambda console: console.print(f"rule {escape(rule.get('ref'))} created"))


def rule_body(data: dict[str, Any], *, file: str) -> dict[str, Any]:
    """The API's rule fields from a rule file in the pack format, StackStorm spellings
    included (``trigger: {type, parameters}``, ``action: {ref, parameters}``)."""
    rule = parse_rule(data, file=file)
    if not rule.action:
        raise CliError(f"rule {file}: action is required (action: <ref> or action: {{ref: <ref>}})", code=EXIT_USAGE)
    body: dict[str, Any] = {"ref": rule.ref, "trigger": rule.trigger, "action": rule.action,
                            "action_params": rule.action_params}
    trigger = data.get("trigger")
    trigger_params = data.get("trigger_params")
    if isinstance(trigger, dict) and trigger.get("parameters") is not None:
        trigger_params = trigger["parameters"]
    if trigger_params is not None:
        body["trigger_params"] = trigger_params
    for name in ("label", "description", "enabled", "criteria", "conditions"):
        if data.get(name) is not None:
            body[name] = data[name]
    return body


@app.command("delete")
def delete(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    yes: YesOpt = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete a rule."""
    delete_confirmed(Out.of(output, as_json), yes=yes, verb="delete", what=f"rule {ref}", path=f"/rules/{ref}/",
                     past="deleted", ident=ref)
