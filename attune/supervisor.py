"""A small process supervisor for the embedded default: starts every role as its own
process, prefixes its output, restarts a process that dies, and on Ctrl-C stops them in
order (the broker last) with SIGTERM, then SIGKILL after a grace period."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Role:
    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None
    stop_last: bool = False  # the broker: stopped after everything that uses it
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    def __init__(self, *, grace: float = 15.0, out=sys.stdout) -> None:
        self.roles: list[Role] = []
        self.grace = grace
        self.out = out
        self.stopping = threading.Event()
        self._print_lock = threading.Lock()

    def say(self, name: str, line: str) -> None:
        with self._print_lock:
            self.out.write(f"{name:>9} | {line}\n")
            self.out.flush()

    def add(self, role: Role) -> Role:
        self.roles.append(role)
        self._start(role)
        return role

    def _start(self, role: Role) -> None:
        # Each role in its own session: Ctrl-C reaches only the supervisor, which then
        # stops the roles in order instead of all at once.
        role.process = subprocess.Popen(
            role.argv, env=role.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, bufsize=1, text=True, errors="replace",
        )
        threading.Thread(target=self._pump, args=(role, role.process), daemon=True).start()

    def _pump(self, role: Role, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.say(role.name, line.rstrip("\n"))

    def run(self) -> int:
        """Watch the roles until asked to stop; restart one that exits (with back-off,
        giving up after 5 restarts in a minute)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        failed = 0
        while not self.stopping.wait(0.5):
            for role in self.roles:
                code = role.process.poll() if role.process else None
                if code is None:
                    continue
                now = time.monotonic()
                role.restarts = [t for t in role.restarts if now - t < 60] + [now]
                if len(role.restarts) > 5:
                    self.say(role.name, f"exited with {code} too often; stopping everything")
                    failed = 1
                    self.stopping.set()
                    break
                self.say(role.name, f"exited with {code}; restarting")
                time.sleep(min(2 ** (len(role.restarts) - 1), 10) * 0.5)
                self._start(role)
        self.stop()
        return failed

    def stop(self) -> None:
        self._terminate([r for r in self.roles if not r.stop_last])
        self._terminate([r for r in self.roles if r.stop_last])

    def _terminate(self, roles: list[Role]) -> None:
        for role in roles:
            if role.process and role.process.poll() is None:
                try:
                    os.killpg(role.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + self.grace
        for role in roles:
            if role.process is None:
                continue
            try:
                role.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(role.name, "did not stop in time; killing")
                try:
                    os.killpg(role.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                role.process.wait()
