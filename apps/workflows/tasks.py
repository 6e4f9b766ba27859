from celery import shared_task

from .services import workflow_advance


@shared_task(name="workflows.advance", ignore_result=True)
def advance(execution_id: int, child_id: int | None = None) -> None:
    workflow_advance(execution_id=execution_id, child_id=child_id)
