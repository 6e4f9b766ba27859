from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "apps.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from apps.core import periodic, signals
        from apps.identity import tokens
        from apps.packs import registry

        from . import loaders
        from .services import completions, events, sensors, timers

        registry.register_loader(loaders.TriggerLoader())
        registry.register_loader(loaders.RuleLoader())
        registry.register_loader(loaders.SensorLoader())
        tokens.register_resolver(sensors.KIND, sensors.resolve)
        signals.subscribe("execution.status_changed", completions.on_execution_status_changed)
        signals.subscribe("pack.registered", timers.on_pack_registered)
        signals.subscribe("pack.uninstalled", timers.on_pack_registered)
        periodic.register("timers", timers.timers_fire, every=None)
        periodic.register("events", events.events_redispatch, every="reaper")
