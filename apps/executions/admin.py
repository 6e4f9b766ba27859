from django.contrib import admin

from .models import Action, Execution, ExecutionHistory, Worker


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["ref", "runner_type", "enabled", "pack"]
    list_filter = ["runner_type", "enabled", "pack"]
    search_fields = ["ref", "description"]


class HistoryInline(admin.TabularInline):
    model = ExecutionHistory
    extra = 0
    can_delete = False
    readonly_fields = ["status", "previous", "at", "reason"]


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = ["id", "action_ref", "status", "rule_ref", "created_at", "finished_at"]
    list_filter = ["status", "runner_type"]
    search_fields = ["action_ref", "rule_ref"]
    date_hierarchy = "created_at"
    inlines = [HistoryInline]
    # Secret parameter values are stored encrypted and never shown.
    exclude = ["secret_parameters", "token_hash", "lease"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "status", "heartbeat_at", "pid"]
    list_filter = ["status", "role"]
