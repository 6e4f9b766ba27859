"""The ``attune`` command: a typer app; ``main()`` is the console script's entry point.

Only typer, httpx and the CLI's own small modules are imported here. The offline
commands import the engine they need (expressions, criteria, workflows) when they
run; the remote commands speak HTTP to the API (client.py). Nothing sets Django up,
so ``attune --help`` is quick and the CLI works right after ``pip install``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import auth, catalogue, expr, identity, keys, packs, rule_commands, runs, workflows
from .client import OPTIONS
from .output import echo

HELP = """Attune: event-driven automation, from the command line.

Remote commands use a profile (attune auth login; attune config set api_url URL;
ATTUNE_API_URL and ATTUNE_API_KEY override it). expr, rule test and workflow
validate|simulate work offline."""

app = typer.Typer(
    name="attune",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets (pack config, keystore)
)


def version() -> str:
    """The installed distribution's version, else the checkout's pyproject.toml."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("attune")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def _show_version(value: bool) -> None:
    if value:
        echo(f"attune {version()}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-P", envvar="ATTUNE_PROFILE", help="The profile of the config file to use."),
    ] = None,
) -> None:
    OPTIONS.profile = profile


app.command("expr")(expr.expr)
app.command("run")(runs.run)
app.add_typer(auth.auth_app, name="auth")
app.add_typer(auth.config_app, name="config")
app.add_typer(packs.app, name="pack")
app.add_typer(runs.action_app, name="action")
app.add_typer(runs.execution_app, name="execution")
app.add_typer(rule_commands.app, name="rule")
app.add_typer(catalogue.trigger_app, name="trigger")
app.add_typer(catalogue.sensor_app, name="sensor")
app.add_typer(catalogue.event_app, name="event")
app.add_typer(catalogue.enforcement_app, name="enforcement")
app.add_typer(keys.app, name="key")
app.add_typer(workflows.app, name="workflow")
app.add_typer(identity.user_app, name="user")
app.add_typer(identity.role_app, name="role")
app.add_typer(identity.api_key_app, name="api-key")
app.add_typer(identity.audit_app, name="audit")
app.add_typer(catalogue.runtime_app, name="runtime")
app.add_typer(catalogue.worker_app, name="worker")


def main() -> None:
    app(prog_name="attune")


if __name__ == "__main__":
    main()
