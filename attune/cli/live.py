"""Following an execution live over the WebSocket (`/ws/notifications/`, the API's
token in the `Authorization` header). Notifications are hints: the REST API stays the
truth, so every decision (finished? what output?) is confirmed there, and any trouble
with the socket (a proxy that refuses upgrades, a dropped
connection) falls back to polling. ATTUNE_CLI_NO_WEBSOCKET=1 polls from the start."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from typing import Any

from .client import Api

_OPEN_TIMEOUT = 5.0


class Feed:
    """The notifications of one execution: status changes and output chunks."""

    def __init__(self, connection: Any, stack: ExitStack) -> None:
        self.connection = connection
        self.stack = stack
        self.broken = False

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next notification, or None after `timeout` seconds of quiet (or once
        the socket broke: the caller polls from then on)."""
        if self.broken:
            return None
        try:
            raw = self.connection.recv(timeout=timeout)
        except TimeoutError:
            return None
        except Exception:  # noqa: BLE001 - closed, reset, protocol error: poll instead
            self.broken = True
            return None
        message = json.loads(raw)
        if message.get("type") == "notification":
            return message
        if message.get("type") == "error":
            self.broken = True
        return None

    def close(self) -> None:
        try:
            self.stack.close()
        except Exception:  # noqa: BLE001
            pass


def ws_url(api_url: str) -> str:
    base = api_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/ws/notifications/"
    return "ws://" + base.split("://", 1)[-1] + "/ws/notifications/"


def open_feed(api: Api, execution_id: int) -> Feed | None:
    """A subscription to `execution_id`'s notifications, or None when the socket is
    not available (then the caller polls)."""
    if os.environ.get("ATTUNE_CLI_NO_WEBSOCKET") or not api.profile.token:
        return None
    stack = ExitStack()
    try:
        from websockets.sync.client import connect

        connection = stack.enter_context(connect(
            ws_url(api.profile.api_url), open_timeout=_OPEN_TIMEOUT, proxy=None,
            additional_headers={"Authorization": f"Bearer {api.profile.token}"},
        ))
    except Exception:  # noqa: BLE001 - no WebSocket here: poll
        stack.close()
        return None
    try:
        if json.loads(connection.recv(timeout=_OPEN_TIMEOUT)).get("type") != "welcome":
            raise ValueError("no welcome")
        connection.send(json.dumps({"type": "subscribe", "filter": f"entity:execution:{execution_id}"}))
        if json.loads(connection.recv(timeout=_OPEN_TIMEOUT)).get("type") != "subscribed":
            raise ValueError("subscription refused")
    except Exception:  # noqa: BLE001
        stack.close()
        return None
    return Feed(connection, stack)
