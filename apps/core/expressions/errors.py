"""Errors raised by the expression engine, and how foreign exceptions are described."""

from __future__ import annotations

from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

# Long templates would make log lines and API error bodies unreadable; the full text
# stays available on ``ExpressionError.expression``.
_MAX_QUOTED = 200


class ExpressionError(Exception):
    """An expression or template could not be compiled or evaluated.

    ``expression`` is the source text, ``reason`` a short human explanation, e.g.
    ``'foo' is undefined``. ``str(error)`` combines both.
    """

    def __init__(self, expression: str, reason: str) -> None:
        self.expression = expression
        self.reason = reason
        quoted = expression if len(expression) <= _MAX_QUOTED else expression[:_MAX_QUOTED] + "…"
        super().__init__(f'{reason} in expression "{quoted}"')

    def __reduce__(self):  # keep the exception picklable (Celery ships errors between processes)
        return (type(self), (self.expression, self.reason))


class LimitExceeded(Exception):
    """Internal: a safety cap (size, time, power) was hit while evaluating.

    Raised deep inside operators and functions, where the expression text is not
    known; the engine turns it into an :class:`ExpressionError`.
    """


def describe(exc: BaseException) -> str:
    """Return a readable one-line reason for an exception raised while rendering."""
    # Jinja ends some messages with a period; ours continue with "in expression …".
    return _describe(exc).rstrip(".")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ExpressionError):
        return exc.reason
    if isinstance(exc, TemplateSyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno and exc.lineno > 1 else ""
        return f"syntax error: {exc.message}{where}"
    if isinstance(exc, SecurityError):
        return f"unsafe operation: {exc}"
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, RecursionError):
        return "recursion too deep"
    if isinstance(exc, MemoryError):
        return "result too large"
    if isinstance(exc, (UndefinedError, LimitExceeded, TypeError, ValueError, OverflowError)):
        return str(exc) or type(exc).__name__
    # Anything else (KeyError from a caller-supplied function, …): keep the type name,
    # since str(KeyError('x')) alone would just be "'x'".
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
