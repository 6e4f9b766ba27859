"""How parameters reach an action process (parameter_format) and how its stdout
becomes a result (output_format); see reference/FORMATS.md "Action". Pure Python."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

PARAMETER_FORMATS = ("json", "yaml", "dotenv")
OUTPUT_FORMATS = ("text", "json", "yaml", "jsonl")

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_]")


def format_parameters(params: Mapping[str, Any], fmt: str) -> bytes:
    """The parameters as the bytes an action reads: one line of compact JSON, a YAML
    document, or dotenv lines a POSIX shell can `eval` safely."""
    if fmt == "json":
        return _to_json(params).encode() + b"\n"
    if fmt == "yaml":
        try:
            return yaml.safe_dump(dict(params), allow_unicode=True, sort_keys=True).encode()
        except UnicodeEncodeError:  # a lone surrogate: let YAML escape it instead
            return yaml.safe_dump(dict(params), allow_unicode=False, sort_keys=True).encode()
    if fmt == "dotenv":
        return _to_dotenv(params)
    raise ValueError(f"unknown parameter format {fmt!r} (expected one of {', '.join(PARAMETER_FORMATS)})")


def parse_output(stdout: str, fmt: str) -> tuple[Any, str | None]:
    """(value, error) for an action's stdout. `text` gives (None, None): the caller
    keeps stdout itself. Empty output is no value, not an error. Values are always
    JSON-compatible, since they are stored in a JSON column."""
    if fmt == "text":
        return None, None
    if fmt == "json":
        return _parse_json(stdout)
    if fmt == "yaml":
        return _parse_yaml(stdout)
    if fmt == "jsonl":
        return _parse_jsonl(stdout)
    raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(OUTPUT_FORMATS)})")


# --- parameters ------------------------------------------------------------------


def _to_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: escape everything
        text = json.dumps(value, separators=(",", ":"))
    return text


def _to_dotenv(params: Mapping[str, Any]) -> bytes:
    lines: dict[str, str] = {}
    origin: dict[str, str] = {}
    for key, value in _flatten(params, ""):
        name = _NOT_NAME_CHAR.sub("_", key) or "_"
        if name[0].isdigit():
            name = "_" + name
        if name in lines:
            # Two keys that sanitize alike ("a-b" and "a_b"): whichever the shell saw
            # last would silently win, so refuse instead.
            raise ValueError(f"dotenv: parameters {origin[name]!r} and {key!r} would both be {name}")
        text = _scalar_text(value)
        if "\0" in text:
            # A shell variable cannot hold a NUL byte; bash would drop it with a warning.
            raise ValueError(f"dotenv: parameter {key!r} contains a NUL byte")
        # Inside single quotes nothing is special to the shell but the quote itself,
        # which is closed, escaped and reopened: newlines, $, ` and " stay literal.
        lines[name] = f"{name}='" + text.replace("'", "'\\''") + "'"
        origin[name] = key
    return "".join(lines[name] + "\n" for name in sorted(lines)).encode(errors="replace")


def _flatten(value: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, child in value.items():
        # The original key path, joined with "__"; the separator survives sanitizing.
        path = f"{prefix}__{key}" if prefix else str(key)
        if isinstance(child, Mapping) and child:
            items.extend(_flatten(child, path))
        else:
            items.append((path, child))
    return items


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | list | tuple | Mapping):
        return _to_json(value)
    return str(value)


# --- output ----------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    # json accepts NaN and Infinity, which no JSON column (or other parser) does.
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _lines(stdout: str) -> list[str]:
    # Not str.splitlines(): it also splits at U+2028 and friends, which JSON strings
    # may contain unescaped.
    return [line.rstrip("\r") for line in stdout.split("\n")]


def _parse_json(stdout: str) -> tuple[Any, str | None]:
    if not stdout.strip():
        return None, None
    try:
        return _loads(stdout), None
    except (ValueError, RecursionError) as exc:
        whole_error = exc
    # Actions often log before printing their result: accept a JSON last line.
    non_empty = [line for line in _lines(stdout) if line.strip()]
    try:
        return _loads(non_empty[-1]), None
    except (ValueError, RecursionError):
        return None, f"invalid JSON output: {whole_error}"


def _parse_jsonl(stdout: str) -> tuple[Any, str | None]:
    values: list[Any] = []
    error: str | None = None
    for number, line in enumerate(_lines(stdout), start=1):
        if not line.strip():
            continue
        try:
            values.append(_loads(line))
        except (ValueError, RecursionError) as exc:
            if error is None:
                error = f"invalid JSON on line {number}: {exc}"
    return values, error


def _parse_yaml(stdout: str) -> tuple[Any, str | None]:
    if not stdout.strip():
        return None, None
    try:
        value = yaml.safe_load(stdout)
    except (yaml.YAMLError, RecursionError) as exc:
        return None, f"invalid YAML output: {exc}"
    # Aliases let a few bytes of YAML expand to billions of values once written as
    # JSON ("billion laughs"); without aliases a value needs at least one character.
    budget = [10 * len(stdout) + 10_000]
    try:
        return _json_compatible(value, budget), None
    except (ValueError, RecursionError) as exc:
        return None, f"invalid YAML output: {exc}"


def _json_compatible(value: Any, budget: list[int]) -> Any:
    """YAML's richer types mapped onto JSON's: timestamps to ISO 8601 strings, other
    keys to strings, sets to lists; non-finite floats and runaway aliases refused."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("it expands to too many values (recursive or repeated aliases)")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be represented in JSON")
        return value
    if isinstance(value, datetime.date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, dict):
        return {_key_text(k): _json_compatible(v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_compatible(v, budget) for v in value]
    if isinstance(value, set):
        return [_json_compatible(v, budget) for v in sorted(value, key=str)]
    if isinstance(value, bytes):  # !!binary
        return value.decode("utf-8", errors="replace")
    return str(value)


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)  # as JSON would spell it: true, false, null
    if isinstance(key, datetime.date):
        return key.isoformat()
    return str(key)
