"""Tests: the same settings, with fast password hashing and short reliability timers
so the end-to-end tests observe the reaper within seconds."""

import os
from pathlib import Path

# Tests keep their state (the embedded broker's socket, the SQLite test database)
# apart from a running `make up`.
os.environ.setdefault("ATTUNE_HOME", str(Path(__file__).resolve().parents[2] / "var" / "test"))

from .base import *  # noqa: E402,F401,F403
from .base import ATTUNE_HOME, DATABASES, env  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not pytest-django's in-memory default: end-to-end tests start worker
    # processes that must see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(ATTUNE_HOME / "test_attune.sqlite3")}

# WhiteNoise warns on every request when the static root is missing; tests serve none.
(ATTUNE_HOME / "static").mkdir(parents=True, exist_ok=True)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The whole suite signs in from 127.0.0.1; the login throttle's own test lowers it.
ATTUNE_LOGIN_RATE = "100000/minute"
ATTUNE_HEARTBEAT_INTERVAL = env.float("ATTUNE_HEARTBEAT_INTERVAL", default=0.5)
ATTUNE_LEASE_TIMEOUT = env.float("ATTUNE_LEASE_TIMEOUT", default=3.0)
ATTUNE_REAPER_INTERVAL = env.float("ATTUNE_REAPER_INTERVAL", default=0.5)
ATTUNE_REDISPATCH_AFTER = env.float("ATTUNE_REDISPATCH_AFTER", default=2.0)
ATTUNE_KILL_GRACE = env.float("ATTUNE_KILL_GRACE", default=1.0)
