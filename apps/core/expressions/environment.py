"""The one sandboxed Jinja environment every template and expression runs in.

Built on ImmutableSandboxedEnvironment (no attribute escapes, no mutation of lists
and dicts), with:

* StrictUndefined: using a missing name is an error that names it;
* arithmetic operators intercepted (:func:`.safeops.binop`) for the data
  language's coercion rules and the size caps;
* dict keys winning over dict methods (``event.payload.items`` is the payload's
  ``items`` key, not ``dict.items``);
* a deadline check on every call and (see :mod:`.compiler`) every loop iteration;
* mixed-text output printing JSON spellings (``true``, ``null``, ``[1, 2]``);
* no loader, so ``{% include %}``/``{% import %}``/``{% extends %}`` cannot reach
  files (the compiler also rejects them up front).
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Mapping
from functools import update_wrapper
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import limits, safeops
from .functions import FUNCTIONS

# Jinja's default globals that are useless for data and only widen the attack
# surface (lipsum/cycler/joiner are the classic SSTI stepping stones).
_REMOVED_GLOBALS = ("lipsum", "cycler", "joiner")


def is_jinja_internal(value: Any) -> bool:
    """Whether a value is a Jinja runtime object (macro, loop, namespace …), not data."""
    return type(value).__module__.startswith("jinja2.")


def finalize(value: Any) -> Any:
    """Turn a value printed inside mixed text into its text form.

    JSON spellings rather than Python's: ``true`` not ``True``, ``null`` not
    ``None``, ``{"a": 1}`` not ``{'a': 1}`` — templates feed URLs, JSON bodies and
    shell arguments, where Python reprs are always wrong.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, (list, tuple, Mapping)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if callable(value) or is_jinja_internal(value):
        raise TypeError(f"cannot print {type(value).__name__!r}, a function or template object")
    return value


class AttuneEnvironment(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with the data language's semantics and the caps."""

    intercepted_binops = frozenset(("+", "-", "*", "/", "//", "%", "**"))

    #: Wrapped around every ``{% for %}`` iterable by the compiler; reached as
    #: ``environment.guard_iter`` so a template cannot shadow it.
    guard_iter = staticmethod(limits.guard_iter)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return safeops.binop(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Data first: JSON objects are dicts, and their keys must not be shadowed by
        # dict methods (items, keys, values, get, pop …).
        if isinstance(obj, dict) or isinstance(obj, Mapping):  # dict first: abc checks are slow
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Same as Jinja's (3.1.6) but with a formatter that caps what it produces and
        # a check of the widths in the format string itself.
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        fmt: Any = value.__self__
        if not isinstance(fmt, str):
            return None
        limits.check_str_format(fmt)
        is_format_map = value.__name__ == "format_map"
        environment = self

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return str(safeops.CappedFormatter(environment).vformat(fmt, args, kwargs))

        return update_wrapper(wrapper, value)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        # Every call (functions, macros, methods, recursive loops) is a point where a
        # runaway template can be stopped.
        limits.check_deadline()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (str, bytes)) and isinstance(obj, types.BuiltinMethodType):
            args = safeops.check_str_method(owner, obj.__name__, args, kwargs)
        return super().call(context, obj, *args, **kwargs)


def _build() -> AttuneEnvironment:
    env = AttuneEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=finalize,
        # StackStorm's Jinja settings, so that ported templates lay out the same.
        trim_blocks=True,
        lstrip_blocks=True,
        # A script or message template ending in a newline keeps it.
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )
    for name in _REMOVED_GLOBALS:
        env.globals.pop(name, None)
    env.globals.update(FUNCTIONS)
    env.filters.update(safeops.FILTERS)
    return env


#: The module-level environment. Treat as read-only: it is shared by all threads.
ENV = _build()
