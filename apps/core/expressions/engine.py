"""Rendering and evaluation entry points: render, evaluate, render_text, check_syntax.

The context is data: it is handed to Jinja as variables and never itself parsed as
a template, so an event payload containing ``{{7*7}}`` stays literal (rendering
twice is how template injection happens).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined
from jinja2.runtime import Context

from . import limits
from .compiler import RESULT, Compiled, compile_expression, compile_template
from .environment import ENV, finalize, is_jinja_internal
from .errors import ExpressionError, LimitExceeded, describe

_SCALARS = (str, int, float)


def is_template(value: Any) -> bool:
    """Whether a string contains template markers (``{{`` or ``{%``)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def truthy(value: Any) -> bool:
    """Truthiness of the data language: null, false, 0, "", [] and {} are false."""
    if isinstance(value, Undefined):
        raise ExpressionError("", value._undefined_message)
    return bool(value)


def render(
    value: Any,
    context: Mapping[str, Any],
    *,
    max_output: int | None = None,
    timeout: float | None = None,
) -> Any:
    """Render a JSON-like value: every template string inside it is rendered.

    A string that is exactly one ``{{ expr }}`` yields the expression's value with its
    type (int, list, dict, None …); a string mixing text and templates yields a
    string; a string without ``{{``/``{%`` is returned as is. Dicts (values only, not
    keys), lists and tuples are rendered recursively; other values pass through.
    ``max_output`` caps each rendered text (characters), ``timeout`` the whole call
    (seconds). Raises ExpressionError.
    """
    if isinstance(value, str):
        if not is_template(value):
            return value
    elif not isinstance(value, (dict, list, tuple)) and not isinstance(value, Mapping):
        return value
    renderer = _Renderer(context, limits.MAX_OUTPUT if max_output is None else max_output)
    with limits.Deadline(timeout):
        return renderer.value(value)


def evaluate(expression: str, context: Mapping[str, Any], *, timeout: float | None = None) -> Any:
    """Evaluate one expression and return its value.

    Accepts a bare expression (``event.payload.total > 1000``) or one wrapped in
    ``{{ }}``. A non-string (a YAML ``when: true``) is a constant and returned as is.
    Raises ExpressionError.
    """
    if not isinstance(expression, str):
        return expression
    compiled = _compile_single(expression)
    with limits.Deadline(timeout):
        return _run_native(compiled, _parent(context))


def render_text(
    text: str,
    context: Mapping[str, Any],
    *,
    max_output: int | None = None,
    timeout: float | None = None,
) -> str:
    """Render a template to a string, whatever its expressions produce. Raises ExpressionError."""
    if not isinstance(text, str):
        raise TypeError(f"render_text() expects a string, got {type(text).__name__}")
    if not is_template(text):
        return text
    cap = limits.MAX_OUTPUT if max_output is None else max_output
    with limits.Deadline(timeout):
        return _run_text(compile_template(text), _parent(context), cap)


def check_syntax(text: str, *, expression: bool = False) -> None:
    """Raise ExpressionError if ``text`` does not compile; evaluate nothing.

    For validating templates when packs are registered. ``expression=True`` checks
    a bare expression (a workflow ``when:``, a rule ``conditions.expression``).
    """
    if expression:
        _compile_single(text)
    elif is_template(text):
        compile_template(text)


# --- internals -------------------------------------------------------------------


def _compile_single(expression: str) -> Compiled:
    stripped = expression.strip()
    if stripped.startswith("{{") and stripped.endswith("}}"):
        compiled = compile_template(expression)
        if not compiled.native:
            raise ExpressionError(expression, "expected a single expression")
        return compiled
    return compile_expression(expression)


def _parent(context: Mapping[str, Any]) -> dict[str, Any]:
    # Jinja resolves names in this one dict: our functions, then the caller's
    # context on top (so a workflow may pass its own ``result``, ``item`` …).
    parent = dict(ENV.globals)
    parent.update(context)
    return parent


class _Renderer:
    """One render() call: builds the Jinja variables lazily, only if a template is met."""

    __slots__ = ("_context", "_parent", "_max_output")

    def __init__(self, context: Mapping[str, Any], max_output: int) -> None:
        self._context = context
        self._parent: dict[str, Any] | None = None
        self._max_output = max_output

    def value(self, value: Any) -> Any:
        # Exact-type checks first: this walk runs for every action parameter of every
        # matched event, and abc isinstance checks cost more than the rest of it.
        kind = type(value)
        if kind is str:
            return self.string(value) if "{{" in value or "{%" in value else value
        if kind is dict:
            return {key: self.value(item) for key, item in value.items()}
        if kind is list:
            return [self.value(item) for item in value]
        if value is None or kind is int or kind is float or kind is bool:
            return value
        if isinstance(value, str):
            return self.string(value) if is_template(value) else value
        if isinstance(value, Mapping):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, tuple):
            return tuple(self.value(item) for item in value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def string(self, text: str) -> Any:
        if self._parent is None:
            self._parent = _parent(self._context)
        compiled = compile_template(text)
        if compiled.native:
            return _run_native(compiled, self._parent)
        return _run_text(compiled, self._parent, self._max_output)


def _new_context(compiled: Compiled, parent: dict[str, Any]) -> Context:
    # Template.new_context() would copy the globals into a set per call (for imports,
    # which we forbid); the parent already holds them, so build the Context directly.
    # Context(environment, parent, name, blocks) is stable across Jinja 3.x (pinned 3.1.6).
    return Context(ENV, parent, None, compiled.template.blocks)


def _run_native(compiled: Compiled, parent: dict[str, Any]) -> Any:
    try:
        context = _new_context(compiled, parent)
        for _ in compiled.template.root_render_func(context):
            pass
        value = context.vars[RESULT]
        _check_value(value, deep=not compiled.lookup_only)
        if isinstance(value, str) and type(value) is not str:
            value = str(value)  # Markup from |tojson, |safe …: hand out plain text
        return value
    except Exception as exc:
        raise ExpressionError(compiled.source, describe(exc)) from exc


def _run_text(compiled: Compiled, parent: dict[str, Any], max_output: int) -> str:
    try:
        if compiled.native:
            text = str(finalize(_run_native(compiled, parent)))
            if len(text) > max_output:
                raise limits.too_large("output")
            return text
        context = _new_context(compiled, parent)
        parts = []
        size = 0
        # Count while generating, so a runaway template stops at the cap instead of
        # first joining everything it produced.
        for chunk in compiled.template.root_render_func(context):
            size += len(chunk)
            if size > max_output:
                raise limits.too_large("output")
            parts.append(chunk)
        return "".join(parts)
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(compiled.source, describe(exc)) from exc


def _check_value(value: Any, *, deep: bool) -> None:
    """Refuse results that are not data: Undefined (anywhere inside), functions, Jinja objects.

    StrictUndefined only raises when an undefined value is *used*; ``{{ missing }}``
    or ``{{ [missing] }}`` would otherwise hand an Undefined object to the caller.
    """
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, _SCALARS):
            continue
        if isinstance(item, Undefined):
            item._fail_with_undefined_error()
        if isinstance(item, (list, tuple, dict)) or isinstance(item, Mapping):
            if deep and id(item) not in seen:  # seen: tolerate self-referencing context data
                seen.add(id(item))
                stack.extend(item.values() if isinstance(item, Mapping) else item)
            continue
        if callable(item) or is_jinja_internal(item):
            raise LimitExceeded(f"the expression produced a {type(item).__name__}, not a value")
