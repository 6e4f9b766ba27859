"""Health: liveness (the process answers) and readiness (it can reach the database and
the broker). Both are open: load balancers and orchestrators ask without credentials,
and the answers name only which dependency failed."""

from __future__ import annotations

import logging

from celery import current_app
from django.db import connection

log = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        log.warning("readiness: database unreachable (%s)", exc)
        return False
    return True


def _broker() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # kombu raises several connection error types
        log.warning("readiness: broker unreachable (%s)", exc)
        return False
    return True


def readiness() -> dict[str, str]:
    """{"database": "ok"|"unreachable", "broker": "ok"|"unreachable"}."""
    return {name: "ok" if check() else "unreachable" for name, check in (("database", _database),
                                                                           ("broker", _broker))}
