"""Operators, string methods and Jinja filters with the data language's rules and caps.

Each function here checks what it is about to build *before* building it (see
:mod:`.limits` for why a timer is not enough), then defers to Python or Jinja.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedFormatter
from jinja2.utils import pass_eval_context

from . import limits
from .convert import type_of

BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}
TEXT = (str, bytes)
SEQUENCES = (list, tuple)


def binop(op: str, left: Any, right: Any) -> Any:
    """Apply an arithmetic operator with the data language's rules.

    No implicit coercion: booleans are not numbers (``true + 1`` is an error, where
    Python would answer 2). ``/`` answers an int when it divides evenly. ``+``, ``*``,
    ``**`` and ``%`` refuse results over the caps.
    """
    limits.check_deadline()
    if isinstance(left, bool) or isinstance(right, bool):
        raise TypeError(f"unsupported operand types for {op}: {type_of(left)} and {type_of(right)}")
    if op == "/":
        if isinstance(left, int) and isinstance(right, int) and right != 0 and left % right == 0:
            return left // right
        return left / right
    if op == "+":
        _check_concat(left, right)
    elif op == "*":
        _check_repeat(left, right)
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            limits.check_int_bits(left.bit_length() * right)
    elif op == "%" and isinstance(left, TEXT):
        return printf(left, right)
    return BINOPS[op](left, right)


def _check_concat(left: Any, right: Any) -> None:
    if isinstance(left, TEXT) and isinstance(right, TEXT):
        limits.check_length(len(left) + len(right))
    elif isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        limits.check_length(len(left) + len(right), limits.MAX_ITEMS)
        if limits.exceeds((left, right), limits.MAX_SIZE):
            raise limits.too_large()


def _check_repeat(left: Any, right: Any) -> None:
    seq, times = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(seq, (*TEXT, *SEQUENCES)) and isinstance(times, int) and not isinstance(times, bool):
        if times <= 0 or not seq:
            return
        if isinstance(seq, TEXT):
            limits.check_length(len(seq) * times)
            return
        limits.check_length(len(seq) * times, limits.MAX_ITEMS)
        # [one_mebibyte_string] * 1000 has few items but is huge once serialised.
        if limits.exceeds(seq, limits.MAX_SIZE // times):
            raise limits.too_large()
    elif isinstance(left, int) and isinstance(right, int):
        limits.check_int_bits(left.bit_length() + right.bit_length())


# %[(key)][flags][width][.precision][length]type — the groups we need to estimate output.
_PRINTF = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>.)", re.S)


def printf(fmt: str | bytes, args: Any) -> Any:
    """``fmt % args`` after checking widths and the size of the result.

    A key may be used many times (``"%(a)s%(a)s…" % {"a": big}``), so the estimate
    adds the argument's length once per use.
    """
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    limits.check_printf_format(text)
    total = len(text)
    if isinstance(args, Mapping):
        for match in _PRINTF.finditer(text):
            key = match.group("key")
            if match.group("type") != "%" and key is not None and key in args:
                total += len(str(args[key]))
    else:
        total += sum(len(str(arg)) for arg in (args if isinstance(args, tuple) else (args,)))
    limits.check_length(total)
    result = fmt % args
    limits.check_length(len(result))  # repr-style conversions can still expand a little
    return result


class CappedFormatter(SandboxedFormatter):
    """The sandbox's ``str.format`` implementation, counting what it produces.

    ``"{0}{0}{0}…".format(big)`` repeats an argument as often as the template text
    allows; stopping once the produced fields exceed MAX_STRING bounds that.
    """

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self._produced = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        text = super().format_field(value, format_spec)
        self._produced += len(text)
        limits.check_length(self._produced)
        return text


def check_str_method(owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a call of a str/bytes method reached through the sandbox; return the args to use.

    Padding methods take a width, ``expandtabs`` multiplies tabs, ``join`` and
    ``replace`` can multiply their inputs, ``translate`` can map every character to a
    long string; each is one C call that no deadline could interrupt.
    """
    if name in ("translate", "maketrans"):
        raise SecurityError(f"str.{name} is not allowed")
    if name in ("ljust", "rjust", "center", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if isinstance(width, int):
            limits.check_length(width)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            limits.check_length(len(owner) + owner.count(b"\t" if isinstance(owner, bytes) else "\t") * size)
    elif name == "join" and args:
        items = list(args[0])
        lengths = sum(len(item) if isinstance(item, TEXT) else 0 for item in items)
        limits.check_length(lengths + len(owner) * max(len(items) - 1, 0))
        return (items, *args[1:])
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, TEXT) and isinstance(new, TEXT) and type(old) is type(owner):
            hits = owner.count(old)  # type: ignore[arg-type]
            if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                hits = min(hits, args[2])
            limits.check_length(len(owner) + hits * (len(new) - len(old)))
    return args


# --- Jinja filters that can amplify --------------------------------------------


def filter_center(value: Any, width: int = 80) -> str:
    """``center`` filter with the width capped."""
    limits.check_length(width)
    return jinja_filters.do_center(value, width)


def filter_indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """``indent`` filter: the indentation times the line count must fit the cap."""
    pad = len(width) if isinstance(width, str) else width
    limits.check_length(pad)
    limits.check_length(len(s) + pad * (len(str(s).splitlines()) + 1))
    return jinja_filters.do_indent(s, width, first, blank)


def filter_format(value: str, *args: Any, **kwargs: Any) -> str:
    """``format`` filter (printf style) with the same checks as the ``%`` operator."""
    if args and kwargs:
        raise jinja_filters.FilterArgumentError("can't handle positional and keyword arguments at the same time")
    return printf(str(value), kwargs or args)


@pass_eval_context
def filter_join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    """``join`` filter: the joined length is computed before joining."""
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(eval_ctx.environment, attribute), value)
    parts = [str(item) for item in value]
    separator = str(d)
    limits.check_length(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


@pass_eval_context
def filter_replace(eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None) -> str:
    """``replace`` filter: the result length is computed before replacing."""
    text, old_text, new_text = str(s), str(old), str(new)
    hits = text.count(old_text)
    if count is not None:
        hits = min(hits, max(count, 0))
    limits.check_length(len(text) + hits * (len(new_text) - len(old_text)))
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


def filter_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    """``batch`` filter: the batch size (padded with ``fill_with``) is capped."""
    limits.check_length(linecount, limits.MAX_ITEMS)
    return jinja_filters.do_batch(value, linecount, fill_with)


def filter_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    """``slice`` filter: the number of slices is capped."""
    limits.check_length(slices, limits.MAX_ITEMS)
    return jinja_filters.do_slice(value, slices, fill_with)


FILTERS: dict[str, Callable[..., Any]] = {
    "center": filter_center,
    "indent": filter_indent,
    "format": filter_format,
    "join": filter_join,
    "replace": filter_replace,
    "batch": filter_batch,
    "slice": filter_slice,
}
