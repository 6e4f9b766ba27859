"""StackStorm rule criteria: ``{<path>: {type: <operator>, pattern: <value>}}``, all must hold.

Operator semantics follow StackStorm's ``st2common/operators.py`` (see
shared/research/stackstorm.md §1 and FORMATS.md "Rule"): ``i…`` variants ignore case,
``n…`` variants negate, bytes are decoded first. Where StackStorm would raise a
TypeError deep inside an operator (``"x" in None``, ``1 < "a"``) and let the rules
engine log it, we answer "no match": a missing or oddly typed payload field is
ordinary data, not a broken rule. Broken *rules* (unknown operator, malformed
criterion, bad regex, non-numeric time difference) raise CriteriaError.

Pure Python: no Django, no database.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["OPERATORS", "CriteriaError", "criteria_match", "resolve_path"]


class CriteriaError(Exception):
    """A criterion cannot be evaluated; the message names its key and operator."""

    def __init__(self, key: str, operator: str, reason: str) -> None:
        self.key = key
        self.operator = operator
        self.reason = reason
        where = f"criterion {key!r}" + (f" ({operator})" if operator else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # picklable across processes
        return (type(self), (self.key, self.operator, self.reason))


class _PatternError(Exception):
    """Raised by an operator for a bad pattern; criteria_match adds key and operator."""


# --- operators -------------------------------------------------------------------


def _text(value: Any) -> Any:
    # Payloads arriving as bytes (StackStorm's ensure_operators_are_strings).
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _strings(value: Any, pattern: Any) -> tuple[str, str] | None:
    value, pattern = _text(value), _text(pattern)
    if isinstance(value, str) and isinstance(pattern, str):
        return value, pattern
    return None


def equals(value: Any, pattern: Any) -> bool:
    """value == pattern (no match against a null pattern)."""
    return pattern is not None and _text(value) == _text(pattern)


def nequals(value: Any, pattern: Any) -> bool:
    """value != pattern; evaluated even for a null pattern, as StackStorm does."""
    return _text(value) != _text(pattern)


def iequals(value: Any, pattern: Any) -> bool:
    """Case-insensitive string equality."""
    pair = _strings(value, pattern)
    return pair is not None and pair[0].lower() == pair[1].lower()


def _contains(value: Any, pattern: Any, fold: bool) -> bool | None:
    """Substring, list member or dict key; None when the types cannot contain."""
    value, pattern = _text(value), _text(pattern)
    if value is None or pattern is None:
        return None
    if isinstance(value, str):
        if not isinstance(pattern, str):
            return None
        return pattern.lower() in value.lower() if fold else pattern in value
    if isinstance(value, (list, tuple, Mapping)):
        if fold and isinstance(pattern, str):
            needle = pattern.lower()
            return any(isinstance(item, str) and item.lower() == needle for item in value)
        try:
            return pattern in value
        except TypeError:  # unhashable pattern against dict keys
            return None
    return None


def contains(value: Any, pattern: Any) -> bool:
    """Pattern is a substring of value, a member of the list, or a key of the dict."""
    return _contains(value, pattern, fold=False) is True


def icontains(value: Any, pattern: Any) -> bool:
    """contains, ignoring case."""
    return _contains(value, pattern, fold=True) is True


def ncontains(value: Any, pattern: Any) -> bool:
    """Value does not contain pattern (no match when it cannot contain anything)."""
    return _contains(value, pattern, fold=False) is False


def incontains(value: Any, pattern: Any) -> bool:
    """ncontains, ignoring case."""
    return _contains(value, pattern, fold=True) is False


def startswith(value: Any, pattern: Any) -> bool:
    """String value starts with pattern."""
    pair = _strings(value, pattern)
    return pair is not None and pair[0].startswith(pair[1])


def istartswith(value: Any, pattern: Any) -> bool:
    """startswith, ignoring case."""
    pair = _strings(value, pattern)
    return pair is not None and pair[0].lower().startswith(pair[1].lower())


def endswith(value: Any, pattern: Any) -> bool:
    """String value ends with pattern."""
    pair = _strings(value, pattern)
    return pair is not None and pair[0].endswith(pair[1])


def iendswith(value: Any, pattern: Any) -> bool:
    """endswith, ignoring case."""
    pair = _strings(value, pattern)
    return pair is not None and pair[0].lower().endswith(pair[1].lower())


def _comparable(value: Any, pattern: Any) -> bool:
    # Numbers with numbers (bools are not numbers), strings with strings (StackStorm
    # compares those too). Anything else is no match rather than a TypeError.
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (value, pattern))
    return numbers or (isinstance(value, str) and isinstance(pattern, str))


def lessthan(value: Any, pattern: Any) -> bool:
    """value < pattern, for two numbers or two strings."""
    return _comparable(value, pattern) and value < pattern


def greaterthan(value: Any, pattern: Any) -> bool:
    """value > pattern, for two numbers or two strings."""
    return _comparable(value, pattern) and value > pattern


def matchwildcard(value: Any, pattern: Any) -> bool:
    """Shell-style wildcard match of the whole string (``*``, ``?``, ``[abc]``)."""
    pair = _strings(value, pattern)
    # fnmatchcase: StackStorm's fnmatch is case-sensitive on Linux; be so everywhere.
    return pair is not None and fnmatch.fnmatchcase(*pair)


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise _PatternError(f"invalid regular expression {pattern!r}: {exc}") from None


def _regex(value: Any, pattern: Any, flags: int, anchored: bool) -> bool:
    pattern = _text(pattern)
    if pattern is None:
        return False
    if not isinstance(pattern, str):
        raise _PatternError(f"pattern must be a string, got {type(pattern).__name__}")
    compiled = _compile(pattern, flags)
    value = _text(value)
    if not isinstance(value, str):
        return False
    found = compiled.match(value) if anchored else compiled.search(value)
    return found is not None


def regex(value: Any, pattern: Any) -> bool:
    """The regular expression matches somewhere in the value (re.search)."""
    return _regex(value, pattern, 0, anchored=False)


def iregex(value: Any, pattern: Any) -> bool:
    """regex, ignoring case."""
    return _regex(value, pattern, re.IGNORECASE, anchored=False)


def matchregex(value: Any, pattern: Any) -> bool:
    """The regular expression matches at the start of the value (re.match, DOTALL)."""
    return _regex(value, pattern, re.DOTALL, anchored=True)


def _age_seconds(value: Any) -> float | None:
    """Seconds from the ISO-8601 timestamp ``value`` to now (UTC); None if unparseable."""
    if isinstance(value, str):
        try:
            # Python 3.11 reads "Z", offsets, fractions and the basic format.
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # StackStorm assumes naive timestamps are UTC
        value = value.replace(tzinfo=UTC)
    return (datetime.now(UTC) - value).total_seconds()


def _seconds(pattern: Any) -> float:
    # The web UI of StackStorm sends the number of seconds as a string.
    try:
        return float(pattern)
    except (TypeError, ValueError):
        raise _PatternError(f"pattern must be a number of seconds, got {pattern!r}") from None


def timediff_lt(value: Any, pattern: Any) -> bool:
    """The timestamp is less than ``pattern`` seconds old."""
    if pattern is None:
        return False
    limit, age = _seconds(pattern), _age_seconds(value)
    return age is not None and age < limit


def timediff_gt(value: Any, pattern: Any) -> bool:
    """The timestamp is more than ``pattern`` seconds old."""
    if pattern is None:
        return False
    limit, age = _seconds(pattern), _age_seconds(value)
    return age is not None and age > limit


def exists(value: Any, pattern: Any = None) -> bool:
    """The path is present and not null."""
    return value is not None


def nexists(value: Any, pattern: Any = None) -> bool:
    """The path is absent or null."""
    return value is None


def _inside(value: Any, pattern: Any) -> bool | None:
    value, pattern = _text(value), _text(pattern)
    if value is None or pattern is None:
        return None
    if isinstance(pattern, str) and not isinstance(value, str):
        return None
    try:
        return value in pattern
    except TypeError:  # pattern is a number, or value unhashable against a dict
        return None


def inside(value: Any, pattern: Any) -> bool:
    """The value is in the pattern (list member, dict key, substring): contains reversed."""
    return _inside(value, pattern) is True


def ninside(value: Any, pattern: Any) -> bool:
    """The value is not in the pattern (no match for a missing value)."""
    return _inside(value, pattern) is False


SEARCH_CONDITIONS = ("any", "all", "all2any", "any2any")


def search(value: Any, pattern: Any, condition: str, check: Callable[[str, Any, Mapping[str, Any]], bool]) -> bool:
    """Match a list against child criteria applied to each item (``item.<path>`` keys).

    ``any``: some item matches all child criteria; ``all``: every item matches all
    of them; ``any2any``: some item matches some criterion; ``all2any``: every item
    matches some criterion. A dict value is searched as a one-item list.
    """
    if not isinstance(pattern, Mapping) or not pattern:
        raise _PatternError("search pattern must map item paths to criteria")
    if condition not in SEARCH_CONDITIONS:
        raise _PatternError(f"search condition {condition!r} is not one of any, all, all2any, any2any")
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return False
    over_items = any if condition in ("any", "any2any") else all
    over_criteria = all if condition in ("any", "all") else any
    return over_items(
        over_criteria(check(key, spec, {"item": item}) for key, spec in pattern.items()) for item in value
    )


OPERATORS: dict[str, Callable[..., bool]] = {
    "equals": equals,
    "eq": equals,
    "nequals": nequals,
    "neq": nequals,
    "iequals": iequals,
    "ieq": iequals,
    "contains": contains,
    "icontains": icontains,
    "ncontains": ncontains,
    "incontains": incontains,
    "startswith": startswith,
    "istartswith": istartswith,
    "endswith": endswith,
    "iendswith": iendswith,
    "lessthan": lessthan,
    "lt": lessthan,
    "greaterthan": greaterthan,
    "gt": greaterthan,
    "matchwildcard": matchwildcard,
    "regex": regex,
    "iregex": iregex,
    "matchregex": matchregex,
    "timediff_lt": timediff_lt,
    "td_lt": timediff_lt,
    "timediff_gt": timediff_gt,
    "td_gt": timediff_gt,
    "exists": exists,
    "nexists": nexists,
    "inside": inside,
    "in": inside,
    "ninside": ninside,
    "nin": ninside,
    "search": search,
}

# Operators whose pattern is not a value to render: exists/nexists ignore it, and a
# search pattern holds child criteria (each rendered when it is checked).
_UNRENDERED = frozenset({"exists", "nexists", "search"})


# --- paths -----------------------------------------------------------------------

_SEGMENT = re.compile(
    r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+))\s*\]   # ['key'] ["key"] [0]
      | \.?([^.\[\]]+)                                                # .name or a leading name
    """,
    re.VERBOSE,
)
_TAG = re.compile(r"#[^#\[\]'\"]*$")


