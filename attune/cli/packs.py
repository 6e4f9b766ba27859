"""``attune pack``: list, show, register, upload (a tar.gz, or a directory packed on
the fly), uninstall."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import FieldOpt, JsonOpt, Out, OutputOpt, YesOpt, delete_confirmed, render, session
from .output import EXIT_FAILURE, EXIT_USAGE, CliError, OutputFormat
from .resources import RESOURCES, list_command, show_command

app = typer.Typer(help="Packs: list, show, register, upload, uninstall.", no_args_is_help=True)
app.command("list")(list_command(RESOURCES["pack"]))
app.command("show")(show_command(RESOURCES["pack"]))

SKIPPED = {".git", "__pycache__", ".venv", "node_modules", ".mypy_cache", ".pytest_cache"}


def archive(directory: Path) -> bytes:
    """The directory as a tar.gz with one top-level directory (its name): regular files
    and directories only, no VCS or cache directories, no symlinks."""
    if not (directory / "pack.yaml").is_file():
        raise CliError(f"{directory}: no pack.yaml in this directory (is it a pack?)", code=EXIT_USAGE)
    buffer = io.BytesIO()
    top = directory.resolve().name
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(directory)
            if any(part in SKIPPED for part in relative.parts) or path.is_symlink() or path.suffix == ".pyc":
                continue
            if path.is_dir() or path.is_file():
                tar.add(path, arcname=f"{top}/{relative.as_posix()}", recursive=False)
    return buffer.getvalue()


@app.command("upload")
def upload(
    source: Annotated[Path, typer.Argument(metavar="FILE_OR_DIR", help="A pack's .tar.gz, or its directory.")],
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Install or upgrade a pack from an archive or a local directory (packed on the fly)."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        try:
            if source.is_dir():
                data, name = archive(source), f"{source.resolve().name}.tar.gz"
            elif source.is_file():
                data, name = source.read_bytes(), source.name
            else:
                raise CliError(f"{source}: no such file or directory", code=EXIT_USAGE)
        except OSError as exc:
            raise CliError(f"{source}: cannot be read ({exc.strerror or exc})", code=EXIT_USAGE) from None
        pack = api.post("/packs/upload/", files={"file": (name, data, "application/gzip")}, what="pack upload")
        render(pack, out, human=lambda console: console.print(
            f"pack {pack.get('ref')} {pack.get('version') or ''} installed".replace("  ", " ")))


@app.command("register")
def register(
    path: Annotated[str | None, typer.Option("--path", help="A pack directory on the server.")] = None,
    ref: Annotated[str | None, typer.Argument(metavar="[REF]", help="Register this pack again.")] = None,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
    field: FieldOpt = None,
) -> None:
    """Register packs from the server's pack directories: all of them, one REF, or --path."""
    out = Out.of(output, as_json, field)
    with session(out) as api:
        body: dict[str, Any] = {key: value for key, value in {"path": path, "ref": ref}.items() if value}
        report = api.post("/packs/register/", json=body)
        render(report, out, human=lambda console: _print_report(console, report))
        if report.get("errors"):
            raise typer.Exit(EXIT_FAILURE)


def _print_report(console: Any, report: dict[str, Any]) -> None:
    from .output import error_lines, escape

    for pack in report.get("registered") or []:
        console.print(f"registered {escape(pack.get('ref'))} ({escape(pack.get('path'))})")
    for failed in report.get("errors") or []:
        console.print(f"[red]failed[/] {escape(failed.get('path'))}:")
        for line in error_lines(failed.get("errors") or []):
            console.print(f"  {escape(line)}")


@app.command("uninstall")
def uninstall(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    yes: YesOpt = False,
    output: OutputOpt = OutputFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Remove a pack and its content (its executions' history stays)."""
    delete_confirmed(Out.of(output, as_json), yes=yes, verb="uninstall", what=f"pack {ref}",
                     path=f"/packs/{ref}/", past="uninstalled", ident=ref)
