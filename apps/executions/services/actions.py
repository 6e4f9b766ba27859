"""Creating, changing and deleting actions through the API. The same validation as
the pack loader's (`loaders.action_fields`); an action made here is marked `api`, so
re-registering its pack keeps it (see docs/api.md, "Pack content and the API")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from apps.core.deletion import definitions_affected
from apps.core.errors import Conflict, InvalidInput, NotFound
from apps.packs.choices import Source
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


def action_get(*, ref: str) -> Action:
    action = Action.objects.filter(ref=ref).first()
    if action is None:
        raise NotFound(f"no action named {ref!r}")
    return action


def action_create(*, data: dict[str, Any]) -> Action:
    """A new action in an installed pack (`ref`, or `pack` and `name`). Its entry point
    must exist in the pack's actions/ directory; workflow actions come only from a
    pack's files (their graph is validated at registration). Conflict if the ref is
    taken."""
    pack, ref = pack_content_ref(data=data, kind="an action")
    if str(data.get("runner_type", "")).lower() in ("workflow", "orquesta"):
        raise InvalidInput("runner_type", "workflow actions are defined in a pack's files (register the pack)")
    if Action.objects.filter(ref=ref).exists():
        raise Conflict(f"an action named {ref!r} already exists")
    fields = _validated(pack, ref, {k: data[k] for k in WRITABLE if k in data})
    try:
        with transaction.atomic():
            return Action.objects.create(ref=ref, source=Source.API, **fields)
    except IntegrityError:
        raise Conflict(f"an action named {ref!r} already exists") from None


def action_update(*, ref: str, data: dict[str, Any]) -> Action:
    """Change some fields of an action, validated as a whole. The ref, the pack and a
    workflow's graph file do not change here."""
    with transaction.atomic():
        action = Action.objects.select_for_update().select_related("pack").filter(ref=ref).first()
        if action is None:
            raise NotFound(f"no action named {ref!r}")
        for fixed in ("ref", "pack", "name"):
            if fixed in data and data[fixed] not in (None, getattr(action, fixed) if fixed != "pack" else action.pack.ref):
                raise InvalidInput(fixed, "cannot be changed (create a new action instead)")
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
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(ref=ref).first()
        if action is None:
            raise NotFound(f"no action named {ref!r}")
        users = definitions_affected(action)
        if users:
            raise Conflict(f"action {ref!r} is used by {', '.join(users)}; change or delete those first")
        action.delete()
