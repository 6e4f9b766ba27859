from django.db import models


class ScopeKind(models.TextChoices):
    SYSTEM = "system", "system"
    PACK = "pack", "pack"
    USER = "user", "user"


#: `keystore.<name>` looks in the scopes in this order (FORMATS.md "Keys").
RESOLUTION_ORDER = (ScopeKind.SYSTEM, ScopeKind.PACK, ScopeKind.USER)
