"""Starts real platform processes (Celery workers, the scheduler, the ASGI server)
against the test database and broker, and lets a test watch and hurt them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ACTION_QUEUES = "runtime.shell,runtime.python,runtime.node,runtime.native,runtime.http"


def database_url() -> str:
    """The URL of the database the tests are using (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Platform:
    def __init__(self, broker_url: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = log_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "attune.settings.test",
            "ATTUNE_DATABASE_URL": database_url(),
            "ATTUNE_BROKER_URL": broker_url,
            "ATTUNE_HOME": str(settings.ATTUNE_HOME),
            "ATTUNE_PORT": str(self.port),
            "ATTUNE_API_URL": f"http://127.0.0.1:{self.port}",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        # A sqlite URL would otherwise be read as the *main* database by the children.
        self.env.pop("ATTUNE_TEST_DATABASE_NAME", None)

    def start(self, role: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{role}.log", "ab")
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[role] = process
        return process

    def celery(self, role: str, queues: str, *extra: str) -> subprocess.Popen:
        return self.start(role, [sys.executable, "-m", "celery", "-A", "attune", "worker", "-Q", queues,
                                 "-n", f"{role}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
                                 *extra])

    def executor(self) -> subprocess.Popen:
        return self.celery("executor", "attune.executor", "-P", "solo")

    def actions(self, role: str = "actions", concurrency: int = 4) -> subprocess.Popen:
        return self.celery(role, ACTION_QUEUES, "-P", "threads", "-c", str(concurrency))

    def scheduler(self) -> subprocess.Popen:
        return self.start("scheduler", [sys.executable, "manage.py", "scheduler"])

    def web(self) -> subprocess.Popen:
        process = self.start("web", [sys.executable, "-m", "uvicorn", "attune.asgi:application", "--host",
                                     "127.0.0.1", "--port", str(self.port), "--no-access-log", "--lifespan", "off"])
        wait_for(lambda: _port_open(self.port), timeout=30, what="the ASGI server to listen")
        return process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self, role: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[role]
        os.killpg(process.pid, sig)
        process.wait(30)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(self.log_dir.glob("*.log"))
        )


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
