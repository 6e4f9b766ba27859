from django.db import models


class Source(models.TextChoices):
    """Where a piece of pack content was defined. Re-registering a pack overwrites and
    prunes what its files define (`pack`); what was made through the API (`api`) stays."""

    PACK = "pack"
    API = "api"
