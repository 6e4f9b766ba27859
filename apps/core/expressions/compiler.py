"""Parse, check, rewrite and compile templates and expressions, with a cache.

A template that is exactly one ``{{ expr }}`` (whitespace around allowed) is compiled
as an *expression*: the value is stored, not printed, so ``{{ [1, 2] }}`` yields a
list. This is what ``Environment.compile_expression`` does, but applied to the
expression node of the parsed template, so ``{{ a }} + {{ b }}`` is never mistaken for
a single expression (a regex on the braces would). Unlike NativeEnvironment, nothing
is ever ``literal_eval``-ed back from text: a string result stays a string, even
``"[1, 2]"``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import Template, nodes
from jinja2.parser import Parser
from jinja2.visitor import NodeTransformer

from .environment import ENV
from .errors import ExpressionError, describe

#: Compiled templates and expressions kept (keyed by source text).
CACHE_SIZE = 2048

# Where a compiled expression leaves its value. Starts with an underscore so Jinja does
# not export it; templates cannot collide with it in practice.
RESULT = "_attune_result"

_FORBIDDEN = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
}


class _NullLiteral(NodeTransformer):
    """Read the name ``null`` as the literal None (Jinja only knows ``none``/``None``).

    Done on the tree rather than as a global, so a context key cannot redefine it.
    """

    def visit_Name(self, node: nodes.Name) -> nodes.Node:
        if node.name == "null" and node.ctx == "load":
            return nodes.Const(None, lineno=node.lineno)
        return node


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled template or expression."""

    source: str
    template: Template
    #: One expression: the value is in ``context.vars[RESULT]`` after running.
    native: bool
    #: A plain name/attribute/item chain (``event.payload.x``): its value is context
    #: data, so it needs no inspection beyond "is it defined".
    lookup_only: bool = False


@functools.lru_cache(maxsize=CACHE_SIZE)
def compile_template(source: str) -> Compiled:
    """Compile template text (``{{ }}``, ``{% %}``); raise ExpressionError on errors."""
    try:
        tree = _NullLiteral().visit(ENV.parse(source))
        _reject_forbidden(tree, source)
        expression = _single_expression(tree)
        if expression is not None:
            return _compile_native(source, expression)
        _guard_loops(tree)
        return Compiled(source, ENV.from_string(tree), native=False)
    except ExpressionError:
        raise
    except Exception as exc:  # TemplateSyntaxError, TemplateAssertionError (unknown filter) …
        raise ExpressionError(source, describe(exc)) from None


@functools.lru_cache(maxsize=CACHE_SIZE)
def compile_expression(source: str) -> Compiled:
    """Compile a bare expression (no braces); raise ExpressionError on errors."""
    try:
        parser = Parser(ENV, source, state="variable")
        expression = _NullLiteral().visit(parser.parse_expression())
        if not parser.stream.eos:
            token = parser.stream.current
            raise ExpressionError(source, f"syntax error: unexpected {token.value or token.type!r}")
        return _compile_native(source, expression)
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(source, describe(exc)) from None


def _compile_native(source: str, expression: nodes.Expr) -> Compiled:
    body = nodes.Template([nodes.Assign(nodes.Name(RESULT, "store"), expression, lineno=1)], lineno=1)
    body.set_environment(ENV)
    return Compiled(source, ENV.from_string(body), native=True, lookup_only=_is_lookup(expression))


def _single_expression(tree: nodes.Template) -> nodes.Expr | None:
    """The expression node if the template is one ``{{ expr }}`` and whitespace."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = [n for n in tree.body[0].nodes if not (isinstance(n, nodes.TemplateData) and not n.data.strip())]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


def _is_lookup(expression: nodes.Expr) -> bool:
    while True:
        if isinstance(expression, nodes.Name):
            return True
        if isinstance(expression, nodes.Getattr):
            expression = expression.node
        elif isinstance(expression, nodes.Getitem) and isinstance(expression.arg, nodes.Const):
            expression = expression.node
        else:
            return False


def _reject_forbidden(tree: nodes.Template, source: str) -> None:
    # There is no loader, so these would fail at render time anyway; rejecting them
    # here makes check_syntax() refuse them when a pack is registered.
    for node in tree.find_all(tuple(_FORBIDDEN)):
        raise ExpressionError(source, f"{{% {_FORBIDDEN[type(node)]} %}} is not allowed")


def _guard_loops(tree: nodes.Template) -> None:
    # for x in ITER  →  for x in environment.guard_iter(ITER): every iteration checks
    # the deadline. Loops are the only way a template runs long without calling
    # anything (calls are checked in AttuneEnvironment.call).
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(nodes.EnvironmentAttribute("guard_iter"), [loop.iter], [], None, None)
        loop.iter.set_environment(ENV)


def clear_cache() -> None:
    """Forget compiled templates (tests; after changing the environment)."""
    compile_template.cache_clear()
    compile_expression.cache_clear()
