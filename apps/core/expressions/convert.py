"""Value conversions, numbers and (de)serialisation for the expression functions.

Shared helpers live here too: the data language has six types (number, string, bool,
null, array, object) and no implicit coercion, so every function validates its
arguments with the same wording.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import yaml

Number = (int, float)


def _is_number(value: Any) -> bool:
    # bool is an int subclass in Python, but not a number in the data language.
    return isinstance(value, Number) and not isinstance(value, bool)


def _number_arg(name: str, value: Any) -> int | float:
    if not _is_number(value):
        raise TypeError(f"{name}() expects a number, got {type_of(value)}")
    return value


def string_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}() expects a string, got {type_of(value)}")
    return value


def list_arg(name: str, value: Any) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name}() expects an array, got {type_of(value)}")
    return value


def _dump_json(value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    # default=str: datetimes and the like that callers put in the context print as text.
    return json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sort_keys, default=str)


# --- conversions -----------------------------------------------------------------


def type_of(value: Any) -> str:
    """Answer number, string, bool, null, array or object (Python type name otherwise)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Number):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def string(value: Any) -> str:
    """Text form of a value: strings unchanged, true/false/null, JSON for containers."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, Mapping)):
        return _dump_json(value)
    return str(value)


def number(value: Any) -> int | float:
    """Convert a string (or number) to a number: integer text gives an int."""
    if _is_number(value):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            pass
    raise ValueError(f"cannot convert {string(value)[:50]!r} to a number")


def int_(value: Any, base: int = 10) -> int:
    """Convert to an integer, truncating toward zero (``int("4.7")`` is 4)."""
    if _is_number(value):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, base)
        except ValueError:
            if base == 10:
                try:
                    return int(float(text))
                except (ValueError, OverflowError):
                    pass
    raise ValueError(f"cannot convert {string(value)[:50]!r} to an integer")


def bool_(value: Any) -> bool:
    """Truthiness: false for null, false, 0, "", [] and {}; true otherwise."""
    return bool(value)


# --- numbers ---------------------------------------------------------------------


def abs_(value: Any) -> int | float:
    """Absolute value."""
    return abs(_number_arg("abs", value))


def floor(value: Any) -> int:
    """Largest integer not greater than the number."""
    return math.floor(_number_arg("floor", value))


def ceil(value: Any) -> int:
    """Smallest integer not less than the number."""
    return math.ceil(_number_arg("ceil", value))


def round_(value: Any, digits: int = 0) -> int | float:
    """Round half away from zero (2.5 → 3); an int when ``digits`` is 0."""
    _number_arg("round", value)
    if isinstance(value, int):
        return value
    # Decimal(repr(x)) rounds the number as written (2.675 → 2.68), not its binary value.
    quantum = Decimal(1).scaleb(-int(digits))
    rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


def _min_max(name: str, func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    items = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    if not items:
        raise ValueError(f"{name}() of an empty array")
    return func(items)


def min_(*args: Any) -> Any:
    """Smallest of an array, or of the arguments."""
    return _min_max("min", min, args)


def max_(*args: Any) -> Any:
    """Largest of an array, or of the arguments."""
    return _min_max("max", max, args)


def sum_(value: Any) -> int | float:
    """Sum of an array of numbers."""
    total: int | float = 0
    for item in list_arg("sum", value):
        total += _number_arg("sum", item)
    return total


# --- serialisation ---------------------------------------------------------------


def to_json(value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    """JSON text of a value."""
    return _dump_json(value, indent=indent, sort_keys=sort_keys)


def from_json(value: Any) -> Any:
    """Parse JSON text."""
    return json.loads(string_arg("from_json", value))


def to_yaml(value: Any) -> str:
    """YAML text of a value (block style, keys in order)."""
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors/aliases: a ten-line "billion laughs" document would
    load as shared references and explode only later, when serialised."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise ValueError("YAML aliases are not allowed in from_yaml()")
        return super().compose_node(parent, index)


def from_yaml(value: Any) -> Any:
    """Parse YAML text (safe subset, no aliases)."""
    return yaml.load(string_arg("from_yaml", value), Loader=_NoAliasLoader)  # noqa: S506
