"""Safety caps for template evaluation: sizes, integer growth and a wall-clock deadline.

Templates are written by pack authors and (through rule patterns and workflow
expressions) reach every worker, so a single expression must not be able to exhaust
memory or CPU. The Jinja sandbox stops attribute escapes but not resource abuse:
``'a' * 10**9`` or ``'{:>999999999}'.format(1)`` are single C-level operations that
allocate gigabytes before any timer could fire. Every *amplifying* operation (one
whose result can be much larger than its inputs) therefore checks the size it is
about to produce *before* producing it; loops and calls check the deadline.

The constants are read at call time, so tests or settings may rebind them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from .errors import LimitExceeded

#: Longest string (in characters) an operator or function may build.
MAX_STRING = 1 << 20
#: Most items a list built by an operator or function (``range``, ``*``, ``+`` …) may hold.
MAX_ITEMS = 100_000
#: Largest estimated deep size (characters + items) of a list built by ``+`` or ``*``.
#: Stops ``[big_string] * 100000``: few items, but gigabytes once serialised.
MAX_SIZE = 1 << 20
#: Largest integer (in bits) that ``*`` and ``**`` may produce (~20 000 decimal digits).
MAX_INT_BITS = 65_536
#: Largest width/precision accepted in ``%`` and ``str.format`` specifications.
MAX_FORMAT_WIDTH = 10_000
#: Default cap on a rendered text template, in characters.
MAX_OUTPUT = 1 << 20
#: Default wall-clock budget of one render/evaluate call, in seconds.
TIMEOUT = 1.0

# The deadline of the render in progress (time.monotonic() value), per thread and
# per asyncio task. Checked cooperatively by loops, calls and operators: a signal
# based alarm would only work in the main thread, and renders run in worker threads.
_DEADLINE: ContextVar[float | None] = ContextVar("attune_expression_deadline", default=None)


class Deadline:
    """Context manager that bounds the evaluations run inside it to ``timeout`` seconds.

    Nested deadlines never extend an outer one: a caller-supplied function that
    renders another template keeps the outer budget.
    """

    __slots__ = ("_timeout", "_token")

    def __init__(self, timeout: float | None) -> None:
        self._timeout = TIMEOUT if timeout is None else timeout
        self._token: Any = None

    def __enter__(self) -> None:
        new = time.monotonic() + self._timeout
        current = _DEADLINE.get()
        if current is not None and current < new:
            new = current
        self._token = _DEADLINE.set(new)

    def __exit__(self, *exc_info: object) -> None:
        _DEADLINE.reset(self._token)


def check_deadline() -> None:
    """Raise LimitExceeded if the current render has used up its time budget."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise LimitExceeded("evaluation timed out")


def guard_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Iterate ``iterable``, checking the deadline before each item.

    Every ``{% for %}`` loop is rewritten to iterate through this, which is what
    stops ``{% for i in range(100000) %}{% for j in range(100000) %}…`` loops.
    """
    for item in iterable:
        check_deadline()
        yield item


def too_large(what: str = "result") -> LimitExceeded:
    """The error raised when a cap on size is hit."""
    return LimitExceeded(f"{what} too large")


def check_length(length: int, limit: int | None = None) -> None:
    """Refuse to build a string/list of ``length`` characters or items."""
    if length > (MAX_STRING if limit is None else limit):
        raise too_large()


def exceeds(value: Any, budget: int) -> bool:
    """Tell whether the estimated deep size of ``value`` is more than ``budget``.

    Strings count their length, containers their item count plus their contents,
    scalars one. Shared references count every time (that is what serialising
    them costs). The walk stops as soon as the budget is spent, so checking is
    O(budget) at worst, whatever the value.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            budget -= len(item)
        elif isinstance(item, (list, tuple)):
            budget -= len(item)
            stack.extend(item)
        elif isinstance(item, Mapping):
            budget -= len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            budget -= 1
        if budget < 0:
            return True
    return False


def check_int_bits(bits: int) -> None:
    """Refuse to build an integer of more than MAX_INT_BITS bits."""
    if bits > MAX_INT_BITS:
        raise too_large("number")


# printf-style conversion: %[(key)][flags][width][.precision][length]type
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
# str.format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_NUMBERS = re.compile(r"\d+")


def check_printf_format(fmt: str) -> None:
    """Refuse ``%`` format strings with huge or ``*`` widths (``'%999999999d' % 1``)."""
    if "%" not in fmt:
        return
    for match in _PRINTF_SPEC.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise too_large("format width")


def check_str_format(fmt: str) -> None:
    """Refuse ``str.format`` strings with huge widths or nested (computed) widths."""
    from string import Formatter

    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return  # malformed: str.format itself will raise a readable error
    for _literal, _field, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise LimitExceeded("nested replacement fields in a format spec are not allowed")
        for number in _FORMAT_NUMBERS.findall(spec):
            if int(number) > MAX_FORMAT_WIDTH:
                raise too_large("format width")
