from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.executions.models import Action, Execution
from apps.packs.choices import Source
from apps.packs.models import Pack

from .choices import EnforcementStatus, EventStatus, RuleSource


class Trigger(models.Model):
    ref = models.CharField(max_length=255, unique=True)
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="triggers")
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    payload_schema = models.JSONField(default=dict, blank=True)
    webhook = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PACK)
    metadata_file = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref


class Sensor(models.Model):
    """A long-running process that watches something and fires events of its
    triggers (FORMATS.md "Triggers and sensors"). Registered from a pack's sensors/;
    it posts events with a sensor token, valid only for its own triggers."""

    ref = models.CharField(max_length=255, unique=True)
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="sensors")
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    runner_type = models.CharField(max_length=32)
    entry_point = models.CharField(max_length=1000)
    trigger_types = models.JSONField(default=list)
    parameters = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    metadata_file = models.CharField(max_length=1000, blank=True)
    # The hash of the current sensor token (a new one replaces the old).
    token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref


class Rule(models.Model):
    ref = models.CharField(max_length=255, unique=True)
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="rules")
    trigger_ref = models.CharField(max_length=255)
    trigger_params = models.JSONField(default=dict, blank=True)
    # Narrows which events of the trigger this rule sees: the webhook name for
    # core.webhook, a digest of the schedule for timers, empty otherwise.
    trigger_key = models.CharField(max_length=255, blank=True, default="")
    criteria = models.JSONField(default=dict, blank=True)
    conditions = models.JSONField(default=dict, blank=True)
    action = models.ForeignKey(Action, on_delete=models.SET_NULL, null=True, related_name="rules")
    action_ref = models.CharField(max_length=255)
    action_params = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=RuleSource.choices, default=RuleSource.PACK)
    metadata_file = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]
        indexes = [models.Index(fields=["trigger", "trigger_key", "enabled"], name="rule_trigger_lookup")]

    def __str__(self) -> str:
        return self.ref


class Event(models.Model):
    # Few indexes: every one is written again when the event is processed.
    trigger = models.ForeignKey(Trigger, on_delete=models.SET_NULL, null=True, related_name="events", db_index=False)
    trigger_ref = models.CharField(max_length=255)
    trigger_key = models.CharField(max_length=255, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.PENDING)
    # Rules whose evaluation failed for this event: [{"rule": ref, "error": message}].
    rule_errors = models.JSONField(default=list, blank=True)
    delivery_id = models.CharField(max_length=200, null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["trigger_ref", "id"], name="event_trigger_id"),
            models.Index(fields=["id"], name="event_pending", condition=Q(status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["delivery_id"], name="one_event_per_delivery",
                                    condition=Q(delivery_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_ref} #{self.pk}"


class Enforcement(models.Model):
    """A rule matched an event. Exactly one per (event, rule)."""

    # (event, rule)'s unique index serves lookups by event.
    # No database constraints to the event and the execution: both rows are locked or
    # written in the same transaction, and each check would cost PostgreSQL a MultiXact
    # (see ExecutionHistory.execution). The ORM does the cascades.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="enforcements", db_index=False,
                              db_constraint=False)
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, related_name="enforcements", db_index=False)
    rule_ref = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=EnforcementStatus.choices)
    execution = models.ForeignKey(Execution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  db_constraint=False)
    # The rendered parameters, secrets masked (the execution keeps them encrypted).
    action_params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event", "rule"], name="one_enforcement_per_event_rule")]
        indexes = [models.Index(fields=["rule_ref", "id"], name="enforcement_rule_id")]


class Timer(models.Model):
    """A timer owned by the platform, derived from the enabled rules that use a timer
    trigger with the same parameters. Fired by the one active scheduler."""

    trigger_ref = models.CharField(max_length=255)
    trigger_key = models.CharField(max_length=255)
    params = models.JSONField(default=dict)
    next_fire_at = models.DateTimeField(null=True, db_index=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    fire_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_fire_at"]
        constraints = [models.UniqueConstraint(fields=["trigger_ref", "trigger_key"], name="one_timer_per_schedule")]
