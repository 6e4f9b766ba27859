from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class ApiKey(models.Model):
    """A long-lived token for automation, the CLI and webhooks. Only a hash is stored;
    the token is shown once, when it is created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Role(models.Model):
    """A named set of grants: `[[verb, resource], …]` (`"*"` matches any), optionally
    limited to the packs in `packs` (empty: every pack). Users hold roles directly or
    through a Django group."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    builtin = models.BooleanField(default=False)
    grants = models.JSONField(default=list)
    packs = models.JSONField(default=list, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RoleAssignment", related_name="attune_roles", blank=True
    )
    groups = models.ManyToManyField(Group, related_name="attune_roles", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_assignment_per_user_role")]


class AuditEvent(models.Model):
    """Who did what to which object, from where, and how it ended. Never request bodies
    or secret values: only the verb, the object's type and id or ref, and the status."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The username (or the scoped token's kind and subject) as it was at the time; kept
    # when the user is deleted, and the attempted name for a failed login.
    actor_name = models.CharField(max_length=200, blank=True)
    verb = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=255, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16)
    source = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            models.Index(fields=["object_type", "id"], name="audit_object_type_id"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or '-'} {self.verb} {self.object_type}:{self.object_id} ({self.outcome})"
