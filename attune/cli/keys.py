"""``attune key``: the key store (values and secrets). ``set -e`` stores a value
encrypted; ``get -d`` asks the API to decrypt it (an audited request, for users
holding ``decrypt``); without ``-d`` an encrypted value is shown as null."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .client import Api
from .common import FieldOpt, JsonOpt, LimitOpt, Out, OutputOpt, render, session
from .files import parse_value
from .output import EXIT_FAILURE, EXIT_USAGE, CliError, OutputFormat, echo, escape
from .resources import RESOURCES

app = typer.Typer(help="Keys: values and secrets for rules, workflows and actions.", no_args_is_help=True)

ScopeOpt = Annotated[
    str | None,
    typer.Option("--scope", "-s", help="system, pack:<ref> or user:<username> (default: the API's, system)."),
]
NameArg = Annotated[str, typer.Argument(metavar="NAME")]


def find(api: Api, name: str, scope: str | None) -> dict[str, Any]:
    """The key ``name`` (in ``scope``); CliError if none, or several in different scopes."""
    if name.isdigit():
        return api.get(f"/keys/{name}/", what=f"key {name}")
    query = {"name": name, **({"scope": scope} if scope else {})}
    matches = [row for row in api.collect("/keys/", query, limit=100) if row.get("name") == name and
               (scope is None or row.get("scope") == scope)]
    if not matches:
        raise CliError(f"key {name}{' in scope ' + scope if scope else ''} not found", code=EXIT_FAILURE, status=404)
    if len(matches) > 1:
        scopes = ", ".join(str(row.get("scope")) for row in matches)
        raise CliError(f"key {name} exists in several scopes ({scopes}): choose one with --scope", code=EXIT_USAGE)
    return matches[0]


@app.command("list")
def key_list(
    scope: ScopeOpt = None,
    prefix: Annotated[str | None, typer.Option("--search", "-q", help="Search names (?q=).")] = None,
    limit: LimitOpt = 50,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """List keys (encrypted values are not shown)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        query = {key: value for key, value in {"scope": scope, "q": prefix}.items() if value}
        render(api.collect("/keys/", query, limit=limit), out, columns=RESOURCES["key"].columns)


@app.command("get")
def key_get(
    name: NameArg,
    scope: ScopeOpt = None,
    decrypt: Annotated[bool, typer.Option("--decrypt", "-d", help="Show an encrypted value in clear.")] = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Show a key; with -d an encrypted key's value is decrypted."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        key = find(api, name, scope)
        if decrypt and key.get("encrypted"):
            key = {**key, "value": (api.post(f"/keys/{key['id']}/decrypt/", what=f"key {name}") or {}).get("value")}
        render(key, out)


@app.command("set")
def key_set(
    name: NameArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The value (JSON when it parses: 3, true, [1]).")],
    scope: ScopeOpt = None,
    encrypt: Annotated[
        bool | None,
        typer.Option("--encrypt/--no-encrypt", "-e/-E",
                     help="Store the value encrypted (an existing key keeps its setting unless told)."),
    ] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", min=1, help="Expire after this many seconds.")] = None,
    string: Annotated[bool, typer.Option("--string", help="Keep VALUE a string even if it parses as JSON.")] = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create or update a key."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        changes: dict[str, Any] = {"value": value if string else parse_value(value)}
        if encrypt is not None:
            changes["encrypted"] = encrypt
        if ttl is not None:
            changes["ttl"] = ttl
        existing = _existing(api, name, scope)
        if existing is None:
            data = {"name": name, **changes, "encrypted": bool(encrypt), "ttl": ttl}
            if scope:
                data["scope"] = scope
            key = api.post("/keys/", json=data)
        else:
            key = api.patch(f"/keys/{existing['id']}/", json=changes, what=f"key {name}")
        render(key, out, human=lambda console: console.print(
            f"key {escape(key.get('name'))} ({escape(key.get('scope'))}) {'updated' if existing else 'created'}"
            + (", encrypted" if key.get("encrypted") else "")))


def _existing(api: Api, name: str, scope: str | None) -> dict[str, Any] | None:
    query = {"name": name, "scope": scope or "system"}
    rows = api.collect("/keys/", query, limit=100)
    return next((row for row in rows if row.get("name") == name and row.get("scope") == (scope or "system")), None)


@app.command("delete")
def key_delete(
    name: NameArg,
    scope: ScopeOpt = None,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete a key."""
    out = Out.of(output, as_json)
    with session(out) as api:
        key = find(api, name, scope)
        api.delete(f"/keys/{key['id']}/", what=f"key {name}")
        render({"deleted": name, "scope": key.get("scope")}, out,
               human=lambda console: echo(f"key {name} ({key.get('scope')}) deleted"))
