"""`/ws/notifications/`: the live side of the API (DESIGN.md §4).

A client authenticates by its session cookie (the dashboard), an `Authorization:
Bearer` header (the CLI), or a first message `{"type": "authenticate", "token": …}`
(a browser holding a JWT) — never a token in the URL, where proxies and logs keep it.
Then it subscribes with filters; each subscription and each delivery is checked by
the API's authoriser. A token that expires or is revoked closes the connection."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from . import access
from .hub import hub
from .subscriptions import Filter, FilterError, parse

CLOSE_UNAUTHENTICATED = 4401
_QUEUE_SIZE = 1000


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    # Notifications reach a connection from its process's hub (one Redis pub/sub
    # subscription per process), not through the channel layer: no channel and no
    # Redis connection per socket, and a channel-layer read timeout cannot end it.
    channel_layer_alias = None

    async def connect(self) -> None:
        self.user = None
        self.token: str | None = None
        self.filters: dict[str, Filter] = {}
        self.queue: asyncio.Queue = asyncio.Queue(_QUEUE_SIZE)
        self.tasks: list[asyncio.Task] = []
        self.overflowed = False
        self.allowed: dict[tuple[str, str | None], bool] = {}
        await self.accept()
        user = self.scope.get("user")
        token = _bearer(self.scope)
        if token:
            await self._authenticate_token(token)
        elif user is not None and user.is_authenticated:
            await self._welcome(user)
        else:
            self.tasks.append(asyncio.create_task(self._expect_authentication()))

    async def disconnect(self, code: int) -> None:
        hub.leave(self)
        for task in self.tasks:
            task.cancel()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "authenticate":
            if self.user is not None:
                await self._error("already authenticated")
            else:
                await self._authenticate_token(content.get("token"))
            return
        if self.user is None:
            await self._error("authenticate first: send {\"type\": \"authenticate\", \"token\": …}")
            return
        if kind == "subscribe":
            await self._subscribe(content.get("filter"))
        elif kind == "unsubscribe":
            removed = self.filters.pop(str(content.get("filter")), None)
            if removed is None:
                await self._error(f"not subscribed to {content.get('filter')!r}")
            else:
                await self.send_json({"type": "unsubscribed", "filter": removed.text})
        else:
            await self._error(f"unknown message type {kind!r}; expected subscribe, unsubscribe or authenticate")

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            await self._error("messages must be JSON objects")

    # --- authentication ---------------------------------------------------------------

    async def _authenticate_token(self, token: Any) -> None:
        user = await database_sync_to_async(access.user_from_token)(token) if isinstance(token, str) else None
        if user is None:
            await self._error("invalid, expired or revoked token")
            await self.close(CLOSE_UNAUTHENTICATED)
            return
        self.token = token
        await self._welcome(user)

    async def _expect_authentication(self) -> None:
        await asyncio.sleep(settings.ATTUNE_WS_AUTH_TIMEOUT)
        if self.user is None:
            await self._error("not authenticated")
            await self.close(CLOSE_UNAUTHENTICATED)

    async def _welcome(self, user) -> None:
        self.user = user
        await hub.join(self)
        self.tasks.append(asyncio.create_task(self._deliver()))
        self.tasks.append(asyncio.create_task(self._recheck()))
        await self.send_json({"type": "welcome", "user": {"id": user.pk, "username": user.get_username()},
                              "filters": "all | entity_type:<type> | entity:<type>:<id> | user:<id> | "
                                         "notification_type:<type>"})

    async def _recheck(self) -> None:
        """Tokens expire and get revoked while a connection stays open."""
        while True:
            await asyncio.sleep(self._until_next_check())
            if self.token is not None:
                valid = await database_sync_to_async(access.user_from_token)(self.token) is not None
            else:
                valid = await database_sync_to_async(access.user_still_valid)(self.user)
            # Roles may have changed too: decide deliveries afresh.
            self.allowed = {}
            await database_sync_to_async(access.forget)(self.user)
            if not valid:
                hub.leave(self)
                await self._error("token expired or revoked" if self.token else "session ended")
                await self.close(CLOSE_UNAUTHENTICATED)
                return

    def _until_next_check(self) -> float:
        """The re-check interval, or less when the token's own expiry (a JWT's `exp`)
        comes first: an expired token is closed on time, not up to an interval late."""
        wait = settings.ATTUNE_WS_REAUTH_INTERVAL
        expires = access.token_expiry(self.token) if self.token else None
        if expires is not None:
            wait = min(wait, max(expires - time.time(), 0.0) + 0.05)
        return wait

    # --- subscriptions and delivery ---------------------------------------------------

    async def _subscribe(self, text: Any) -> None:
        try:
            subscription = parse(text)
        except FilterError as exc:
            await self._error(str(exc), filter=text)
            return
        refused = await database_sync_to_async(access.may_subscribe)(self.user, subscription)
        if refused:
            await self._error(f"forbidden: {refused}", filter=text)
            return
        self.filters[subscription.text] = subscription
        await self.send_json({"type": "subscribed", "filter": subscription.text})

    def offer(self, message: dict) -> None:
        """Called by the hub for every notification of the process (no I/O here)."""
        if not self.filters:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    async def _deliver(self) -> None:
        while True:
            message = await self.queue.get()
            if self.overflowed:
                self.overflowed = False
                await self._error("notifications were dropped because the client is slow; resync from the API")
            if message["entity_type"] == "execution" and message.get("pack") is None:
                message = await database_sync_to_async(access.complete)(copy.copy(message))
            if not any(f.matches(message) for f in self.filters.values()):
                continue
            key = (message["entity_type"], message.get("pack"))
            if key not in self.allowed:
                self.allowed[key] = await database_sync_to_async(access.may_receive)(self.user, message)
            if self.allowed[key]:
                await self.send_json({k: v for k, v in message.items() if k != "pack"})

    async def _error(self, text: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "message": text, **extra})


def _bearer(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("bearer", "token") and token:
                return token.strip()
    return None
