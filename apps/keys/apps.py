from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "apps.keys"
    label = "keys"
    verbose_name = "Keys"

    def ready(self) -> None:
        from apps.core import crypto, periodic

        from . import services

        periodic.register("keys_purge", services.keys_purge_expired, every="reaper")
        crypto.register_resealer("keys", services.keys_reseal)
