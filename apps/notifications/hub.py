"""One Redis pub/sub subscription per server process, fanned out to the WebSocket
connections of that process. Each connection has a bounded queue: a client that
cannot keep up loses messages (and is told to resync) instead of slowing the others."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

from django.conf import settings

from apps.core.broadcast import channel

log = logging.getLogger(__name__)


class Client(Protocol):
    def offer(self, message: dict) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.clients: set[Client] = set()
        self._task: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None

    async def join(self, client: Client) -> None:
        """Register `client`; returns once the process is subscribed, so everything
        published after this returns reaches it."""
        self.clients.add(client)
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._ready = asyncio.Event()
            self._task = loop.create_task(self._listen(self._ready))
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    def leave(self, client: Client) -> None:
        self.clients.discard(client)

    async def _listen(self, ready: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        name = channel()
        delay = 0.5
        while True:
            try:
                connection = aioredis.from_url(settings.ATTUNE_REDIS_URL)
                async with connection.pubsub() as pubsub:
                    await pubsub.subscribe(name)
                    ready.set()
                    delay = 0.5
                    async for raw in pubsub.listen():
                        if raw.get("type") != "message":
                            continue
                        # Each PUBLISH carries the notifications of one transaction.
                        for message in json.loads(raw["data"]):
                            for client in list(self.clients):
                                client.offer(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect: live updates must come back by themselves
                log.warning("notification listener lost Redis (%s); reconnecting in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)


hub = Hub()
