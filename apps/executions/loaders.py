"""Loading `actions/*.yaml` from a pack."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from apps.core import schemas
from apps.core.errors import InvalidInput
from apps.core.refs import qualify
from apps.packs.choices import Source
from apps.packs.registry import LoadContext, load_definitions, pick

from .models import Action
from .runners import base as runner_registry

OUTPUT_FORMATS = ("text", "json", "yaml", "jsonl")
PARAMETER_FORMATS = ("json", "dotenv", "yaml")
PARAMETER_DELIVERIES = ("stdin", "file")
PROCESS_RUNNERS = ("shell", "python", "node", "native")


def _choice(data: dict[str, Any], field: str, choices: tuple[str, ...], default: str) -> str:
    value = str(data.get(field) or default).lower()
    if value not in choices:
        raise InvalidInput(field, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _inside(base: Path, relative: str, field: str) -> Path:
    where = f"the pack's {base.name}/ directory"
    if os.path.isabs(relative):
        raise InvalidInput(field, f"must be a path relative to {where}")
    path = (base / relative).resolve()
    if base.resolve() not in path.parents:
        raise InvalidInput(field, f"{relative!r} points outside {where}")
    return path


def script_in(base: Path, relative: str, field: str) -> Path:
    """An existing file of the pack's `base` directory, named by a relative path."""
    path = _inside(base, relative, field)
    if not _is_file(path):
        raise InvalidInput(field, f"{relative} does not exist in {base.name}/")
    return path


# What the column holds (a 32-bit integer); about 68 years.
MAX_TIMEOUT = 2**31 - 1


def _is_file(path: Path) -> bool:
    """False, not an error, for names the file system refuses (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def action_fields(ctx: LoadContext, path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of an action definition, or InvalidInput naming the field."""
    given = pick(data, "ref", "name")
    if not given:
        raise InvalidInput("ref", "is required (or name)")
    ref = qualify(str(given), ctx.pack.ref)
    runner_type = str(pick(data, "runner_type", "runner", default="") or "")
    if not runner_type:
        raise InvalidInput("runner_type", "is required")
    runner = runner_registry.canonical(runner_type)
    parameters = pick(data, "parameters", default={}) or {}
    schemas.check_schema(parameters, field="parameters")
    output = pick(data, "output", "output_schema", default={}) or {}
    schemas.check_schema(output, field="output")
    entry_point = str(data.get("entry_point") or "")
    workflow_file = str(data.get("workflow_file") or "")
    if runner == "workflow" and entry_point and not workflow_file:
        # StackStorm's orquesta actions name their graph in entry_point.
        workflow_file, entry_point = entry_point, ""
    actions_dir = ctx.pack_dir / "actions"
    if entry_point:
        script = _inside(actions_dir, entry_point, "entry_point")
        if not _is_file(script):
            raise InvalidInput("entry_point", f"{entry_point} does not exist in {ctx.relative(actions_dir)}")
        if runner == "native" and not os.access(script, os.X_OK):
            raise InvalidInput("entry_point", f"{entry_point} is not executable (chmod +x) for the native runner")
    elif runner in PROCESS_RUNNERS:
        if runner != "shell" or "cmd" not in schemas.properties_of(parameters):
            raise InvalidInput("entry_point", f"is required for a {runner} action (or, for shell, a `cmd` parameter)")
    if workflow_file:
        workflow = _inside(actions_dir, workflow_file, "workflow_file")
        if not _is_file(workflow):
            raise InvalidInput("workflow_file", f"{workflow_file} does not exist in {ctx.relative(actions_dir)}")
    timeout = data.get("timeout")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
        raise InvalidInput("timeout", "must be a positive number of seconds")
    if timeout is not None and timeout > MAX_TIMEOUT:
        raise InvalidInput("timeout", f"must be at most {MAX_TIMEOUT} seconds")
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        raise InvalidInput("tags", "must be a list")
    return {
        "ref": ref,
        "pack": ctx.pack,
        "name": ref.split(".", 1)[1],
        "label": str(data.get("label") or ref.split(".", 1)[1]),
        "description": str(data.get("description") or ""),
        "runner_type": runner,
        "entry_point": entry_point,
        "workflow_file": workflow_file,
        "parameters": parameters,
        "output_schema": output,
        "output_format": _choice(data, "output_format", OUTPUT_FORMATS, "text"),
        "parameter_format": _choice(data, "parameter_format", PARAMETER_FORMATS, "json"),
        "parameter_delivery": _choice(data, "parameter_delivery", PARAMETER_DELIVERIES, "stdin"),
        "timeout": timeout,
        "runtime_version": str(data.get("runtime_version") or ""),
        "enabled": bool(data.get("enabled", True)),
        "tags": tags,
        "metadata_file": ctx.relative(path),
    }


class ActionLoader:
    directory = "actions"

    def load(self, ctx: LoadContext) -> None:
        def upsert(path: Path, data: dict[str, Any]) -> str:
            fields = action_fields(ctx, path, data)
            ref = fields.pop("ref")
            Action.objects.update_or_create(ref=ref, defaults={**fields, "source": Source.PACK})
            return ref

        def prune(refs: set[str]) -> None:
            # Actions made through the API stay (see docs/api.md, "Pack content and the API").
            Action.objects.filter(pack=ctx.pack, source=Source.PACK).exclude(ref__in=refs).delete()

        load_definitions(ctx, self.directory, upsert, prune)
