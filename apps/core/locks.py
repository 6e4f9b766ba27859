"""A process-wide singleton lock: a PostgreSQL session advisory lock on a connection
of its own (released by the server if the process dies), or, on the embedded SQLite
database, an flock on a file in ATTUNE_HOME."""

from __future__ import annotations

import fcntl
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)


class SingletonLock:
    def __init__(self, name: str) -> None:
        self.name = name
        self.key = int.from_bytes(hashlib.sha256(f"attune:{name}".encode()).digest()[:8], "big", signed=True)
        self._conn = None
        self._file = None

    def acquire(self) -> bool:
        """Try once; True when this process holds the lock (again)."""
        if connections["default"].vendor == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def holds(self) -> bool:
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except Exception:
            # The lock's connection died with it (database restart): re-acquire.
            self._drop_pg()
            return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self._drop_pg()

    def _acquire_pg(self) -> bool:
        if self.holds():
            return True
        try:
            # A dedicated connection: Django may close or recycle its own between
            # requests, and a session lock lives exactly as long as its connection.
            conn = connections["default"].copy(alias=f"lock-{self.name}")
            conn.ensure_connection()
            conn.connection.autocommit = True
            with conn.connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
                got = cursor.fetchone()[0]
        except Exception as exc:
            log.warning("cannot take the %s lock: %s", self.name, exc)
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn.connection
        self._wrapper = conn
        return True

    def _drop_pg(self) -> None:
        if self._conn is not None:
            try:
                self._wrapper.close()
            except Exception:
                pass
            self._conn = None

    def _acquire_file(self) -> bool:
        if self._file is not None:
            return True
        path = Path(settings.ATTUNE_HOME) / f"{self.name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True
