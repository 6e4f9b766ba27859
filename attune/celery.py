"""The Celery application shared by every worker role.

`celery -A attune worker -Q attune.executor` runs the executor (events, rules,
enforcements, completions); `celery -A attune worker -Q runtime.shell` (or any
`runtime.<name>` list) runs actions."""

import os
import time
import weakref

from celery import Celery, signals

from . import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attune.settings.local")
broker.install()

app = Celery("attune")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A connection's health is checked (a round trip) at most this often, not before every
# task: a connection broken meanwhile fails one task, whose row the reaper sends again,
# and is replaced before the next (Django closes connections that raised errors).
HEALTH_CHECK_EVERY = 5.0
_checked_at: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@signals.task_prerun.connect
def _fresh_connections(**_kwargs) -> None:
    """What Django does at the start of a request: drop connections that are broken
    or older than CONN_MAX_AGE (CELERY_DB_REUSE_MAX keeps the fixup from closing them
    all around every task)."""
    from django.db import connections

    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
        if conn.connection is not None and now - _checked_at.get(conn, -HEALTH_CHECK_EVERY) < HEALTH_CHECK_EVERY:
            conn.health_check_done = True
        else:
            _checked_at[conn] = now
