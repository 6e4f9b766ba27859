"""Validating workflow actions' graph files at registration."""

from __future__ import annotations

from pathlib import Path

import yaml

from apps.executions.models import Action
from apps.packs.errors import LoadError
from apps.packs.registry import LoadContext

from .models import WorkflowDefinition
from .spec import WorkflowSpecError, parse_workflow


class WorkflowLoader:
    """Runs after the actions are loaded: every workflow action's `workflow_file` is
    parsed and validated (unknown tasks, reserved names, unreachable tasks, expression
    syntax, unknown actions), each error naming the file, the task and the field."""

    directory = "workflows"

    def load(self, ctx: LoadContext) -> None:
        actions_dir = ctx.pack_dir / "actions"
        for action in Action.objects.filter(pack=ctx.pack, runner_type="workflow"):
            path = (actions_dir / action.workflow_file).resolve() if action.workflow_file else None
            name = ctx.relative(path) if path else action.metadata_file
            if path is None:
                ctx.errors.append(LoadError(action.metadata_file, "workflow_file", "is required for a workflow action"))
                continue
            try:
                data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                ctx.errors.append(LoadError(name, "", f"cannot read the workflow: {exc}"))
                continue
            try:
                parse_workflow(data, file=name, action_exists=lambda ref: Action.objects.filter(ref=ref).exists())
            except WorkflowSpecError as exc:
                for error in exc.errors:
                    field = f"tasks.{error.task}.{error.field}" if error.task else error.field
                    ctx.errors.append(LoadError(error.file or name, field.rstrip("."), error.reason))
                continue
            WorkflowDefinition.objects.update_or_create(action=action, defaults={"file": name, "data": data})
