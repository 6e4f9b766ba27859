"""What every remote command shares: the ``-o/--output``, ``-j/--json`` and ``--field``
options, printing an answer in the chosen form, and a session that turns errors
into their printed form and exit code."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .client import Api
from .output import (
    EXIT_FAILURE,
    EXIT_USAGE,
    CliError,
    OutputFormat,
    echo,
    emit,
    escape,
    reporting,
    summarize,
    to_json,
    to_yaml,
)

if TYPE_CHECKING:
    from rich.console import Console

OutputOpt = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="table (readable), json or yaml; errors too.")
]
JsonOpt = Annotated[bool, typer.Option("--json", "-j", help="Shorthand for -o json.")]
FieldOpt = Annotated[
    str | None,
    typer.Option("--field", "-k", metavar="PATH", help="Print only this value (a.b.0.c); one line per row of a list."),
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many rows at most.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]


@dataclass
class Out:
    """How to print the answer."""

    fmt: OutputFormat = OutputFormat.TABLE
    field: str | None = None

    @classmethod
    def of(cls, output: OutputFormat = OutputFormat.TABLE, as_json: bool = False, field: str | None = None) -> Out:
        return cls(OutputFormat.JSON if as_json else output, field)


@contextmanager
def session(out: Out) -> Iterator[Api]:
    """An API client; a CliError raised inside is printed (as JSON with -o json)."""
    with reporting(out.fmt):
        with Api() as api:
            yield api


def delete_confirmed(out: Out, *, yes: bool, verb: str, what: str, path: str | Callable[[Api], str],
                     past: str, ident: Any) -> None:
    """Ask before removing something (unless --yes), DELETE it, report it removed.
    `path` may need the API to be found (a name looked up to its id)."""
    if not yes and not typer.confirm(f"{verb.capitalize()} {what}?", err=True):
        raise typer.Exit(EXIT_FAILURE)
    with session(out) as api:
        url = path(api) if callable(path) else path
        api.delete(url, what=what)
        render({past: ident}, out, human=lambda console: echo(f"{what} {past}"))


# --- picking and printing -----------------------------------------------------------


def pick(data: Any, path: str) -> Any:
    """The value at ``a.b.0.c`` in ``data``; CliError (exit 2) if there is none."""
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise CliError(f"--field {path}: the answer has no {part!r} there", code=EXIT_USAGE)
    return value


def _scalar(value: Any, fmt: OutputFormat) -> str:
    if isinstance(value, str):
        return value
    if fmt is OutputFormat.YAML:
        return to_yaml(value).rstrip("\n")
    return to_json(value) if isinstance(value, (dict, list)) else to_json(value, indent=None)


def render(data: Any, out: Out, *, human: Callable[[Console], None] | None = None,
           columns: Sequence[str] | None = None) -> None:
    """Print an answer: one field, a document, or the readable view (``human`` or a
    table of ``columns`` for a list, key/value rows for a record)."""
    if out.field:
        rows = data if isinstance(data, list) else [data]
        for row in rows:
            echo(_scalar(pick(row, out.field), out.fmt))
        return
    if out.fmt.is_document:
        emit(data, out.fmt)
    elif human is not None:
        emit(data, out.fmt, human=human)
    elif isinstance(data, list):
        emit(data, out.fmt, human=lambda console: print_rows(console, data, columns))
    else:
        emit(data, out.fmt, human=lambda console: print_record(console, data))


def cell(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value if len(value) <= width else value[: width - 1] + "…"
    return summarize(value, width=width)


def print_rows(out: Console, rows: list[Any], columns: Sequence[str] | None = None) -> None:
    """A table of the given columns (those the rows have), or of every key."""
    from rich.table import Table

    if not rows:
        out.print("(none)", style="dim")
        return
    present: list[str] = []
    for row in rows:
        present.extend(key for key in row if key not in present)
    shown = [c for c in columns if c in present] if columns else present
    table = Table(*shown, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        table.add_row(*(escape(cell(row.get(column))) for column in shown))
    out.print(table)


def print_record(out: Console, record: Any, *, skip: Sequence[str] = ()) -> None:
    """One record as key/value rows; nested values as compact JSON."""
    from rich.table import Table

    if not isinstance(record, Mapping):
        out.print(escape(cell(record, width=10_000)))
        return
    table = Table("field", "value", show_header=False, box=None, pad_edge=False)
    table.columns[0].style = "bold"
    for key, value in record.items():
        if key not in skip:
            table.add_row(escape(key), escape(cell(value, width=200)))
    out.print(table)


# --- arguments ----------------------------------------------------------------------


def key_values(items: Sequence[str] | None, *, option: str) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; CliError naming the option for anything else."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{option} {item!r}: expected KEY=VALUE", code=EXIT_USAGE)
        result[key.strip()] = value
    return result
