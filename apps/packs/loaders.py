from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from apps.core.errors import InvalidInput
from apps.core.refs import qualify

from .models import Runtime
from .registry import LoadContext, load_definitions, pick

_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


def _str_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(field, "must be a list of strings")
    return value


def parse_interpreter(value: Any) -> dict[str, Any]:
    if value in (None, {}):
        return {}
    if isinstance(value, str):
        value = {"binary": value}
    if not isinstance(value, dict) or not isinstance(value.get("binary"), str) or not value["binary"]:
        raise InvalidInput("interpreter.binary", "must name the interpreter executable")
    return {
        "binary": value["binary"],
        "args": _str_list(value.get("args"), "interpreter.args"),
        "probe": _str_list(value.get("probe"), "interpreter.probe"),
        "file_extension": str(value.get("file_extension") or ""),
    }


class RuntimeLoader:
    directory = "runtimes"

    def load(self, ctx: LoadContext) -> None:
        load_definitions(ctx, self.directory, lambda path, data: self._upsert(ctx, path, data), self._pruner(ctx))

    def _upsert(self, ctx: LoadContext, path: Path, data: dict[str, Any]) -> str:
        ref = qualify(str(pick(data, "ref", "name", default="") or path.stem), ctx.pack.ref)
        name = str(data.get("name") or ref.split(".", 1)[1]).lower()
        if not _NAME_RE.match(name):
            raise InvalidInput("name", f"{name!r} must match [a-z][a-z0-9_-]*")
        queue = str(data.get("queue") or f"runtime.{name}")
        execution = data.get("execution_config") or {}
        interpreter = parse_interpreter(data.get("interpreter", execution.get("interpreter")))
        Runtime.objects.update_or_create(
            ref=ref,
            defaults={
                "pack": ctx.pack,
                "name": name,
                "description": str(data.get("description") or ""),
                "aliases": [a.lower() for a in _str_list(data.get("aliases"), "aliases")],
                "queue": queue,
                "interpreter": interpreter,
                "metadata_file": ctx.relative(path),
            },
        )
        return ref

    def _pruner(self, ctx: LoadContext):
        def prune(refs: set[str]) -> None:
            Runtime.objects.filter(pack=ctx.pack).exclude(ref__in=refs).delete()

        return prune
