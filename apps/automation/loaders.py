"""Loading `triggers/*.yaml` and `rules/*.yaml` from a pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.core import schemas
from apps.core.errors import InvalidInput
from apps.core.expressions import ExpressionError, check_syntax
from apps.core.refs import qualify
from apps.executions.loaders import PROCESS_RUNNERS, script_in
from apps.executions.models import Action
from apps.executions.runners import base as runner_registry
from apps.packs.choices import Source
from apps.packs.registry import LoadContext, load_definitions, pick

from .choices import RuleSource
from .criteria import OPERATORS
from .models import Rule, Sensor, Trigger
from .services.keys import trigger_key
from .services.matching import condition_expression


def _ref(ctx: LoadContext, data: dict[str, Any]) -> str:
    given = pick(data, "ref", "name")
    if not given:
        raise InvalidInput("ref", "is required (or name)")
    return qualify(str(given), ctx.pack.ref)


def trigger_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validated trigger fields (shared by the pack loader and the API)."""
    parameters = pick(data, "parameters", "parameters_schema", default={}) or {}
    schemas.check_schema(parameters, field="parameters")
    payload = pick(data, "payload", "payload_schema", "output", default={}) or {}
    schemas.check_schema(payload, field="payload_schema" if "payload_schema" in data else "payload")
    return {
        "label": str(data.get("label") or ""), "description": str(data.get("description") or ""),
        "parameters": parameters, "payload_schema": payload, "webhook": bool(data.get("webhook", False)),
        "enabled": bool(data.get("enabled", True)),
    }


class TriggerLoader:
    directory = "triggers"

    def load(self, ctx: LoadContext) -> None:
        def upsert(path: Path, data: dict[str, Any]) -> str:
            ref = _ref(ctx, data)
            Trigger.objects.update_or_create(
                ref=ref,
                defaults={
                    **trigger_fields(data), "pack": ctx.pack, "name": ref.split(".", 1)[1],
                    "metadata_file": ctx.relative(path), "source": Source.PACK,
                },
            )
            return ref

        def prune(refs: set[str]) -> None:
            Trigger.objects.filter(pack=ctx.pack, source=Source.PACK).exclude(ref__in=refs).delete()

        load_definitions(ctx, self.directory, upsert, prune)


