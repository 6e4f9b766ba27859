"""Which events of a parameterised trigger a rule sees: `core.webhook` rules by their
webhook name, timer rules by their schedule. Other triggers deliver every event to
every rule on them."""

from __future__ import annotations

import re
from typing import Any

from apps.core.errors import InvalidInput

from . import schedules

WEBHOOK = "core.webhook"
WEBHOOK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


def trigger_key(trigger_ref: str, params: dict[str, Any]) -> str:
    if trigger_ref == WEBHOOK:
        url = params.get("url")
        if not isinstance(url, str) or not WEBHOOK_NAME_RE.match(url):
            raise InvalidInput("trigger_params.url", "is required: the webhook's name (letters, digits, '_', '-', '.')")
        return url
    if trigger_ref in schedules.TIMERS:
        schedules.validate(trigger_ref, params)
        return schedules.schedule_key(params)
    return ""
