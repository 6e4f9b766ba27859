"""How the CLI prints: data as a readable view, JSON or YAML; errors the same way.

Conventions (shared/research/ecosystem.md §1.1 rows 9 and 12):

- Data goes to stdout. In the readable ("table") format, errors and notes go to
  stderr, so a pipe only ever sees data.
- When JSON or YAML output is chosen, an error is printed as a document in that
  format on stdout too (``{"error": "…", "errors": […]}``), so ``… --json | jq``
  always receives one document; the exit code says that it is an error.
- Exit codes: 0 success, 1 a negative answer (no match, workflow failed, invalid,
  an execution that did not succeed, the API refused or could not be reached),
  2 bad input (usage, unreadable or malformed files, a parameter of the wrong type).

Commands raise :class:`CliError` and wrap their body in :func:`reporting`; later
API commands get ``-o/--output table|json|yaml`` by passing an :class:`OutputFormat`
to :func:`emit`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # rich is imported only when something is printed with it
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class OutputFormat(StrEnum):
    """``-o/--output``: ``table`` is the readable default."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"

    @property
    def is_document(self) -> bool:
        """JSON or YAML: machine-readable, errors included."""
        return self is not OutputFormat.TABLE


class CliError(Exception):
    """A failure to report to the user: a message, optional details, an exit code.

    ``errors`` are extra lines (strings) or records (dicts, e.g. ``{"file", "task",
    "field", "reason"}``) printed under the message.
    """

    def __init__(
        self, message: str, *, code: int = EXIT_USAGE, errors: list[Any] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = list(errors or [])
        self.status = status  # the API's HTTP status, when the API refused

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"error": self.message}
        if self.status is not None:
            data["status"] = self.status
        if self.errors:
            data["errors"] = self.errors
        return data


# --- serialisation ------------------------------------------------------------------


def plain(value: Any) -> Any:
    """``value`` as JSON data: dates as ISO strings, keys as strings, sets and tuples as lists."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {key if isinstance(key, str) else _key(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _key(key: Any) -> str:
    # YAML's `true:` or `1:` keys: spelled as JSON would see them.
    return json.dumps(key) if isinstance(key, (bool, type(None))) else str(key)


def to_json(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(plain(data), indent=indent, ensure_ascii=False)


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(plain(data), sort_keys=False, allow_unicode=True, default_flow_style=False)


def summarize(value: Any, width: int = 60) -> str:
    """One line of compact JSON, cut to ``width`` characters (for table cells)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- consoles -----------------------------------------------------------------------


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr), looked up at call time (test runners swap the streams)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def escape(text: Any) -> str:
    """Text safe to embed in rich markup (user data may contain ``[brackets]``)."""
    from rich.markup import escape as rich_escape

    return rich_escape(str(text))


# --- emitting -----------------------------------------------------------------------


def echo(text: str, *, err: bool = False) -> None:
    typer.echo(text, err=err)


def emit(data: Any, fmt: OutputFormat = OutputFormat.TABLE, *, human: Callable[[Console], None] | None = None) -> None:
    """Print ``data`` in ``fmt``; the readable form is ``human(console)`` or a generic view."""
    if fmt is OutputFormat.JSON:
        echo(to_json(data))
    elif fmt is OutputFormat.YAML:
        echo(to_yaml(data).rstrip("\n"))
    elif human is not None:
        human(console())
    else:
        print_table(console(), data)


def print_table(out: Console, data: Any) -> None:
    """A generic readable view: a list of records as a table, a record as key/value rows."""
    from rich.table import Table

    if isinstance(data, list) and data and all(isinstance(row, Mapping) for row in data):
        columns: list[str] = []
        for row in data:
            columns.extend(key for key in row if key not in columns)
        table = Table(*columns)
        for row in data:
            table.add_row(*(escape(_cell(row.get(column))) for column in columns))
        out.print(table)
    elif isinstance(data, Mapping):
        table = Table("field", "value", show_header=False)
        for key, value in data.items():
            table.add_row(escape(key), escape(_cell(value)))
        out.print(table)
    else:
        out.print(escape(_cell(data)))


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return summarize(value, width=120)


def error_lines(errors: list[Any]) -> list[str]:
    """Readable lines for error details: ``{file, task, field, reason}`` records read
    "file F, task T, field X: reason"; records with a ``message`` print it."""
    lines = []
    for error in errors:
        if isinstance(error, Mapping) and "reason" in error:
            where = ", ".join(f"{key} {error[key]}" for key in ("file", "task", "field") if error.get(key))
            lines.append(f"{where}: {error['reason']}" if where else str(error["reason"]))
        elif isinstance(error, Mapping) and isinstance(error.get("message"), str):
            lines.append(error["message"])  # a runtime error record: its message names task and field
        else:
            lines.append(error if isinstance(error, str) else summarize(error, width=200))
    return lines


def emit_error(error: CliError, fmt: OutputFormat = OutputFormat.TABLE) -> None:
    """Print an error: as a document on stdout for JSON/YAML, as text on stderr otherwise."""
    if fmt.is_document:
        emit(error.to_dict(), fmt)
        return
    echo(f"Error: {error.message}", err=True)
    for line in error_lines(error.errors):
        echo(f"  {line}", err=True)


@contextmanager
def reporting(fmt: OutputFormat = OutputFormat.TABLE) -> Iterator[None]:
    """Turn a :class:`CliError` raised inside into its printed form and exit code."""
    try:
        yield
    except CliError as exc:
        emit_error(exc, fmt)
        raise typer.Exit(exc.code) from None