def _check_templates(value: Any, field: str) -> None:
    if isinstance(value, str):
        try:
            check_syntax(value)
        except ExpressionError as exc:
            raise InvalidInput(field, exc.reason) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_templates(item, f"{field}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_templates(item, f"{field}.{index}")


def check_criteria(criteria: Any) -> dict[str, Any]:
    if criteria in (None, {}):
        return {}
    if not isinstance(criteria, dict):
        raise InvalidInput("criteria", "must map event paths to {type, pattern}")
    for key, spec in criteria.items():
        where = f"criteria.{key}"
        if not isinstance(spec, dict) or "type" not in spec:
            raise InvalidInput(where, "must be a mapping with a `type` (the operator) and a `pattern`")
        operator = str(spec["type"]).lower()
        if operator not in OPERATORS:
            raise InvalidInput(f"{where}.type", f"{spec['type']!r} is not a criteria operator")
        _check_templates(spec.get("pattern"), f"{where}.pattern")
    return criteria


def rule_fields(pack_ref: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validated rule fields (shared by the pack loader and, later, the API)."""
    trigger_spec = pick(data, "trigger", "trigger_ref", "trigger_type")
    trigger_params = data.get("trigger_params") or {}
    if isinstance(trigger_spec, dict):
        trigger_params = trigger_spec.get("parameters") or trigger_params
        trigger_spec = trigger_spec.get("type") or trigger_spec.get("ref")
    if not trigger_spec:
        raise InvalidInput("trigger", "is required")
    trigger = Trigger.objects.filter(ref=str(trigger_spec)).first()
    if trigger is None:
        raise InvalidInput("trigger", f"no trigger named {trigger_spec!r}")
    if not isinstance(trigger_params, dict):
        raise InvalidInput("trigger_params", "must be a mapping")
    if trigger.parameters:
        schemas.validate(trigger.parameters, trigger_params, field="trigger_params")
    key = trigger_key(trigger.ref, trigger_params)

    action_spec = pick(data, "action", "action_ref")
    action_params = data.get("action_params") or {}
    if isinstance(action_spec, dict):
        action_params = action_spec.get("parameters") or action_params
        action_spec = action_spec.get("ref")
    if not action_spec:
        raise InvalidInput("action", "is required")
    action = Action.objects.filter(ref=str(action_spec)).first()
    if action is None:
        raise InvalidInput("action", f"no action named {action_spec!r}")
    if not isinstance(action_params, dict):
        raise InvalidInput("action_params", "must be a mapping of the action's parameter names to values")
    known = schemas.properties_of(action.parameters)
    for name in action_params:
        if name not in known:
            raise InvalidInput(f"action_params.{name}", f"is not a parameter of {action.ref}")
    for name, spec in known.items():
        if isinstance(spec, dict) and spec.get("required") and "default" not in spec and name not in action_params:
            raise InvalidInput(f"action_params.{name}", f"is required by {action.ref}")
    _check_templates(action_params, "action_params")

    conditions = data.get("conditions") or {}
    if isinstance(conditions, str):
        conditions = {"expression": conditions}
    if not isinstance(conditions, dict):
        raise InvalidInput("conditions", "must be a mapping with an `expression`")
    expression = condition_expression(conditions)
    if expression:
        try:
            check_syntax("{{ " + expression + " }}")
        except ExpressionError as exc:
            raise InvalidInput("conditions.expression", exc.reason) from None
    return {
        "trigger": trigger, "trigger_ref": trigger.ref, "trigger_params": trigger_params, "trigger_key": key,
        "criteria": check_criteria(data.get("criteria")), "conditions": conditions,
        "action": action, "action_ref": action.ref, "action_params": action_params,
        "description": str(data.get("description") or ""), "label": str(data.get("label") or ""),
        "enabled": bool(data.get("enabled", True)),
    }


class RuleLoader:
    directory = "rules"

    def load(self, ctx: LoadContext) -> None:
        def upsert(path: Path, data: dict[str, Any]) -> str:
            ref = _ref(ctx, data)
            fields = rule_fields(ctx.pack.ref, data)
            Rule.objects.update_or_create(
                ref=ref,
                defaults={**fields, "pack": ctx.pack, "name": ref.split(".", 1)[1], "source": RuleSource.PACK,
                          "metadata_file": ctx.relative(path)},
            )
            return ref

        def prune(refs: set[str]) -> None:
            Rule.objects.filter(pack=ctx.pack, source=RuleSource.PACK).exclude(ref__in=refs).delete()

        load_definitions(ctx, self.directory, upsert, prune)


def sensor_fields(ctx: LoadContext, data: dict[str, Any]) -> dict[str, Any]:
    """Validated sensor fields: a process runner, a script in the pack's sensors/,
    triggers that exist (loaded before sensors)."""
    runner_type = str(pick(data, "runner_type", "runner", default="") or "")
    if not runner_type:
        raise InvalidInput("runner_type", "is required")
    runner = runner_registry.canonical(runner_type)
    if runner not in PROCESS_RUNNERS:
        raise InvalidInput("runner_type", f"a sensor is a process: one of {', '.join(PROCESS_RUNNERS)}")
    entry_point = str(data.get("entry_point") or "")
    if not entry_point:
        raise InvalidInput("entry_point", "is required")
    script_in(ctx.pack_dir / "sensors", entry_point, "entry_point")
    given = pick(data, "trigger_types", "triggers", default=[]) or []
    if not isinstance(given, list) or not given:
        raise InvalidInput("trigger_types", "must list the triggers the sensor fires")
    trigger_types = []
    for index, item in enumerate(given):
        spec = item.get("ref") or item.get("name") if isinstance(item, dict) else item
        ref = qualify(str(spec or ""), ctx.pack.ref)
        if not Trigger.objects.filter(ref=ref).exists():
            raise InvalidInput(f"trigger_types.{index}", f"no trigger named {ref!r}")
        trigger_types.append(ref)
    parameters = pick(data, "parameters", default={}) or {}
    schemas.check_schema(parameters, field="parameters")
    return {
        "runner_type": runner, "entry_point": entry_point, "trigger_types": trigger_types, "parameters": parameters,
        "label": str(data.get("label") or ""), "description": str(data.get("description") or ""),
        "enabled": bool(data.get("enabled", True)),
    }


class SensorLoader:
    directory = "sensors"

    def load(self, ctx: LoadContext) -> None:
        def upsert(path: Path, data: dict[str, Any]) -> str:
            ref = _ref(ctx, data)
            Sensor.objects.update_or_create(
                ref=ref,
                defaults={**sensor_fields(ctx, data), "pack": ctx.pack, "name": ref.split(".", 1)[1],
                          "metadata_file": ctx.relative(path)},
            )
            return ref

        def prune(refs: set[str]) -> None:
            Sensor.objects.filter(pack=ctx.pack).exclude(ref__in=refs).delete()

        load_definitions(ctx, self.directory, upsert, prune)
