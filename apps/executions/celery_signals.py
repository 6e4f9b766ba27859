"""Worker lifecycle: register the worker and start its heartbeat when it is ready;
stop its running actions (they end `abandoned`) when it shuts down."""

from __future__ import annotations

from celery import signals


def _queues(consumer) -> list[str]:
    try:
        return sorted(q.name for q in consumer.task_consumer.queues)
    except AttributeError:
        return []


@signals.worker_ready.connect
def on_worker_ready(sender=None, **_kwargs) -> None:
    from .services.workers import local_worker

    queues = _queues(sender)
    role = "action" if any(q.startswith("runtime.") for q in queues) else "executor"
    local_worker(name=sender.hostname if sender is not None else None, role=role, queues=queues)


@signals.worker_shutting_down.connect
def on_worker_shutting_down(**_kwargs) -> None:
    from .services import workers

    if workers._local is not None:
        workers._local.stop()


@signals.worker_shutdown.connect
def on_worker_shutdown(**_kwargs) -> None:
    from .services import workers

    if workers._local is not None:
        workers._local.mark_offline()
