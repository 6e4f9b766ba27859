"""An advancement's read as one PostgreSQL statement: the workflow's row, locked, with
its parent execution's fields and the children that finished among the runs its state
still waits for. Through the ORM these are two queries whose Python costs several
times PostgreSQL's. Other databases, and sealed states (a workflow with secrets),
use the ORM path in services.py."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from apps.executions.choices import TERMINAL
from apps.executions.models import Execution
from apps.executions.services.fastpath import available

from .models import WorkflowExecution

__all__ = ["available", "lock_and_read"]  # `available`: the same test as the worker's fast path

_READ = """
SELECT w.id, w.status, w.state::text, w.file, w.created_at,
       e.status, e.user_id, e.root_id, e.secret_parameters, e.action_ref,
       (SELECT coalesce(json_agg(json_build_array(c.id, c.task_run, c.status, c.result) ORDER BY c.task_run), '[]')
          FROM {execution} c
         WHERE c.parent_id = w.execution_id AND c.status = ANY(%(terminal)s)
           AND c.task_run IN (SELECT (r->>'id')::int FROM jsonb_array_elements(
                 CASE WHEN jsonb_typeof(w.state->'runs') = 'array' THEN w.state->'runs' ELSE '[]'::jsonb END) r)
       )::text
  FROM {workflow} w JOIN {execution} e ON e.id = w.execution_id
 WHERE w.execution_id = %(id)s
   FOR UPDATE OF w
"""


def lock_and_read(execution_id: int) -> tuple[WorkflowExecution, list[tuple[int, int, str, Any]]] | None:
    """(the workflow, with .execution holding the parent's fields; the finished
    children as (id, run id, status, result) in run order), or None."""
    sql = _READ.format(execution=Execution._meta.db_table, workflow=WorkflowExecution._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": execution_id, "terminal": sorted(TERMINAL)})
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, status, state, file, created_at, parent_status, user_id, root_id, secret_parameters, action_ref,
     finished) = row
    parent = Execution(id=execution_id, status=parent_status, user_id=user_id, root_id=root_id,
                       secret_parameters=secret_parameters, action_ref=action_ref)
    workflow = WorkflowExecution(id=pk, status=status, state=json.loads(state), file=file, created_at=created_at,
                                 execution_id=execution_id)
    workflow.execution = parent
    return workflow, [tuple(child) for child in json.loads(finished)]
