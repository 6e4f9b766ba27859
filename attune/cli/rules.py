"""``attune rule test``: StackStorm's rule tester, offline.

Reads a rule file (FORMATS.md "Rule") and an event payload and answers whether the
rule matches and with which action parameters, using the same criteria operators
and expression engine as the platform, with the context the platform builds
(apps/automation/services/matching.py) except what needs the database: ``pack.config``
and ``keystore`` are null unless ``--context`` supplies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .files import load_data, load_mapping, type_name
from .output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, OutputFormat, emit, escape, reporting, summarize

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(help="Rules: list, show, enable, disable, create, delete; test offline.", no_args_is_help=True)

CONTEXT_KEYS = {"pack_config", "config", "keystore"}


@dataclass
class Rule:
    """The parts of a rule file the tester needs."""

    file: str
    ref: str
    name: str
    pack: str
    trigger: str
    criteria: Any
    condition: str
    action: str
    action_params: dict[str, Any]
    enabled: bool = True


@dataclass
class Check:
    """One evaluated criterion or the condition, for the readable summary."""

    kind: str  # "criterion" | "condition"
    text: str
    holds: bool | None  # None: raised an error
    value: Any = None


@dataclass
class Verdict:
    match: bool
    action_params: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    reason: str | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.match and not self.errors else EXIT_FAILURE

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "action_params": self.action_params, "errors": self.errors, "reason": self.reason}


@app.command("test")
def test(
    rule_file: Annotated[str, typer.Argument(metavar="RULE_FILE", help="The rule's YAML (or JSON) file.")],
    event: Annotated[
        str,
        typer.Option(
            "--event", "-e", metavar="PAYLOAD_FILE",
            help="The event payload: a JSON or YAML file ('-' reads stdin).",
        ),
    ],
    trigger: Annotated[
        str | None,
        typer.Option("--trigger", metavar="REF", help="The event's trigger; a different one than the rule's never matches."),
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            "--context", "-c", metavar="FILE",
            help="JSON/YAML mapping with 'pack_config' (or 'config') and 'keystore'; both are null without it.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", "-j", help='Print {"match", "action_params", "errors", "reason"} as JSON.')
    ] = False,
) -> None:
    """Test whether RULE_FILE matches an event, and show the action parameters it would send.

    Exit 0 when it matches (and its action_params render), 1 when it does not (or a
    criterion, the condition or action_params fail: see errors), 2 on bad input files.
    """
    fmt = OutputFormat.JSON if as_json else OutputFormat.TABLE
    with reporting(fmt):
        rule = read_rule(rule_file)
        payload = load_mapping(event, what="--event")
        pack_config, keystore = read_context(context)
        verdict = test_rule(rule, payload, trigger=trigger, pack_config=pack_config, keystore=keystore)
    emit(verdict.to_dict(), fmt, human=lambda out: print_verdict(out, rule, verdict, trigger))
    raise typer.Exit(verdict.exit_code)


# --- reading ------------------------------------------------------------------------


def _pick(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if data.get(name) not in (None, ""):
            return data[name]
    return None


def _pack_of(path: Path) -> str:
    """The pack of ``<pack>/rules/<file>``: pack.yaml's ref, else the directory's name."""
    parent = path.resolve().parent
    if parent.name != "rules":
        return ""
    pack_dir = parent.parent
    meta = pack_dir / "pack.yaml"
    if meta.is_file():
        try:
            import yaml

            data = yaml.safe_load(meta.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("ref") or data.get("name"), str):
                return data.get("ref") or data["name"]
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            pass
    return pack_dir.name


def read_rule(path: str) -> Rule:
    data = load_data(path, what="rule")
    if not isinstance(data, dict):
        raise CliError(f"rule {path}: must hold a mapping of rule fields, not {type_name(data)}", code=EXIT_USAGE)
    return parse_rule(data, file=path)


def parse_rule(data: dict[str, Any], *, file: str) -> Rule:
    """Rule fields, accepting the StackStorm spellings (FORMATS.md "Rule")."""

    def bad(field_name: str, reason: str) -> CliError:
        return CliError(f"rule {file}: {field_name} {reason}", code=EXIT_USAGE)

    given = _pick(data, "ref", "name")
    pack = str(data.get("pack") or "")
    if isinstance(given, str) and "." in given:
        pack, name = given.split(".", 1)
    else:
        name = str(given) if given is not None else Path(file).stem
        pack = pack or (_pack_of(Path(file)) if file != "-" else "")
    ref = f"{pack}.{name}" if pack else name

    trigger = _pick(data, "trigger", "trigger_ref", "trigger_type")
    if isinstance(trigger, dict):
        trigger = _pick(trigger, "type", "ref")
    if not trigger:
        raise bad("trigger", "is required (trigger: <ref>, trigger_ref: <ref> or trigger: {type: <ref>})")
    if not isinstance(trigger, str):
        raise bad("trigger", f"must be a trigger ref, not {type_name(trigger)}")

    action = _pick(data, "action", "action_ref")
    action_params = data.get("action_params") or {}
    if isinstance(action, dict):
        action_params = action.get("parameters") or action_params
        action = _pick(action, "ref")
    if action is not None and not isinstance(action, str):
        raise bad("action", f"must be an action ref, not {type_name(action)}")
    if not isinstance(action_params, dict):
        raise bad("action_params", f"must be a mapping of parameter names to values, not {type_name(action_params)}")

    conditions = data.get("conditions")
    if conditions in (None, ""):
        condition = ""
    elif isinstance(conditions, str):
        condition = conditions
    elif isinstance(conditions, dict):
        expression = conditions.get("expression")
        if expression is not None and not isinstance(expression, str):
            raise bad("conditions.expression", f"must be a string, not {type_name(expression)}")
        condition = expression or ""
    else:
        raise bad("conditions", f"must be an expression or {{expression: …}}, not {type_name(conditions)}")

    return Rule(
        file=file, ref=ref, name=name, pack=pack, trigger=trigger, criteria=data.get("criteria"),
        condition=condition.strip(), action=action or "", action_params=action_params,
        enabled=data.get("enabled", True) is not False,
    )


def read_context(path: str | None) -> tuple[Any, Any]:
    """``(pack_config, keystore)`` from ``--context``; both None without it."""
    if path is None:
        return None, None
    data = load_mapping(path, what="--context")
    unknown = sorted(set(data) - CONTEXT_KEYS)
    if unknown:
        raise CliError(
            f"--context {path}: unknown key(s) {', '.join(unknown)}; expected pack_config (or config) and keystore",
            code=EXIT_USAGE,
        )
    if "pack_config" in data and "config" in data:
        raise CliError(f"--context {path}: give pack_config or config, not both", code=EXIT_USAGE)
    pack_config = data.get("pack_config", data.get("config"))
    return pack_config, data.get("keystore")


# --- evaluating ---------------------------------------------------------------------


def rule_context(rule: Rule, payload: Any, *, trigger: str, pack_config: Any, keystore: Any) -> dict[str, Any]:
    """What criteria patterns, the condition and action_params see (as on the platform)."""
    now = datetime.now(UTC).isoformat()
    return {
        "event": {"id": None, "trigger": trigger, "payload": payload, "created": now},
        "trigger": payload,  # StackStorm's name for the payload
        "rule": {"ref": rule.ref, "name": rule.name, "pack": rule.pack},
        "pack": {"ref": rule.pack, "config": pack_config},
        "keystore": keystore,
        "system": {"timestamp": now, "rule": rule.ref},
    }


def test_rule(rule: Rule, payload: Any, *, trigger: str | None = None, pack_config: Any = None,
              keystore: Any = None) -> Verdict:
    """Criteria (all must hold), then the condition, then action_params rendering."""
    from apps.automation.criteria import CriteriaError, criteria_match, resolve_path
    from apps.core.expressions import ExpressionError, evaluate, render, truthy

    if trigger is not None and trigger != rule.trigger:
        return Verdict(False, reason=f"the rule listens to trigger {rule.trigger}, the event is of trigger {trigger}")

    context = rule_context(rule, payload, trigger=trigger or rule.trigger, pack_config=pack_config, keystore=keystore)
    verdict = Verdict(False)

    def render_pattern(pattern: Any) -> Any:
        return render(pattern, context)

    # Criteria one at a time (same result as criteria_match on all of them), to say which failed.
    criteria = rule.criteria
    items = list(criteria.items()) if isinstance(criteria, Mapping) else [("", criteria)] if criteria else []
    for key, spec in items:
        text = _criterion_text(key, spec)
        try:
            holds = criteria_match({key: spec} if key else spec, context, render_pattern=render_pattern)
        except CriteriaError as exc:
            verdict.checks.append(Check("criterion", text, None))
            verdict.errors.append(_hint(str(exc), pack_config, keystore))
            verdict.reason = "a criterion could not be evaluated"
            return verdict
        value = _value_at(resolve_path, context, key)
        verdict.checks.append(Check("criterion", text, holds, value))
        if not holds:
            verdict.reason = f"criterion {text} does not hold (value: {summarize(value, 80) or 'null'})"
            return verdict

    if rule.condition:
        try:
            result = evaluate(rule.condition, context)
            holds = truthy(result)
        except ExpressionError as exc:
            verdict.checks.append(Check("condition", rule.condition, None))
            verdict.errors.append(_hint(f"conditions.expression: {exc}", pack_config, keystore))
            verdict.reason = "the condition could not be evaluated"
            return verdict
        verdict.checks.append(Check("condition", rule.condition, holds, result))
        if not holds:
            verdict.reason = f"the condition is false: {rule.condition}"
            return verdict

    verdict.match = True
    errors: list[str] = []
    params = _render_params(rule.action_params, context, render, ExpressionError, errors)
    if errors:
        verdict.errors.extend(_hint(error, pack_config, keystore) for error in errors)
        verdict.reason = "the rule matches but its action_params do not render"
    else:
        verdict.action_params = params
    return verdict


def _value_at(resolve_path: Any, context: dict[str, Any], key: str) -> Any:
    try:
        return resolve_path(context, key) if key else None
    except ValueError:
        return None


def _criterion_text(key: str, spec: Any) -> str:
    if not key:
        return "criteria"
    if isinstance(spec, Mapping):
        operator = spec.get("type", "?")
        pattern = "" if "pattern" not in spec else " " + summarize(spec.get("pattern"), 60)
        return f"{key} {operator}{pattern}"
    return key


def _render_params(value: Any, context: dict[str, Any], render: Any, error_type: type, errors: list[str],
                   path: str = "action_params") -> Any:
    """render() applied value by value, so an error names the parameter that failed."""
    if isinstance(value, dict):
        return {key: _render_params(item, context, render, error_type, errors, f"{path}.{key}")
                for key, item in value.items()}
    if isinstance(value, list):
        return [_render_params(item, context, render, error_type, errors, f"{path}.{index}")
                for index, item in enumerate(value)]
    try:
        return render(value, context)
    except error_type as exc:
        errors.append(f"{path}: {exc}")
        return None


def _hint(message: str, pack_config: Any, keystore: Any) -> str:
    """Say so when an error comes from what is null offline."""
    hints = []
    if pack_config is None and "pack.config" in message:
        hints.append("pack.config is null offline: pass --context FILE with pack_config")
    if keystore is None and "keystore" in message:
        hints.append("keystore is null offline: pass --context FILE with keystore")
    return message + "".join(f" ({hint})" for hint in hints)


# --- readable summary ---------------------------------------------------------------


def print_verdict(out: Console, rule: Rule, verdict: Verdict, trigger: str | None) -> None:
    from rich.syntax import Syntax

    from .output import to_json

    out.print(f"Rule [bold]{escape(rule.ref)}[/] on trigger {escape(rule.trigger)}")
    if not rule.enabled:
        out.print("[yellow]note:[/] the rule is disabled (enabled: false); the platform would not evaluate it")
    marks = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[red]![/]"}
    for check in verdict.checks:
        label = "condition: " if check.kind == "condition" else ""
        value = "" if check.holds is None else f"  [dim](value: {escape(summarize(check.value, 60) or 'null')})[/]"
        out.print(f"  {marks[check.holds]} {label}{escape(check.text)}{value}")
    if not verdict.checks and verdict.match:
        out.print("  no criteria and no condition: every event of the trigger matches")
    for error in verdict.errors:
        out.print(f"[red]error:[/] {escape(error)}")
    if verdict.match and verdict.action_params is not None:
        action = escape(rule.action or "(no action)")
        out.print(f"[bold green]MATCH[/]: would run [bold]{action}[/] with")
        out.print(Syntax(to_json(verdict.action_params), "json", theme="ansi_dark", background_color="default"))
    elif verdict.match:
        out.print("[bold yellow]MATCH[/], but no execution: action_params do not render")
    else:
        out.print(f"[bold red]NO MATCH[/]: {escape(verdict.reason or 'see errors')}")
