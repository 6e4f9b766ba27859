from __future__ import annotations

from django.db import models

from apps.executions.models import Action, Execution


class WorkflowDefinition(models.Model):
    """The graph of a workflow action, validated and stored at registration."""

    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="workflow_definition")
    file = models.CharField(max_length=1000)
    data = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.action.ref} ({self.file})"


class WorkflowExecution(models.Model):
    """A running (or finished) workflow: the conductor's state, locked by every
    advancement so concurrent completions of sibling tasks never lose an update."""

    execution = models.OneToOneField(Execution, on_delete=models.CASCADE, related_name="workflow")
    # The graph as it was when the workflow started: re-registering the pack does not
    # change a running workflow.
    definition = models.JSONField()
    file = models.CharField(max_length=1000, blank=True)
    state = models.JSONField(default=dict)
    status = models.CharField(max_length=16, default="running")
    variables = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
