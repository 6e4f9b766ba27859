"""Action parameters from the command line: ``k=v`` pairs, a JSON object, or
``@file`` (JSON or YAML), with ``k=v`` strings coerced by the action's parameter
schema (flat ``{name: {type: …}}`` or a full JSON Schema), as StackStorm's ``st2 run``
does. Values from JSON and files keep their own types; the server validates all."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .files import load_mapping, parse_value, type_name
from .output import EXIT_USAGE, CliError

TRUE = {"true", "yes", "y", "on", "1"}
FALSE = {"false", "no", "n", "off", "0"}


def properties(schema: Any) -> dict[str, Any]:
    """The parameters' definitions by name, whatever form the schema has."""
    if not isinstance(schema, Mapping):
        return {}
    if schema.get("type") == "object" and isinstance(schema.get("properties"), Mapping):
        return {name: spec or {} for name, spec in schema["properties"].items()}
    return {name: spec if isinstance(spec, Mapping) else {} for name, spec in schema.items()}


def parse(items: Sequence[str], schema: Any = None) -> dict[str, Any]:
    """The parameters the arguments give, later arguments overriding earlier ones."""
    defined = properties(schema)
    result: dict[str, Any] = {}
    for item in items:
        stripped = item.strip()
        if stripped.startswith("{"):
            try:
                data = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise CliError(f"parameters {item!r}: invalid JSON at column {exc.colno}: {exc.msg}",
                               code=EXIT_USAGE) from None
            if not isinstance(data, dict):
                raise CliError(f"parameters: a JSON argument must be an object, not {type_name(data)}",
                               code=EXIT_USAGE)
            result.update(data)
        elif item.startswith("@") and "=" not in item:
            result.update(load_mapping(item[1:], what="parameters file"))
        else:
            name, sep, text = item.partition("=")
            name = name.strip()
            if not sep or not name:
                raise CliError(f"parameter {item!r}: expected NAME=VALUE, a JSON object or @FILE", code=EXIT_USAGE)
            result[name] = coerce(name, text, defined.get(name))
    return result


def _types(spec: Mapping[str, Any] | None) -> list[str]:
    if not spec:
        return []
    kind = spec.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def coerce(name: str, text: str, spec: Mapping[str, Any] | None) -> Any:
    """``text`` as the type ``spec`` declares; CliError naming the parameter if it is not."""
    kinds = _types(spec)
    if not kinds:
        return parse_value(text)  # untyped: JSON when it parses (3, true, [1]), else the string
    if "null" in kinds and text == "null":
        return None
    # Try the stricter types first, so ["integer", "string"] turns "3" into 3.
    order = ["boolean", "integer", "number", "array", "object", "string"]
    problems = []
    for kind in sorted((k for k in kinds if k in order), key=order.index):
        try:
            return _as(kind, text, spec or {}, name)
        except ValueError as exc:
            problems.append(str(exc))
    expected = " or ".join(_article(k) for k in kinds if k != "null") or "null"
    raise CliError(f"parameter {name}: {text!r} is not {expected}" + (f" ({problems[0]})" if problems and
                   len(kinds) == 1 and problems[0] else ""), code=EXIT_USAGE)


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "an array", "object": "an object"}.get(kind, f"a {kind}")


def _as(kind: str, text: str, spec: Mapping[str, Any], name: str) -> Any:
    value = text.strip()
    if kind == "string":
        return text
    if kind == "boolean":
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise ValueError("")
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            number = float(value)  # "3.0" is an integer in JSON Schema; "3.5" is not
            if number.is_integer():
                return int(number)
            raise ValueError("") from None
    if kind == "number":
        try:
            return int(value)
        except ValueError:
            number = float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError("") from None
            return number
    if kind == "array":
        if value.startswith("["):
            data = _json(value, "a JSON array")
            if not isinstance(data, list):
                raise ValueError("")
            return data
        items = [part.strip() for part in text.split(",")] if value else []
        item_spec = spec.get("items") if isinstance(spec.get("items"), Mapping) else None
        return [coerce(f"{name}[{index}]", part, item_spec) for index, part in enumerate(items)]
    if kind == "object":
        data = _json(value, "a JSON object")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object such as {\"a\": 1}")
        return data
    raise ValueError("")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON for {what} at column {exc.colno}: {exc.msg}") from None