@functools.lru_cache(maxsize=4096)
def _parse_path(key: str) -> tuple[str | int, ...]:
    """Split ``event.payload.headers['X-Foo'].items.0#2`` into its segments."""
    path = _TAG.sub("", key).strip()
    segments: list[str | int] = []
    position = 0
    while position < len(path):
        found = _SEGMENT.match(path, position)
        if found is None or found.end() == position:
            raise ValueError(f"cannot parse path at {path[position:]!r}")
        single, double, index, name = found.groups()
        if index is not None:
            segments.append(int(index))
        elif name is not None:
            segments.append(name)
        else:
            segments.append(re.sub(r"\\(.)", r"\1", single if single is not None else double))
        position = found.end()
    if not segments:
        raise ValueError("empty path")
    if segments[0] == "trigger":  # StackStorm's name for the payload
        segments[:1] = ["event", "payload"]
    return tuple(segments)


def resolve_path(context: Mapping[str, Any], key: str) -> Any:
    """The value at a criteria key (``#tag`` ignored, ``trigger.`` = ``event.payload.``); None if absent."""
    current: Any = context
    for segment in _parse_path(key):
        if isinstance(current, Mapping):
            if segment in current:
                current = current[segment]
            elif isinstance(segment, int) and str(segment) in current:
                current = current[str(segment)]
            else:
                return None
        elif isinstance(current, (list, tuple)):
            try:
                current = current[int(segment)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    return current


# --- matching --------------------------------------------------------------------

PatternRenderer = Callable[[Any], Any]


def criteria_match(
    criteria: Mapping[str, Mapping[str, Any]] | None,
    context: Mapping[str, Any],
    *,
    render_pattern: PatternRenderer | None = None,
) -> bool:
    """Whether every criterion holds for ``context`` (empty or None criteria: True).

    Keys are paths into the context; ``render_pattern``, when given, renders each
    pattern first (patterns may be templates). Raises CriteriaError for a malformed
    criterion, an unknown operator or a bad pattern.
    """
    if not criteria:
        return True
    if not isinstance(criteria, Mapping):
        raise CriteriaError("", "", "criteria must map paths to {type, pattern}")
    return all(_check(key, spec, context, render_pattern) for key, spec in criteria.items())


def _check(key: str, spec: Any, context: Mapping[str, Any], render_pattern: PatternRenderer | None) -> bool:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("type"), str):
        raise CriteriaError(key, "", "must be a mapping with a 'type' (the operator) and a 'pattern'")
    name = spec["type"].strip().lower()
    operator = OPERATORS.get(name)
    if operator is None:
        raise CriteriaError(key, spec["type"], "unknown operator")
    pattern = spec.get("pattern")
    try:
        if render_pattern is not None and name not in _UNRENDERED:
            pattern = render_pattern(pattern)
        value = resolve_path(context, key)
        if operator is search:
            # No default condition, as in StackStorm: "any" and "all" differ too much to guess.
            condition = str(spec.get("condition", "")).strip().lower()
            return search(value, pattern, condition, lambda k, s, item: _check(k, s, item, render_pattern))
        return operator(value, pattern)
    except CriteriaError:
        raise
    except Exception as exc:  # _PatternError, ValueError from the path, ExpressionError from rendering
        raise CriteriaError(key, name, str(exc)) from exc
