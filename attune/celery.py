"""The Celery application shared by every worker role.

`celery -A attune worker -Q attune.executor` runs the executor (events, rules,
enforcements, completions); `celery -A attune worker -Q runtime.shell` (or any
`runtime.<name>` list) runs actions."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attune.settings.local")

app = Celery("attune")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
