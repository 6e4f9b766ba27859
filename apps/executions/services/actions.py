"""Creating, changing and deleting actions through the API. The same validation as
the pack loader's (`loaders.action_fields`); an action made here is marked `api`, so
re-registering its pack keeps it (see docs/api.md, "Pack content and the API")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from apps.core.errors import Conflict, InvalidInput
from apps.packs.choices import Source
from apps.packs.content import content_create, content_delete, content_keeps_its_name, content_locked
from apps.packs.models import Pack
from apps.packs.registry import LoadContext
from apps.packs.services import pack_content_ref

from ..loaders import action_fields
from ..models import Action

# The stored fields an API request may set, in the pack file's spelling.
WRITABLE = ("label", "description", "runner_type", "entry_point", "workflow_file", "parameters", "output_schema",
            "output_format", "parameter_format", "parameter_delivery", "timeout", "runtime_version", "enabled",
            "tags")


def _validated(pack: Pack, ref: str, data: dict[str, Any]) -> dict[str, Any]:
    ctx = LoadContext(pack=pack, pack_dir=Path(pack.path or "/nonexistent"))
    fields = action_fields(ctx, Path(), {**data, "ref": ref})
    fields.pop("ref")
    fields["metadata_file"] = ""
    return fields


def action_create(*, data: dict[str, Any]) -> Action:
    """A new action in an installed pack (`ref`, or `pack` and `name`). Its entry point
    must exist in the pack's actions/ directory; workflow actions come only from a
    pack's files (their graph is validated at registration). Conflict if the ref is
    taken."""
    pack, ref = pack_content_ref(data=data, kind="an action")
    if str(data.get("runner_type", "")).lower() in ("workflow", "orquesta"):
        raise InvalidInput("runner_type", "workflow actions are defined in a pack's files (register the pack)")
    if Action.objects.filter(ref=ref).exists():  # before the file checks: a taken ref is the answer
        raise Conflict(f"an action named {ref!r} already exists")
    fields = _validated(pack, ref, {k: data[k] for k in WRITABLE if k in data})
    return content_create(Action, ref=ref, kind="action", fields={**fields, "source": Source.API})


def action_update(*, ref: str, data: dict[str, Any]) -> Action:
    """Change some fields of an action, validated as a whole. The ref, the pack and a
    workflow's graph file do not change here."""
    with transaction.atomic():
        action = content_locked(Action, ref=ref, kind="action")
        content_keeps_its_name(action, data)
        merged = {name: getattr(action, name) for name in WRITABLE}
        merged.update({k: data[k] for k in WRITABLE if k in data})
        was_workflow = action.runner_type == "workflow"
        if (str(merged["runner_type"]).lower() in ("workflow", "orquesta")) != was_workflow:
            raise InvalidInput("runner_type", "cannot turn an action into or out of a workflow")
        if was_workflow and merged["workflow_file"] != action.workflow_file:
            raise InvalidInput("workflow_file", "a workflow's graph changes with its pack (register the pack)")
        fields = _validated(action.pack, ref, merged)
        fields.pop("pack")
        fields.pop("metadata_file")
        for name, value in fields.items():
            setattr(action, name, value)
        action.save()
    return action


def action_delete(*, ref: str) -> None:
    """Delete an action. Its executions stay (they keep the action's ref); refused
    (Conflict) while rules use it."""
    content_delete(Action, ref=ref, kind="action")
