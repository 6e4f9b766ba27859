"""Webhooks: `POST /api/v1/webhooks/<name>`, where the name is a `core.webhook`
rule's `url`, or the ref of a trigger declared with `webhook: true`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from apps.core.errors import InvalidInput, NotFound

from ..models import Event, Rule, Trigger
from .events import event_create
from .keys import WEBHOOK

# Credentials are never stored with an event.
_DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-attune-api-key", "x-attune-signature"}


def parse_body(body: bytes, content_type: str) -> Any:
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("body", f"is not valid JSON ({exc})") from None


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}


def webhook_receive(
    *, name: str, body: bytes, content_type: str, headers: Mapping[str, str], user=None, delivery_id: str | None = None
) -> Event:
    """Store the event a webhook call makes (before the caller is answered)."""
    payload = parse_body(body, content_type)
    if Rule.objects.filter(trigger_ref=WEBHOOK, trigger_key=name, enabled=True).exists():
        return event_create(
            trigger=WEBHOOK, trigger_key=name, payload={"body": payload, "headers": safe_headers(headers)},
            source=f"webhook:{name}", user=user, delivery_id=delivery_id,
        )
    trigger = Trigger.objects.filter(ref=name, webhook=True, enabled=True).first()
    if trigger is None:
        raise NotFound(f"no webhook named {name!r}: use a core.webhook rule's url or a trigger with webhook: true")
    return event_create(
        trigger=trigger, payload=payload, source=f"webhook:{name}", user=user, delivery_id=delivery_id, validate=True
    )
