"""The functions every expression can call (``length(x)``, ``to_json(x)`` …).

They implement the data language of FORMATS.md "Templates and expressions": JSON
values in, JSON values out (lists, never iterators or tuples), no implicit coercion,
and every function that can build something bigger than its inputs checks the caps
in :mod:`.limits` first. Errors are raised as TypeError/ValueError with a readable
message; the engine wraps them in ExpressionError with the expression text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from . import limits
from .convert import (
    abs_,
    bool_,
    ceil,
    floor,
    from_json,
    from_yaml,
    int_,
    list_arg,
    max_,
    min_,
    number,
    round_,
    string,
    string_arg,
    sum_,
    to_json,
    to_yaml,
    type_of,
)

# --- collections -----------------------------------------------------------------


def length(value: Any) -> int:
    """Number of characters of a string, items of an array, keys of an object."""
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    raise TypeError(f"length() expects a string, array or object, got {type_of(value)}")


def keys(value: Any) -> list[Any]:
    """The keys of an object, in order."""
    if not isinstance(value, Mapping):
        raise TypeError(f"keys() expects an object, got {type_of(value)}")
    return list(value.keys())


def values(value: Any) -> list[Any]:
    """The values of an object, in key order."""
    if not isinstance(value, Mapping):
        raise TypeError(f"values() expects an object, got {type_of(value)}")
    return list(value.values())


def contains(container: Any, item: Any) -> bool:
    """Substring, array member or object key."""
    if isinstance(container, str):
        return string_arg("contains", item) in container
    if isinstance(container, (list, tuple, Mapping)):
        return item in container
    raise TypeError(f"contains() expects a string, array or object, got {type_of(container)}")


def reversed_(value: Any) -> Any:
    """Reverse a string, an array, or the key order of an object."""
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, (list, tuple)):
        return list(value)[::-1]
    if isinstance(value, Mapping):
        return dict(reversed(list(value.items())))
    raise TypeError(f"reversed() expects a string, array or object, got {type_of(value)}")


def _lookup(item: Any, path: str) -> Any:
    for part in path.split("."):
        item = item[part] if isinstance(item, Mapping) else item[int(part)]
    return item


def sort(value: Any, key: str | None = None, reverse: bool = False) -> list[Any]:
    """Sorted copy of an array (or of an object's keys); ``key`` is a dotted path into items."""
    if isinstance(value, str):
        raise TypeError("sort() expects an array or object, got string")
    items = list(value.keys()) if isinstance(value, Mapping) else list(list_arg("sort", value))
    keyfunc: Callable[[Any], Any] | None = None
    if key is not None:
        path = string_arg("sort", key)
        keyfunc = lambda item: _lookup(item, path)  # noqa: E731
    return sorted(items, key=keyfunc, reverse=bool(reverse))


def unique(value: Any) -> list[Any]:
    """Items of an array without duplicates, first occurrence kept."""
    seen: set[Any] = set()
    unhashable: list[Any] = []
    out = []
    for item in list_arg("unique", value):
        try:
            if item in seen:
                continue
            seen.add(item)
        except TypeError:  # lists and objects: compare by equality
            if item in unhashable:
                continue
            unhashable.append(item)
        out.append(item)
    return out


def flat(value: Any, depth: int = 1) -> list[Any]:
    """Flatten nested arrays ``depth`` levels deep (default one)."""
    out: list[Any] = []

    def walk(items: Any, level: int) -> None:
        for item in items:
            if isinstance(item, (list, tuple)) and level > 0:
                walk(item, level - 1)
            else:
                out.append(item)
                if len(out) > limits.MAX_ITEMS:
                    raise limits.too_large()

    walk(list_arg("flat", value), int(depth))
    return out


def zip_(*arrays: Any) -> list[list[Any]]:
    """Pair up items of arrays: ``zip([1, 2], ["a", "b"])`` → ``[[1, "a"], [2, "b"]]``."""
    return [list(group) for group in zip(*(list_arg("zip", a) for a in arrays), strict=False)]


def range_(*args: Any) -> list[int]:
    """Like Python's range, as an array, capped at MAX_ITEMS items."""
    for arg in args:
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise TypeError(f"range() expects integers, got {type_of(arg)}")
    span = range(*args)
    limits.check_length(len(span), limits.MAX_ITEMS)
    return list(span)


def slice_(value: Any, start: int, end: int | None = None) -> Any:
    """Part of a string or array from ``start`` up to (not including) ``end``."""
    if not isinstance(value, (str, list, tuple)):
        raise TypeError(f"slice() expects a string or array, got {type_of(value)}")
    part = value[start:end]
    return list(part) if isinstance(part, tuple) else part


def index_of(value: Any, item: Any) -> int:
    """Position of ``item`` in a string or array, -1 when absent."""
    if isinstance(value, str):
        return value.find(string_arg("index_of", item))
    try:
        return list(list_arg("index_of", value)).index(item)
    except ValueError:
        return -1


def count(value: Any, item: Any) -> int:
    """How many times ``item`` occurs in a string or array."""
    if isinstance(value, str):
        return value.count(string_arg("count", item))
    return list(list_arg("count", value)).count(item)


def merge(*objects: Any, deep: bool = False) -> dict[str, Any]:
    """Merge objects left to right (later keys win); ``deep=true`` merges nested objects."""
    out: dict[str, Any] = {}
    for obj in objects:
        if obj is None:
            continue
        if not isinstance(obj, Mapping):
            raise TypeError(f"merge() expects objects, got {type_of(obj)}")
        for key, value in obj.items():
            if deep and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                value = merge(out[key], value, deep=True)
            out[key] = value
    return out


def chunks(value: Any, size: int) -> list[list[Any]]:
    """Split an array into arrays of ``size`` items (the last may be shorter)."""
    items = list(list_arg("chunks", value))
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError("chunks() size must be a positive integer")
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- strings ---------------------------------------------------------------------


def lower(value: Any) -> str:
    """Lower-case copy of a string."""
    return string_arg("lower", value).lower()


def upper(value: Any) -> str:
    """Upper-case copy of a string."""
    return string_arg("upper", value).upper()


def trim(value: Any, chars: str | None = None) -> str:
    """Strip whitespace (or ``chars``) from both ends."""
    return string_arg("trim", value).strip(chars)


def split(value: Any, separator: str | None = None, limit: int = -1) -> list[str]:
    """Split a string on ``separator`` (runs of whitespace by default)."""
    return string_arg("split", value).split(separator, limit)


def join(value: Any, separator: str = "") -> str:
    """Join array items (converted with ``string()``) with ``separator``."""
    string_arg("join", separator)
    parts = [string(item) for item in list_arg("join", value)]
    limits.check_length(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


def replace(value: Any, old: str, new: str, count: int = -1) -> str:
    """Replace occurrences of ``old`` by ``new`` (all, or the first ``count``)."""
    text = string_arg("replace", value)
    string_arg("replace", old)
    string_arg("replace", new)
    hits = text.count(old)
    if count >= 0:
        hits = min(hits, count)
    limits.check_length(len(text) + hits * (len(new) - len(old)))
    return text.replace(old, new, count)


def starts_with(value: Any, prefix: Any) -> bool:
    """Whether a string starts with ``prefix`` (or any prefix of an array)."""
    prefixes = tuple(prefix) if isinstance(prefix, (list, tuple)) else string_arg("starts_with", prefix)
    return string_arg("starts_with", value).startswith(prefixes)


def ends_with(value: Any, suffix: Any) -> bool:
    """Whether a string ends with ``suffix`` (or any suffix of an array)."""
    suffixes = tuple(suffix) if isinstance(suffix, (list, tuple)) else string_arg("ends_with", suffix)
    return string_arg("ends_with", value).endswith(suffixes)


def match(value: Any, pattern: str, ignore_case: bool = False) -> bool:
    """Whether the regular expression ``pattern`` matches anywhere in the string."""
    flags = re.IGNORECASE if ignore_case else 0
    # re keeps its own cache of compiled patterns; no second cache needed here.
    return re.search(string_arg("match", pattern), string_arg("match", value), flags) is not None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "string": string,
    "number": number,
    "int": int_,
    "bool": bool_,
    "type_of": type_of,
    "length": length,
    "keys": keys,
    "values": values,
    "abs": abs_,
    "floor": floor,
    "ceil": ceil,
    "round": round_,
    "min": min_,
    "max": max_,
    "sum": sum_,
    "lower": lower,
    "upper": upper,
    "trim": trim,
    "split": split,
    "join": join,
    "replace": replace,
    "starts_with": starts_with,
    "ends_with": ends_with,
    "match": match,
    "contains": contains,
    "reversed": reversed_,
    "sort": sort,
    "unique": unique,
    "flat": flat,
    "zip": zip_,
    "range": range_,
    "slice": slice_,
    "index_of": index_of,
    "count": count,
    "merge": merge,
    "chunks": chunks,
    "to_json": to_json,
    "from_json": from_json,
    "to_yaml": to_yaml,
    "from_yaml": from_yaml,
}
