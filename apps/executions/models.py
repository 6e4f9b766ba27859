from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.packs.choices import Source
from apps.packs.models import Pack

from .choices import Status, WorkerStatus


class Action(models.Model):
    ref = models.CharField(max_length=255, unique=True)
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="actions")
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    runner_type = models.CharField(max_length=32)
    entry_point = models.CharField(max_length=500, blank=True)
    workflow_file = models.CharField(max_length=500, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    output_schema = models.JSONField(default=dict, blank=True)
    output_format = models.CharField(max_length=8, default="text")
    parameter_format = models.CharField(max_length=8, default="json")
    parameter_delivery = models.CharField(max_length=8, default="stdin")
    timeout = models.PositiveIntegerField(null=True, blank=True)
    runtime_version = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    tags = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PACK)
    metadata_file = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref


class Worker(models.Model):
    """A worker process. Its heartbeat keeps its running executions alive; when it
    lapses, the reaper abandons them."""

    name = models.CharField(max_length=255, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    role = models.CharField(max_length=32, default="action")
    queues = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=WorkerStatus.choices, default=WorkerStatus.ONLINE)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Execution(models.Model):
    # Every index is written again on each status change (status is indexed, so no
    # update is HOT): only the indexes queries need, partial where most rows are NULL.
    action = models.ForeignKey(Action, on_delete=models.SET_NULL, null=True, related_name="executions",
                               db_index=False)
    action_ref = models.CharField(max_length=255)
    runner_type = models.CharField(max_length=32, blank=True)
    queue = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    # Plain parameter values; secret ones are kept apart, encrypted (never in clear).
    parameters = models.JSONField(default=dict, blank=True)
    secret_parameters = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    stdout_truncated = models.BooleanField(default=False)
    stderr_truncated = models.BooleanField(default=False)
    exit_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    timeout = models.PositiveIntegerField(null=True, blank=True)

    # What caused it. Kept as values, not foreign keys: automation sits above this app.
    rule_ref = models.CharField(max_length=255, blank=True)
    trigger_ref = models.CharField(max_length=255, blank=True)
    event_id = models.BigIntegerField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             db_index=False)
    context = models.JSONField(default=dict, blank=True)

    # No database constraint on the links the hot path writes (see ExecutionHistory).
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children",
                               db_index=False, db_constraint=False)
    root = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             db_index=False, db_constraint=False)
    task_name = models.CharField(max_length=200, blank=True)
    # The workflow conductor's run id of this child (unique within its parent).
    task_run = models.PositiveIntegerField(null=True, blank=True)
    item_index = models.IntegerField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    re_run_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="re_runs",
                                  db_index=False)

    # Claim and lease: `lease` changes with every claim, and a worker's writes carry it
    # (fencing), so a stale worker's late write changes nothing.
    worker = models.ForeignKey(Worker, on_delete=models.SET_NULL, null=True, blank=True, related_name="executions",
                               db_index=False)
    lease = models.CharField(max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)
    # A `delayed` execution starts at this time (a task delay, a retry's back-off).
    not_before = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the action's process was created (started_at is when a worker claimed it).
    spawned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="execution_status_id"),
            models.Index(fields=["action_ref", "id"], name="execution_action_id"),
            models.Index(fields=["parent", "id"], name="execution_parent_id", condition=Q(parent__isnull=False)),
            models.Index(fields=["root"], name="execution_root", condition=Q(root__isnull=False)),
            models.Index(fields=["user", "id"], name="execution_user_id", condition=Q(user__isnull=False)),
            models.Index(fields=["re_run_of"], name="execution_re_run_of", condition=Q(re_run_of__isnull=False)),
            models.Index(fields=["not_before"], name="execution_delayed", condition=Q(status="delayed")),
        ]

    def __str__(self) -> str:
        return f"{self.action_ref} #{self.pk}"


class ExecutionHistory(models.Model):
    """One row per status change, in order."""

    # No database-level constraint: its check locks the execution's row (FOR KEY SHARE)
    # in the very transaction that changes its status, which costs PostgreSQL a
    # MultiXact per row: the largest share of its time per execution, measured. The
    # rows are written only by the services, and Django's ORM does the cascade.
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="history", db_constraint=False)
    status = models.CharField(max_length=16, choices=Status.choices)
    previous = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "execution history"


class ExecutionOutput(models.Model):
    """Output captured while an action runs, as numbered chunks: a late reader loads
    what exists (`?after=<seq>`) and follows from there without gap or duplicate."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="output",
                                  db_constraint=False)  # see ExecutionHistory.execution
    seq = models.PositiveIntegerField()
    stream = models.CharField(max_length=6)
    data = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["execution", "seq"]
        constraints = [models.UniqueConstraint(fields=["execution", "seq"], name="execution_output_seq")]
