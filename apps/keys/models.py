"""A key: a named JSON value in a scope (`system`, `pack:<ref>`, `user:<username>`),
stored in clear or sealed with AES-256-GCM (apps.core.crypto)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import ScopeKind


class KeyQuerySet(models.QuerySet):
    def live(self) -> KeyQuerySet:
        """Keys whose TTL has not run out: expired keys are invisible everywhere
        (templates, the API) until the scheduler purges them."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


class Key(models.Model):
    name = models.CharField(max_length=200)
    # The scope as written ("system", "pack:core", "user:alice"); kind, pack_ref and
    # owner are its parts, kept as columns for filtering and privacy checks.
    scope = models.CharField(max_length=200)
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices)
    pack_ref = models.CharField(max_length=100, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="keys"
    )
    # A clear value lives in `value`; an encrypted one only in `ciphertext` (value null).
    value = models.JSONField(null=True, blank=True)
    ciphertext = models.TextField(blank=True, default="")
    encrypted = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeyQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "name"]
        constraints = [models.UniqueConstraint(fields=["scope", "name"], name="key_unique_scope_name")]
        indexes = [
            models.Index(fields=["name", "scope_kind"], name="key_name_kind"),
            models.Index(fields=["expires_at"], name="key_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.name}"

    @property
    def aad(self) -> str:
        """Associated data: a ciphertext opens only under its own scope and name."""
        return f"key:{self.scope}:{self.name}"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
