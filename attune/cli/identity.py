"""Who may do what: ``attune user``, ``attune role``, ``attune api-key``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from .common import FieldOpt, JsonOpt, Out, OutputOpt, YesOpt, delete_confirmed, render, session
from .files import load_mapping
from .output import OutputFormat, echo, escape
from .resources import RESOURCES, lookup, resource_app

user_app = resource_app("user", "Users (admins): list, show, create, set a password, delete.")
role_app = resource_app("role", "Roles: list, show, create from a file, delete.")
api_key_app = resource_app("api-key", "API keys: list, create (the token is shown once), revoke.")
audit_app = resource_app("audit-event", "The audit log: who did what, when, from where.")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(metavar="USERNAME")],
    email: Annotated[str | None, typer.Option("--email")] = None,
    roles: Annotated[list[str] | None, typer.Option("--role", "-r", help="A role to grant (repeatable).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    superuser: Annotated[bool, typer.Option("--superuser", help="An administrator.")] = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create a user (the password is asked for, or read with --password-stdin)."""
    out = Out.of(output, as_json, field)
    password = _password(password_stdin)
    with session(out) as api:
        body: dict[str, Any] = {"username": username, "password": password, "is_superuser": superuser}
        if email:
            body["email"] = email
        if roles:
            body["roles"] = roles
        user = api.post("/users/", json=body)
        render(user, out, human=lambda console: console.print(f"user {escape(user.get('username'))} created"))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@user_app.command("set-password")
def user_set_password(
    user: Annotated[str, typer.Argument(metavar="ID|USERNAME")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Set a user's password."""
    out = Out.of(output, as_json)
    password = _password(password_stdin)
    with session(out) as api:
        row = lookup(api, RESOURCES["user"], user)
        api.patch(f"/users/{row['id']}/", json={"password": password}, what=f"user {user}")
        render({"username": row.get("username"), "password": "set"}, out,
               human=lambda console: echo(f"password of {row.get('username')} set"))


def _delete(resource: str, verb: str, past: str):
    def command(
        value: Annotated[str, typer.Argument(metavar="ID|NAME")],
        yes: YesOpt = False,
        output: OutputOpt = OutputFormat.TABLE,
        as_json: JsonOpt = False,
    ) -> None:
        def path(api) -> str:
            row_id = int(value) if value.isdigit() else lookup(api, RESOURCES[resource], value)["id"]
            return f"{RESOURCES[resource].path}{row_id}/"

        delete_confirmed(Out.of(output, as_json), yes=yes, verb=verb, what=f"{resource} {value}", path=path,
                         past=past, ident=value)

    command.__doc__ = f"{verb.capitalize()} a {resource}."
    return command


user_app.command("delete")(_delete("user", "delete", "deleted"))
role_app.command("delete")(_delete("role", "delete", "deleted"))
api_key_app.command("revoke")(_delete("api-key", "revoke", "revoked"))


@role_app.command("create")
def role_create(
    role_file: Annotated[str, typer.Argument(metavar="ROLE_FILE", help="YAML/JSON: name, description, grants.")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create a custom role from a file."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        role = api.post("/roles/", json=load_mapping(role_file, what="role file"))
        render(role, out, human=lambda console: console.print(f"role {escape(role.get('name'))} created"))


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the key is for.")],
    expires: Annotated[str | None, typer.Option("--expires", help="Expiry time (ISO 8601).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="For another user (admins).")] = None,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Create an API key; its token is printed once and cannot be shown again."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        body: dict[str, Any] = {"name": name}
        if expires:
            body["expires_at"] = expires
        if user:
            body["user"] = user
        key = api.post("/api-keys/", json=body)

        def human(console: Any) -> None:
            echo(str(key.get("token")))
            echo(f"API key {key.get('name')} (id {key.get('id')}) created; the token above is shown only once.",
                 err=True)

        render(key, out, human=human)
