"""The worker's claim and finish as single PostgreSQL statements.

Every execution is claimed and finished once, on the platform's hottest path. Through
the ORM each is a transaction of three statements (compare-and-set UPDATE, history
INSERT, a read), and the ORM's own cost per statement is several times PostgreSQL's.
Here each is one statement: a data-modifying CTE does the compare-and-set, records the
history row and returns what the caller needs. The semantics are those of
transitions.transition (same guards, same fields, same signal); other databases use
that generic path (see running.py), and the test suite runs on both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from apps.core import signals

from ..choices import Status
from ..models import Action, Execution, ExecutionHistory
from .transitions import STATUS_CHANGED


def available() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class Claimed:
    execution: Execution  # the fields running needs, with .action and .action.pack attached


def _tables() -> dict[str, str]:
    from apps.packs.models import Pack

    return {
        "execution": Execution._meta.db_table,
        "history": ExecutionHistory._meta.db_table,
        "action": Action._meta.db_table,
        "pack": Pack._meta.db_table,
    }


_CLAIM = """
WITH claimed AS (
    UPDATE {execution}
       SET status = 'running', worker_id = %(worker)s, lease = %(lease)s, token_hash = %(token_hash)s,
           started_at = %(now)s, heartbeat_at = %(now)s, updated_at = %(now)s
     WHERE id = %(id)s AND status = 'scheduled'
 RETURNING id, action_id, action_ref, runner_type, parameters, secret_parameters, timeout, rule_ref,
           trigger_ref, parent_id
), recorded AS (
    INSERT INTO {history} (execution_id, status, previous, at, reason)
    SELECT id, 'running', 'scheduled', %(now)s, %(reason)s FROM claimed
)
SELECT c.id, c.action_id, c.action_ref, c.runner_type, c.parameters::text, c.secret_parameters, c.timeout,
       c.rule_ref, c.trigger_ref, c.parent_id, a.entry_point, a.parameters::text, a.parameter_format,
       a.parameter_delivery, a.output_format, a.pack_id, p.ref, p.path
  FROM claimed c
  LEFT JOIN {action} a ON a.id = c.action_id
  LEFT JOIN {pack} p ON p.id = a.pack_id
"""


def claim(*, execution_id: int, worker_id: int | None, lease: str, token_hash: str, now: datetime,
          reason: str) -> Execution | None:
    """Claim a scheduled execution (None if it is not scheduled any more) and return
    it with its action and pack: the fields running needs, nothing else."""
    from apps.packs.models import Pack

    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(**_tables()), {
            "id": execution_id, "worker": worker_id, "lease": lease, "token_hash": token_hash, "now": now,
            "reason": reason,
        })
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, action_id, action_ref, runner_type, parameters, secret_parameters, timeout, rule_ref, trigger_ref,
     parent_id, entry_point, action_parameters, parameter_format, parameter_delivery, output_format, pack_id,
     pack_ref, pack_path) = row
    execution = Execution(
        id=pk, action_id=action_id, action_ref=action_ref, runner_type=runner_type,
        parameters=json.loads(parameters) if parameters else {}, secret_parameters=secret_parameters,
        timeout=timeout, rule_ref=rule_ref, trigger_ref=trigger_ref, parent_id=parent_id, status=Status.RUNNING,
        lease=lease,
    )
    if action_id is not None:
        action = Action(
            id=action_id, ref=action_ref, entry_point=entry_point,
            parameters=json.loads(action_parameters) if action_parameters else {},
            parameter_format=parameter_format, parameter_delivery=parameter_delivery, output_format=output_format,
            pack_id=pack_id,
        )
        action.pack = Pack(id=pack_id, ref=pack_ref, path=pack_path)
        execution.action = action
    else:
        execution.action = None
    signals.emit(STATUS_CHANGED, execution_id=pk, status=Status.RUNNING, previous=Status.SCHEDULED,
                 parent_id=parent_id)
    return execution


_FINISH = """
WITH prior AS (
    SELECT id, status FROM {execution}
     WHERE id = %(id)s AND lease = %(lease)s AND status IN ('running', 'canceling')
       FOR UPDATE
), done AS (
    UPDATE {execution} e
       SET status = %(status)s, result = %(result)s::jsonb, stdout = %(stdout)s, stderr = %(stderr)s,
           stdout_truncated = %(stdout_truncated)s, stderr_truncated = %(stderr_truncated)s,
           exit_code = %(exit_code)s, error = %(error)s, spawned_at = %(spawned_at)s, finished_at = %(now)s,
           token_hash = '', updated_at = %(now)s
      FROM prior
     WHERE e.id = prior.id
 RETURNING e.id, prior.status AS previous, e.parent_id
), recorded AS (
    INSERT INTO {history} (execution_id, status, previous, at, reason)
    SELECT id, %(status)s, previous, %(now)s, %(reason)s FROM done
)
SELECT previous, parent_id FROM done
"""


def finish(*, execution_id: int, lease: str, now: datetime, status: str, reason: str,
           fields: dict[str, Any]) -> bool:
    """Record a run's outcome if the row still holds `lease` (fencing) and is running
    or canceling; False (nothing written) otherwise."""
    result = fields["result"]
    params = {
        "id": execution_id, "lease": lease, "now": now, "status": status, "reason": reason,
        "result": None if result is None else json.dumps(result),
        **{name: fields[name] for name in ("stdout", "stderr", "stdout_truncated", "stderr_truncated",
                                             "exit_code", "error", "spawned_at")},
    }
    with connection.cursor() as cursor:
        cursor.execute(_FINISH.format(**_tables()), params)
        row = cursor.fetchone()
    if row is None:
        return False
    previous, parent_id = row
    signals.emit(STATUS_CHANGED, execution_id=execution_id, status=status, previous=previous, parent_id=parent_id)
    return True
