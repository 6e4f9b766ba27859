"""Shared fixtures. The suite runs on PostgreSQL and Redis when ATTUNE_DATABASE_URL
and ATTUNE_BROKER_URL are set (CI sets them), else on the embedded default: SQLite and
the embedded Redis, started here for the session."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def broker_url() -> str:
    """A reachable broker for the session (the embedded one is started if needed)."""
    if not settings.ATTUNE_BROKER_IS_EMBEDDED:
        yield settings.ATTUNE_BROKER_URL
        return
    from attune import embedded

    sock = settings.ATTUNE_EMBEDDED_REDIS_SOCKET
    sock.parent.mkdir(parents=True, exist_ok=True)
    process = None
    if not embedded.wait_for_socket(sock, timeout=0.2):
        if sock.exists():
            sock.unlink()
        process = subprocess.Popen(embedded.redis_argv(sock, sock.parent), stdout=subprocess.DEVNULL)
        assert embedded.wait_for_socket(sock), "the embedded broker did not start"
    yield settings.ATTUNE_BROKER_URL
    if process is not None:
        process.terminate()
        process.wait(10)
