"""Attune's expression and template language: one sandboxed Jinja engine.

Used for rule ``action_params`` and criteria patterns, rule conditions, and workflow
inputs, publishes, ``when`` and outputs (FORMATS.md "Templates and expressions").
Pure Python: no Django, no database.

    render({"n": "{{ x + 1 }}", "s": "id-{{ x }}"}, {"x": 1})  ->  {"n": 2, "s": "id-1"}
    evaluate('total > 1000 or "vip" in tags', context)       ->  True / False
"""

from .compiler import CACHE_SIZE, clear_cache
from .engine import check_syntax, evaluate, is_template, render, render_text, truthy
from .errors import ExpressionError
from .functions import FUNCTIONS
from .limits import MAX_FORMAT_WIDTH, MAX_INT_BITS, MAX_ITEMS, MAX_OUTPUT, MAX_SIZE, MAX_STRING, TIMEOUT

__all__ = [
    "CACHE_SIZE",
    "FUNCTIONS",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_OUTPUT",
    "MAX_SIZE",
    "MAX_STRING",
    "TIMEOUT",
    "ExpressionError",
    "check_syntax",
    "clear_cache",
    "evaluate",
    "is_template",
    "render",
    "render_text",
    "truthy",
]
