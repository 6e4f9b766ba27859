"""Reading the CLI's input files (JSON or YAML) and ``KEY=VALUE`` arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .output import EXIT_USAGE, CliError, plain

STDIN = "-"


def read_text(path: str, *, what: str) -> str:
    """The text of ``path`` (``-``: standard input); CliError (exit 2) if it cannot be read."""
    if path == STDIN:
        return sys.stdin.read()
    file = Path(path)
    if not file.exists():
        raise CliError(f"{what} {path}: no such file", code=EXIT_USAGE)
    if file.is_dir():
        raise CliError(f"{what} {path}: is a directory, not a file", code=EXIT_USAGE)
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{what} {path}: not UTF-8 text", code=EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"{what} {path}: cannot be read ({exc.strerror or exc})", code=EXIT_USAGE) from None


def parse_data(text: str, *, name: str, what: str) -> Any:
    """JSON or YAML text as JSON data (YAML dates become ISO strings, keys strings).

    A ``.json`` file must be JSON; anything else is read as YAML (which JSON also is).
    """
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"{what} {name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", code=EXIT_USAGE
            ) from None
    import yaml

    try:
        return plain(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1} column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise CliError(f"{what} {name}: invalid YAML{where}: {problem}", code=EXIT_USAGE) from None


def load_data(path: str, *, what: str) -> Any:
    """Read and parse a JSON or YAML file (``-``: standard input)."""
    return parse_data(read_text(path, what=what), name=path, what=what)


def load_mapping(path: str, *, what: str) -> dict[str, Any]:
    """A JSON/YAML file holding a mapping; an empty file is an empty mapping."""
    data = load_data(path, what=what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CliError(f"{what} {path}: must hold a mapping (a JSON object), not {type_name(data)}", code=EXIT_USAGE)
    return data


def parse_json_mapping(text: str, *, what: str) -> dict[str, Any]:
    """A JSON object given on the command line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what}: invalid JSON at column {exc.colno}: {exc.msg}", code=EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CliError(f"{what}: must be a JSON object, not {type_name(data)}", code=EXIT_USAGE)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON data: keep such values as strings


def parse_value(text: str) -> Any:
    """A ``KEY=VALUE`` value: JSON when it parses (``3``, ``true``, ``[1, 2]``, ``"a"``), else the string."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return text


def type_name(value: Any) -> str:
    """The data language's name for a value's type (as ``type_of`` answers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__
