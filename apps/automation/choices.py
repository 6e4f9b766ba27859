from django.db import models


class EventStatus(models.TextChoices):
    PENDING = "pending"  # stored, rules not yet evaluated
    PROCESSED = "processed"


class EnforcementStatus(models.TextChoices):
    SUCCEEDED = "succeeded"  # an execution was requested
    FAILED = "failed"  # the rule matched but no execution could be made (the error says why)


class RuleSource(models.TextChoices):
    PACK = "pack"
    API = "api"
