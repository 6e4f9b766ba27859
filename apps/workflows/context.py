"""The names a workflow's expressions see, and the `item()` spelling.

Every expression goes through the platform engine (:mod:`apps.core.expressions`);
this module only decides *what is in scope*:

``parameters``, ``workflow`` (published variables; aliases ``vars``, ``variables``,
and each variable as a bare name when no other name has it), ``task`` (``task.<name>``
→ ``{"status", "result"}`` of the latest completed run of that task), ``config``,
``keystore``, ``system``, ``item`` / ``index`` inside with_items runs, and the
functions ``result()``, ``succeeded()``, ``failed()``, ``timed_out()``,
``completed()``, ``task_status(name)`` (current task = the one whose run or
transitions are being evaluated).

``item`` is both a value (``{{ item }}``) and, in Orquesta's spelling, a function
(``item()``, ``item(key)``). A name cannot be both in Jinja, so workflow expressions
are rewritten once when the spec is parsed: ``item()`` → ``item``, ``item(k)`` /
``item("k")`` → ``item["k"]``. :func:`original` maps a rewritten text back for
error messages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from apps.core.expressions import FUNCTIONS

#: Run/task statuses for which failed() is true: a timeout and a lost worker are failures.
FAILED = frozenset({"failed", "timeout", "abandoned"})
#: Statuses for which completed() is true.
COMPLETED = frozenset({"succeeded", "failed", "timeout", "canceled", "abandoned"})

# Names a published variable must not shadow when offered as a bare name ("last resort").
_JINJA_GLOBALS = frozenset({"range", "dict", "namespace", "true", "false", "none", "null", "loop"})
_NAMESPACES = ("parameters", "workflow", "vars", "variables", "task", "config", "keystore", "system", "item", "index")
_WORKFLOW_FUNCTIONS = ("result", "succeeded", "failed", "timed_out", "completed", "task_status")
RESERVED_NAMES = frozenset(FUNCTIONS) | _JINJA_GLOBALS | frozenset(_NAMESPACES) | frozenset(_WORKFLOW_FUNCTIONS)

_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_ITEM_CALL = re.compile(r"(?<![\w.])item\s*\(\s*(?:(['\"])(\w+)\1|([A-Za-z_]\w*))?\s*\)")
_ORIGINAL: dict[str, str] = {}


def _rewrite_code(code: str) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(2) or match.group(3)
        return f'item["{key}"]' if key else "item"

    return _ITEM_CALL.sub(repl, code)


@functools.lru_cache(maxsize=4096)
def prepare(text: str, expression: bool = False) -> str:
    """The text with Orquesta's ``item()``/``item(k)`` rewritten for the engine.

    ``expression=True``: the whole text is code (a ``when:``); otherwise only the
    ``{{ }}``/``{% %}`` parts are, so literal text mentioning item() is kept.
    """
    if "item" not in text:
        return text
    rewritten = _rewrite_code(text) if expression else _CODE.sub(lambda m: _rewrite_code(m.group(0)), text)
    if rewritten != text:
        _ORIGINAL[rewritten] = text
    return rewritten


def prepare_value(value: Any) -> Any:
    """:func:`prepare` applied to every template string inside a JSON-like value."""
    if isinstance(value, str):
        return prepare(value) if ("{{" in value or "{%" in value) else value
    if isinstance(value, dict):
        return {key: prepare_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [prepare_value(item) for item in value]
    return value


def original(text: str) -> str:
    """The text as the author wrote it (undoing :func:`prepare`)."""
    return _ORIGINAL.get(text, text)


class Scope:
    """The expression context of one conductor.

    Holds live references to the conductor's variables and task table, so a decision
    costs no copy of them; the flat dict handed to the engine is rebuilt only after
    a publish (:meth:`invalidate`), because bare variable names live in it.
    """

    def __init__(
        self,
        parameters: dict[str, Any],
        variables: dict[str, Any],
        tasks: dict[str, dict[str, Any]],
        extra: dict[str, Any],
        task_status: Callable[[str], str | None],
    ) -> None:
        self.variables = variables
        #: (status, result) of the run or task being evaluated, read by result(), failed() …
        self.current: tuple[str | None, Any] = (None, None)
        self._names: dict[str, Any] | None = None
        self._base: dict[str, Any] = {
            "parameters": parameters,
            "workflow": variables,
            "vars": variables,
            "variables": variables,
            "task": tasks,
            "config": extra.get("config") or {},
            "keystore": extra.get("keystore") or {},
            "system": extra.get("system") or {},
            "result": lambda: self.current[1],
            "succeeded": lambda: self.current[0] == "succeeded",
            "failed": lambda: self.current[0] in FAILED,
            "timed_out": lambda: self.current[0] == "timeout",
            "completed": lambda: self.current[0] in COMPLETED,
            "task_status": task_status,
        }

    def invalidate(self) -> None:
        """Forget the flat dict (a variable was published)."""
        self._names = None

    def names(self) -> dict[str, Any]:
        """The names for the engine (bare variables underneath everything else)."""
        if self._names is None:
            names = {key: value for key, value in self.variables.items() if key not in RESERVED_NAMES}
            names.update(self._base)
            self._names = names
        return self._names

    def with_item(self, item: Any, index: int) -> dict[str, Any]:
        """The names for one with_items run: ``item`` and ``index`` added."""
        names = dict(self.names())
        names["item"] = item
        names["index"] = index
        return names
