from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "apps.workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from apps.core import crypto, periodic, signals
        from apps.executions.api.serializers import register_detail_extension
        from apps.executions.runners.base import register
        from apps.executions.services.transitions import STATUS_CHANGED
        from apps.packs import registry

        from . import loaders, runner, services, simulate

        register(runner.WorkflowRunner(), aliases=tuple(sorted(simulate.WORKFLOW_RUNNERS - {runner.WorkflowRunner.name})))
        registry.register_loader(loaders.WorkflowLoader())
        signals.subscribe(STATUS_CHANGED, services.on_execution_status_changed)
        register_detail_extension(services.workflow_detail)
        periodic.register("workflows", services.workflows_resweep, every="reaper")
        crypto.register_resealer("workflow states", services.workflows_reseal)
