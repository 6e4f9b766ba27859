"""Celery adapters: take an id, call one service."""

from celery import shared_task

from .services.requests import execution_launch
from .services.running import execution_run
from .services.workers import local_worker


@shared_task(name="executions.run", ignore_result=True)
def run(execution_id: int) -> None:
    execution_run(execution_id=execution_id, worker=local_worker())


@shared_task(name="executions.launch", ignore_result=True)
def launch(execution_id: int) -> None:
    execution_launch(execution_id=execution_id)
