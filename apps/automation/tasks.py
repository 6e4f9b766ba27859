"""Celery adapters for the executor queue."""

from celery import shared_task

from .services.events import event_process


@shared_task(name="automation.process_event", ignore_result=True)
def process_event(event_id: int) -> None:
    event_process(event_id=event_id)
