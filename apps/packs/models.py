from __future__ import annotations

from django.db import models


class Pack(models.Model):
    ref = models.CharField(max_length=100, unique=True)
    label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    version = models.CharField(max_length=50, blank=True)
    author = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=200, blank=True)
    conf_schema = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    system = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    path = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref


class Runtime(models.Model):
    """How to run an action's entry point: an interpreter, and the broker queue
    (`runtime.<name>`) whose workers serve it, so a fleet can be split by runtime."""

    ref = models.CharField(max_length=200, unique=True)
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="runtimes")
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    queue = models.CharField(max_length=100)
    interpreter = models.JSONField(default=dict, blank=True)
    metadata_file = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref
