"""``list`` and ``show`` for every resource, from one table of what each one is:
its API path, how a row is named (``ref`` or ``id``), and the columns of its table.

``attune trigger list --pack core``, ``attune event show 12``, ``attune user show alice``.
Resources looked up by id also accept a name (``user show alice``): the CLI asks
the list filtered by that name and takes the exact match.
"""

# No `from __future__ import annotations`: the commands built here take their
# option metadata from the enclosing function, so annotations must be evaluated there.
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from .client import Api
from .common import FieldOpt, JsonOpt, LimitOpt, Out, OutputOpt, key_values, render, session
from .output import EXIT_FAILURE, CliError, OutputFormat, escape


@dataclass(frozen=True)
class Resource:
    name: str  # singular, as the command and messages say it
    path: str  # the API collection, e.g. "/actions/"
    key: str = "ref"  # how the API looks one up: "ref", "name" or "id"
    columns: tuple[str, ...] = ()
    by_pack: bool = True  # the list filters by ?pack=
    name_field: str | None = None  # for id-keyed resources: the field a name matches
    list_help: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


RESOURCES = {r.name: r for r in [
    Resource("pack", "/packs/", columns=("ref", "version", "enabled", "system", "description"), by_pack=False),
    Resource("action", "/actions/", columns=("ref", "runner_type", "enabled", "description")),
    Resource("runtime", "/runtimes/", key="name", columns=("name", "pack", "queue", "interpreter"), by_pack=False),
    Resource("trigger", "/triggers/", columns=("ref", "enabled", "webhook", "description")),
    Resource("sensor", "/sensors/", columns=("ref", "enabled", "trigger_types", "triggers", "description")),
    Resource("rule", "/rules/", columns=("ref", "enabled", "trigger", "action", "description")),
    Resource("event", "/events/", key="id", columns=("id", "trigger", "status", "source", "created_at"),
             by_pack=False),
    Resource("enforcement", "/enforcements/", key="id",
             columns=("id", "rule", "trigger", "event", "execution", "status", "created_at"), by_pack=False),
    Resource("worker", "/workers/", key="id",
             columns=("id", "name", "role", "status", "queues", "running", "heartbeat_at"), by_pack=False),
    Resource("user", "/users/", key="id", name_field="username", by_pack=False,
             columns=("id", "username", "email", "is_active", "is_superuser", "roles", "last_login")),
    Resource("role", "/roles/", key="id", name_field="name", by_pack=False,
             columns=("id", "name", "builtin", "packs", "users", "description")),
    Resource("api-key", "/api-keys/", key="id", name_field="name", by_pack=False,
             columns=("id", "name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")),
    Resource("audit-event", "/audit-events/", key="id", by_pack=False,
             columns=("id", "created_at", "actor", "verb", "object_type", "object_id", "outcome", "source")),
    Resource("key", "/keys/", key="id", columns=("id", "name", "scope", "value", "encrypted", "expires_at"),
             by_pack=False),
]}


def lookup(api: Api, resource: Resource, value: str) -> dict[str, Any]:
    """One row of ``resource`` by its ref/name/id (or, for id-keyed ones, by name)."""
    what = f"{resource.name} {value}"
    if resource.key != "id" or value.isdigit():
        return api.get(f"{resource.path}{value}/", what=what)
    if resource.name_field is None:
        raise CliError(f"{resource.name} id {value!r}: expected a number", code=2)
    rows = api.collect(resource.path, {resource.name_field: value}, limit=100)
    matches = [row for row in rows if row.get(resource.name_field) == value]
    if not matches:
        raise CliError(f"{what} not found", code=EXIT_FAILURE, status=404)
    return matches[0]


def list_command(resource: Resource) -> Callable[..., None]:
    """A ``list`` command: ``--pack`` (where it applies), ``-q``, ``--filter``, ``-n``."""

    def list_rows(pack: str | None, search: str | None, filters: list[str] | None, limit: int, out: Out) -> None:
        with session(out) as api:
            query: dict[str, Any] = key_values(filters, option="--filter")
            if pack:
                query["pack"] = pack
            if search:
                query["q"] = search
            render(api.collect(resource.path, query, limit=limit), out, columns=resource.columns)

    SearchOpt = Annotated[str | None, typer.Option("--search", "-q", help="Search text (the API's ?q=).")]
    FilterOpt = Annotated[
        list[str] | None, typer.Option("--filter", help="An API filter, KEY=VALUE (repeatable), e.g. enabled=true.")
    ]

    if resource.by_pack:

        def command(
            pack: Annotated[str | None, typer.Option("--pack", "-p", help="Only this pack's.")] = None,
            search: SearchOpt = None,
            filters: FilterOpt = None,
            limit: LimitOpt = 50,
            output: OutputOpt = OutputFormat.TABLE,
            as_json: JsonOpt = False,
            field: FieldOpt = None,
        ) -> None:
            list_rows(pack, search, filters, limit, Out.of(output, as_json, field))

    else:

        def command(  # type: ignore[misc]
            search: SearchOpt = None,
            filters: FilterOpt = None,
            limit: LimitOpt = 50,
            output: OutputOpt = OutputFormat.TABLE,
            as_json: JsonOpt = False,
            field: FieldOpt = None,
        ) -> None:
            list_rows(None, search, filters, limit, Out.of(output, as_json, field))

    command.__doc__ = f"List {resource.name}s."
    return command


def show_command(resource: Resource) -> Callable[..., None]:
    metavar = {"ref": "REF", "name": "NAME", "id": "ID"}[resource.key]
    if resource.name_field:
        metavar = f"ID|{resource.name_field.upper()}"

    def command(
        value: Annotated[str, typer.Argument(metavar=metavar, help=f"The {resource.name}'s {resource.key}.")],
        output: OutputOpt = OutputFormat.TABLE,
        as_json: JsonOpt = False,
        field: FieldOpt = None,
    ) -> None:
        out = Out.of(output, as_json, field)
        with session(out) as api:
            render(lookup(api, resource, value), out)

    command.__doc__ = f"Show one {resource.name}."
    return command


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


def resource_app(name: str, help_text: str) -> typer.Typer:
    """A typer group with ``list`` and ``show`` for the resource ``name``."""
    app = typer.Typer(help=help_text, no_args_is_help=True)
    app.command("list")(list_command(RESOURCES[name]))
    app.command("show")(show_command(RESOURCES[name]))
    return app
