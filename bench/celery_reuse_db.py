"""EXPERIMENT ONLY (`--experiment-reuse-db` of the bench scripts): start a Celery worker
whose Django fixup keeps database connections between tasks.

Celery 5.7's DjangoWorkerFixup closes every Django connection before and after each
task (celery/fixups/django.py: on_task_prerun/on_task_postrun → close_database →
_close_database → conn.close()) unless CELERY_DB_REUSE_MAX is configured, so
CONN_MAX_AGE in attune/settings/base.py has no effect inside workers: every task opens
a new PostgreSQL connection. This shim makes close_database do what Django does at
the end of a request (close_if_unusable_or_obsolete, i.e. honour CONN_MAX_AGE and
CONN_HEALTH_CHECKS) to measure what that costs. The platform itself is unchanged.

    python -m bench.celery_reuse_db -A attune worker …   (same arguments as `python -m celery`)
"""

from __future__ import annotations

import sys

from celery.fixups import django as _fixup


def _close_database(self, **kwargs) -> None:
    try:
        connections = self._db.connections.all(initialized_only=True)
    except TypeError:
        connections = self._db.connections.all()
    for conn in connections:
        try:
            conn.close_if_unusable_or_obsolete()
        except self.interface_errors:
            pass


_fixup.DjangoWorkerFixup.close_database = _close_database

if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
