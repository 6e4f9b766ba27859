from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import WorkflowDefinition, WorkflowExecution


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["action", "file", "updated_at"]
    search_fields = ["action__ref", "file"]
    list_select_related = ["action"]


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = ["execution", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=execution__id", "execution__action_ref"]
    list_select_related = ["execution"]
    # The conductor's state is internal (and sealed when the workflow has secrets);
    # variables, output and errors are stored masked.
    exclude = ["state", "definition"]
