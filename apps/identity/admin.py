from django.contrib import admin

from .models import ApiKey, AuditEvent, Role, RoleAssignment


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    exclude = ["key_hash"]
    search_fields = ["name", "user__username", "prefix"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "builtin", "description"]
    search_fields = ["name"]
    filter_horizontal = ["groups"]

    def get_readonly_fields(self, request, obj=None):
        # The built-in roles' grants are fixed (the API refuses changes with 409 too).
        return ["builtin", "name", "grants", "packs"] if obj is not None and obj.builtin else ["builtin"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.builtin) and super().has_delete_permission(request, obj)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the platform only."""

    list_display = ["created_at", "actor_name", "verb", "object_type", "object_id", "status_code", "outcome",
                    "source"]
    list_filter = ["verb", "outcome", "object_type"]
    search_fields = ["actor_name", "object_id", "path"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
