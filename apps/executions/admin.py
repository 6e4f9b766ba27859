from django.contrib import admin
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdmin, for_each

from .choices import TERMINAL
from .models import Action, Execution, ExecutionHistory, Worker
from .services.cancel import execution_cancel
from .services.requests import execution_rerun


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["ref", "runner_type", "enabled", "pack", "description", "updated_at"]
    list_filter = ["runner_type", "enabled", "pack"]
    search_fields = ["ref", "description"]
    list_select_related = ["pack"]
    readonly_fields = ["ref", "pack", "created_at", "updated_at"]


class HistoryInline(admin.TabularInline):
    model = ExecutionHistory
    extra = 0
    can_delete = False
    readonly_fields = ["status", "previous", "at", "reason"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "action_ref", "colored_status", "rule_ref", "parent_id", "task_name", "user",
                    "created_at", "duration"]
    list_filter = ["status", "runner_type", "created_at"]
    search_fields = ["=id", "action_ref", "rule_ref", "task_name"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    inlines = [HistoryInline]
    actions = ["cancel", "re_run"]
    # Secret parameters are stored encrypted (and shown masked in `parameters`); the
    # lease and token hash are the worker's business.
    exclude = ["secret_parameters", "token_hash", "lease"]
    show_full_result_count = False  # COUNT(*) over every execution on each page view

    @admin.display(description="status", ordering="status")
    def colored_status(self, obj: Execution):
        colour = {"succeeded": "#1a7f37", "failed": "#cf222e", "timeout": "#bc4c00", "abandoned": "#cf222e",
                  "canceled": "#6e7781"}.get(obj.status, "#0969da")
        return format_html('<b style="color:{}">{}</b>', colour, obj.status)

    @admin.display(description="duration")
    def duration(self, obj: Execution) -> str:
        if obj.started_at and obj.finished_at:
            return f"{(obj.finished_at - obj.started_at).total_seconds():.2f} s"
        return "–"

    @admin.action(description="Cancel the selected executions")
    def cancel(self, request, queryset):
        for_each(request, queryset.exclude(status__in=TERMINAL),
                 lambda e: execution_cancel(execution_id=e.pk, reason=f"canceled by {request.user} in the admin"),
                 done="execution(s) canceled or canceling")

    @admin.action(description="Re-run the selected executions (same parameters)")
    def re_run(self, request, queryset):
        for_each(request, queryset, lambda e: execution_rerun(execution_id=e.pk, user=request.user),
                 done="execution(s) started again")


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdmin):
    list_display = ["name", "role", "status", "queues", "heartbeat_at", "pid"]
    list_filter = ["status", "role"]
    search_fields = ["name"]
