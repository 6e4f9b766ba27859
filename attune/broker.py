"""Publishing to Redis without building a client per message.

kombu's Redis channel creates a new `redis.Redis` object for every message it
publishes (`Channel.conn_or_acquire`), and redis-py fills a table of ~170 response
callbacks in each one: about 0.15 ms of a 0.5 ms publish, on every dispatch of the hot
path. The client is a thin, thread-safe handle on the channel's connection pool, so one
per channel serves every publish of that channel. Applied once, when the Celery app is
made (attune/celery.py); kombu versions are pinned, and the whole test suite publishes
through it."""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis

_ATTR = "_attune_publish_client"


@contextmanager
def _conn_or_acquire(self, client=None):
    if client:
        yield client
        return
    cached = self.__dict__.get(_ATTR)
    # A pool replaced after a connection error gets a client of its own.
    if cached is None or cached.connection_pool is not self.pool:
        cached = self._create_client()
        self.__dict__[_ATTR] = cached
    yield cached


def install() -> None:
    kombu_redis.Channel.conn_or_acquire = _conn_or_acquire
