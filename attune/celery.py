"""The Celery application shared by every worker role.

`celery -A attune worker -Q attune.executor` runs the executor (events, rules,
enforcements, completions); `celery -A attune worker -Q runtime.shell` (or any
`runtime.<name>` list) runs actions."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attune.settings.local")

app = Celery("attune")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _fresh_connections(**_kwargs) -> None:
    """What Django does at the start of a request: drop connections that are broken
    or older than CONN_MAX_AGE (CELERY_DB_REUSE_MAX keeps the fixup from closing them
    all around every task)."""
    from django.db import close_old_connections

    close_old_connections()
