"""The ``attune`` command: a typer app; ``main()`` is the console script's entry point.

Only typer and the CLI's own small modules are imported here. Each command imports
the engine it needs (expressions, criteria, workflows) when it runs, and nothing
sets Django up, so ``attune --help`` is quick and the offline commands work right
after ``pip install``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import expr, rules, workflows
from .output import echo

app = typer.Typer(
    name="attune",
    help="Attune: event-driven automation. These commands work offline (no server, no database).",
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
) -> None:
    """Attune: event-driven automation. These commands work offline (no server, no database)."""


app.command("expr")(expr.expr)
app.add_typer(rules.app, name="rule")
app.add_typer(workflows.app, name="workflow")


def main() -> None:
    app(prog_name="attune")


if __name__ == "__main__":
    main()
