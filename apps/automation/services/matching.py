"""Does a rule match an event, and with what action parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from apps.core.expressions import ExpressionError, evaluate, render, truthy
from apps.core.schemas import mask_text
from apps.keys.keystore import keystore_for

from ..criteria import CriteriaError, criteria_match
from ..models import Event, Rule


@dataclass
class Verdict:
    matched: bool
    error: str = ""


def rule_context(rule: Rule, event: Event) -> dict[str, Any]:
    """What templates and conditions see. Event data is data: it is placed in the
    context and never rendered itself. `keystore` reads the system's and the rule's
    pack's keys on demand (a rule runs as no user, so user keys are out of reach)."""
    return {
        "event": {
            "id": event.pk,
            "trigger": event.trigger_ref,
            "payload": event.payload,
            "created": event.created_at.isoformat() if event.created_at else None,
        },
        "trigger": event.payload,  # StackStorm's name for the payload
        "rule": {"ref": rule.ref, "name": rule.name, "pack": rule.pack.ref if rule.pack_id else ""},
        "pack": {"ref": rule.pack.ref, "config": rule.pack.config} if rule.pack_id else {"config": {}},
        "keystore": keystore_for(pack_ref=rule.pack.ref if rule.pack_id else ""),
        "system": {"timestamp": timezone.now().isoformat(), "rule": rule.ref},
    }


def rule_evaluate(rule: Rule, context: dict[str, Any]) -> Verdict:
    """Criteria (all must hold) and the condition expression; an error means no
    match, with the reason kept for the event's record."""
    try:
        if rule.criteria and not criteria_match(
            rule.criteria, context, render_pattern=lambda pattern: render(pattern, context)
        ):
            return Verdict(False)
        expression = condition_expression(rule.conditions)
        if expression and not truthy(evaluate(expression, context)):
            return Verdict(False)
    except (CriteriaError, ExpressionError) as exc:
        return Verdict(False, mask_text(str(exc), revealed_secrets(context)))
    return Verdict(True)


def revealed_secrets(context: dict[str, Any]) -> list[str]:
    """The texts of the encrypted keys the context's templates have read so far."""
    return list(getattr(context.get("keystore"), "revealed", None) or [])


def condition_expression(conditions: Any) -> str:
    if isinstance(conditions, str):
        return conditions
    if isinstance(conditions, dict):
        return str(conditions.get("expression") or "")
    return ""


def render_action_params(rule: Rule, context: dict[str, Any]) -> dict[str, Any]:
    """The rule's action_params rendered with the sandboxed engine; a single
    `{{ expr }}` keeps its JSON type."""
    rendered = render(rule.action_params or {}, context)
    return rendered if isinstance(rendered, dict) else {}
