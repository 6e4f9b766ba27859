"""``attune auth`` (login, logout, whoami) and ``attune config`` (the profile file)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from . import profiles
from .client import OPTIONS, Api
from .common import FieldOpt, JsonOpt, Out, OutputOpt, render
from .output import EXIT_USAGE, CliError, OutputFormat, echo, reporting

auth_app = typer.Typer(help="Log in and out; who am I.", no_args_is_help=True)
config_app = typer.Typer(help="Profiles: the API's URL and credentials, in the config file.", no_args_is_help=True)

MASKED_KEYS = {"api_key", "access", "refresh"}


@auth_app.command("login")
def login(
    username: Annotated[str | None, typer.Option("--username", "-u", help="Asked for when not given.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    api_key: Annotated[
        bool, typer.Option("--api-key", help="Store an API key (read from stdin or asked for) instead of logging in.")
    ] = False,
    api_url: Annotated[str | None, typer.Option("--api-url", help="Also store this API URL in the profile.")] = None,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Log in with a username and password (tokens are kept in the profile, mode 0600), or store an API key."""
    out = Out.of(output, as_json)
    with reporting(out.fmt):
        profile = profiles.resolve(OPTIONS.profile, must_exist=not api_url)
        if api_url:
            profile.api_url = api_url.rstrip("/")
            profile.save(api_url=profile.api_url)
        if api_key:
            token = _secret("API key", password_stdin or not sys.stdin.isatty())
            if not token:
                raise CliError("no API key given", code=EXIT_USAGE)
            profile.api_key, profile.access, profile.refresh, profile.env_token = token, None, None, None
            with Api(profile) as api:
                me = _whoami(api)
            path = profile.save(api_key=token, access=None, refresh=None, access_expires_at=None,
                                refresh_expires_at=None, username=me.get("username"))
            _logged_in(out, profile, me, path, "API key stored")
            return
        if not username:
            username = typer.prompt("Username", err=True)
        password = _secret("Password", password_stdin)
        with Api(profile) as api:
            answer = api.post("/auth/login", json={"username": username, "password": password}, authenticate=False)
        if not isinstance(answer, dict) or not answer.get("access"):
            raise CliError(f"the API at {profile.api_url} answered the login without an access token", code=1)
        user = answer.get("user") or {"username": username}
        path = profile.save(access=answer["access"], refresh=answer.get("refresh"),
                            access_expires_at=answer.get("access_expires_at"),
                            refresh_expires_at=answer.get("refresh_expires_at"),
                            username=user.get("username") or username, api_key=None)
        _logged_in(out, profile, user, path, "logged in")


def _secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip("\r\n")
    return typer.prompt(prompt, hide_input=True, err=True)


def _whoami(api: Api) -> dict[str, Any]:
    return api.get("/auth/whoami")


def _logged_in(out: Out, profile: profiles.Profile, user: dict[str, Any], path: Any, what: str) -> None:
    data = {"profile": profile.name, "api_url": profile.api_url, "username": user.get("username"),
            "config": str(path)}
    render(data, out, human=lambda console: echo(
        f"{what} as {user.get('username')} at {profile.api_url} (profile {profile.name}, {path})", err=True))


@auth_app.command("logout")
def logout(output: OutputOpt = OutputFormat.TABLE, as_json: JsonOpt = False) -> None:
    """Revoke the refresh token and forget the profile's tokens (an API key stays: `config unset api_key`)."""
    out = Out.of(output, as_json)
    with reporting(out.fmt):
        profile = profiles.resolve(OPTIONS.profile)
        revoked = False
        if profile.refresh:
            with Api(profile) as api:
                try:
                    api.post("/auth/logout", json={"refresh": profile.refresh}, authenticate=False)
                    revoked = True
                except CliError as exc:
                    if exc.status is None:  # unreachable: still forget the tokens, but say so
                        echo(f"warning: {exc.message}; the refresh token was not revoked", err=True)
        profile.save(access=None, refresh=None, access_expires_at=None, refresh_expires_at=None,
                     username=None if not profile.api_key else profile.username)
        render({"profile": profile.name, "logged_out": True, "revoked": revoked}, out,
               human=lambda console: echo(f"logged out (profile {profile.name})", err=True))


@auth_app.command("whoami")
def whoami(output: OutputOpt = OutputFormat.TABLE, as_json: JsonOpt = False, field: FieldOpt = None) -> None:
    """Who the API says you are, and with which roles."""
    out = Out.of(output, as_json, field)
    with reporting(out.fmt):
        with Api() as api:
            me = api.get("/auth/whoami")
            if not out.field and not out.fmt.is_document:
                me = {**me, "profile": api.profile.name, "api_url": api.profile.api_url}
        render(me, out)


# --- config -------------------------------------------------------------------------


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(metavar="KEY", help=", ".join(sorted(profiles.SETTABLE)))],
    value: Annotated[str | None, typer.Argument(metavar="[VALUE]", help="Asked for (hidden) for api_key.")] = None,
) -> None:
    """Set a value of the current profile (--profile NAME for another one)."""
    with reporting():
        if key not in profiles.SETTABLE:
            raise CliError(f"unknown key {key!r}: one of {', '.join(sorted(profiles.SETTABLE))}", code=EXIT_USAGE)
        if value is None:
            value = _secret(key, not sys.stdin.isatty()) if key == "api_key" else typer.prompt(key, err=True)
        stored: Any = value
        if key == "timeout":
            try:
                stored = float(value)
            except ValueError:
                raise CliError(f"timeout {value!r}: expected a number of seconds", code=EXIT_USAGE) from None
        if key == "verify":
            stored = value.lower() not in ("false", "no", "0", "off")
        if key == "api_url":
            if not value.startswith(("http://", "https://")):
                raise CliError(f"api_url {value!r}: expected an http:// or https:// URL", code=EXIT_USAGE)
            stored = value.rstrip("/")
        name = profiles.profile_name(OPTIONS.profile)
        path = profiles.Profile(name=name).save(**{key: stored})
        echo(f"{key} set in profile {name} ({path})", err=True)


@config_app.command("unset")
def config_unset(key: Annotated[str, typer.Argument(metavar="KEY")]) -> None:
    """Remove a value from the current profile."""
    with reporting():
        name = profiles.profile_name(OPTIONS.profile)
        profiles.Profile(name=name).save(**{key: None})
        echo(f"{key} removed from profile {name}", err=True)


@config_app.command("use")
def config_use(name: Annotated[str, typer.Argument(metavar="PROFILE")]) -> None:
    """Make PROFILE the one used when --profile is not given."""
    with reporting():
        data = profiles.load_file()
        data["current"] = name
        data.setdefault("profiles", {}).setdefault(name, {})
        path = profiles.save_file(data)
        echo(f"profile {name} is now current ({path})", err=True)


@config_app.command("show")
def config_show(output: OutputOpt = OutputFormat.TABLE, as_json: JsonOpt = False) -> None:
    """Show the profiles (tokens masked) and which one is used."""
    out = Out.of(output, as_json)
    with reporting(out.fmt):
        data = profiles.load_file()
        current = profiles.profile_name(OPTIONS.profile, data)
        rows = []
        for name, entry in sorted((data.get("profiles") or {}).items()):
            rows.append({"profile": name, "current": name == current, "api_url": entry.get("api_url"),
                         "username": entry.get("username"),
                         "credentials": "api key" if entry.get("api_key") else
                         ("tokens" if entry.get("refresh") else None)})
        render({"config": str(profiles.config_path()), "current": current, "profiles": rows}
               if out.fmt.is_document else rows, out,
               columns=["profile", "current", "api_url", "username", "credentials"])
