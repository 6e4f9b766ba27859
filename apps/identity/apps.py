from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from .roles import roles_ensure_builtin

        post_migrate.connect(roles_ensure_builtin, sender=self, dispatch_uid="identity.builtin_roles")
