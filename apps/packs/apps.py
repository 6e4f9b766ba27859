from django.apps import AppConfig


class PacksConfig(AppConfig):
    name = "apps.packs"
    label = "packs"
    verbose_name = "Packs"

    def ready(self) -> None:
        from . import loaders, registry

        registry.register_loader(loaders.RuntimeLoader())
