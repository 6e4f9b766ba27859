from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "apps.executions"
    label = "executions"
    verbose_name = "Executions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.core import crypto, periodic, signals
        from apps.identity import tokens
        from apps.packs import registry

        from . import celery_signals, checks, loaders, notifications  # noqa: F401  (signals and checks register on import)
        from .models import Action
        from .runners.builtin import register_builtin
        from .services import reaper, requests
        from .services import tokens as execution_tokens

        register_builtin()
        registry.register_loader(loaders.ActionLoader())
        tokens.register_resolver(execution_tokens.KIND, execution_tokens.resolve)
        periodic.register("reaper", reaper.executions_reap, every="reaper")
        periodic.register("delayed", requests.executions_release_delayed)
        signals.subscribe(requests.STATUS_CHANGED, notifications.on_status_changed)
        post_save.connect(requests.actions_forget, sender=Action, dispatch_uid="executions.actions_forget.save")
        post_delete.connect(requests.actions_forget, sender=Action, dispatch_uid="executions.actions_forget.delete")
        crypto.register_resealer("execution secret parameters", requests.secrets_reseal)
