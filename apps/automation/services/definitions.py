"""Creating, changing and deleting triggers and rules through the API, validated as the
pack loader validates them (`loaders.trigger_fields`, `loaders.rule_fields`). What is
made here is marked `api`, so re-registering its pack keeps it; a pack-defined object
changed here is overwritten by the next registration of its pack."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.core import schemas
from apps.packs.choices import Source
from apps.packs.content import content_create, content_delete, content_keeps_its_name, content_locked
from apps.packs.services import pack_content_ref

from ..choices import RuleSource
from ..loaders import rule_fields, trigger_fields
from ..models import Rule, Trigger
from .timers import timers_sync

TRIGGER_FIELDS = ("label", "description", "parameters", "payload_schema", "webhook", "enabled")
RULE_FIELDS = ("label", "description", "enabled", "trigger", "trigger_params", "criteria", "conditions", "action",
               "action_params")


def trigger_create(*, data: dict[str, Any]) -> Trigger:
    """A new trigger in an installed pack (`ref`, or `pack` and `name`); Conflict if
    the ref is taken."""
    pack, ref = pack_content_ref(data=data, kind="a trigger")
    fields = trigger_fields({k: data[k] for k in TRIGGER_FIELDS if k in data})
    return content_create(Trigger, ref=ref, kind="trigger",
                          fields={**fields, "pack": pack, "name": ref.split(".", 1)[1], "source": Source.API})


def trigger_update(*, ref: str, data: dict[str, Any]) -> Trigger:
    """Change some fields of a trigger. Its rules' trigger parameters are not
    re-checked against a changed parameter schema until they are saved again."""
    with transaction.atomic():
        trigger = content_locked(Trigger, ref=ref, kind="trigger")
        content_keeps_its_name(trigger, data)
        merged = {name: getattr(trigger, name) for name in TRIGGER_FIELDS}
        merged.update({k: data[k] for k in TRIGGER_FIELDS if k in data})
        for name, value in trigger_fields(merged).items():
            setattr(trigger, name, value)
        trigger.save()
    return trigger


def trigger_delete(*, ref: str) -> None:
    """Delete a trigger; its events stay (they keep the trigger's ref). Refused
    (Conflict) while rules use it."""
    content_delete(Trigger, ref=ref, kind="trigger")


def rule_create(*, data: dict[str, Any]) -> Rule:
    """A new rule in an installed pack (`ref`, or `pack` and `name`): its trigger and
    action must exist, its trigger parameters fit the trigger's schema, its action
    parameters name parameters of the action, its criteria use known operators and
    its templates parse (InvalidInput naming the field). Conflict if the ref is taken."""
    pack, ref = pack_content_ref(data=data, kind="a rule")
    fields = rule_fields(pack.ref, {k: data[k] for k in RULE_FIELDS if k in data})
    rule = content_create(Rule, ref=ref, kind="rule",
                          fields={**fields, "pack": pack, "name": ref.split(".", 1)[1], "source": RuleSource.API})
    timers_sync()
    return rule


def rule_update(*, ref: str, data: dict[str, Any]) -> Rule:
    """Change some fields of a rule, validated as a whole (as rule_create)."""
    with transaction.atomic():
        rule = content_locked(Rule, ref=ref, kind="rule")
        content_keeps_its_name(rule, data)
        merged = {name: getattr(rule, name) for name in RULE_FIELDS if name not in ("trigger", "action")}
        merged.update({"trigger": rule.trigger_ref, "action": rule.action_ref})
        merged.update({k: data[k] for k in RULE_FIELDS if k in data})
        merged["action_params"] = _unmasked(rule, merged.get("action_params"))
        for name, value in rule_fields(rule.pack.ref, merged).items():
            setattr(rule, name, value)
        rule.save()
        timers_sync()
    return rule


def _unmasked(rule: Rule, params: Any) -> Any:
    """Parameters as sent back by a client that read them masked: a secret parameter
    whose value is the mask keeps its stored value."""
    if not isinstance(params, dict) or rule.action is None:
        return params
    secrets = schemas.secret_names(rule.action.parameters)
    return {name: rule.action_params.get(name, value) if name in secrets and value == schemas.MASK else value
            for name, value in params.items()}


def rule_delete(*, ref: str) -> None:
    """Delete a rule; its enforcements and the executions they made stay."""
    with transaction.atomic():
        content_delete(Rule, ref=ref, kind="rule")
        timers_sync()
