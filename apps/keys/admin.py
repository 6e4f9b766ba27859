from django.contrib import admin

from .models import Key


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    """Keys are edited through the API and CLI, which encrypt them: the admin lists
    them and shows clear values only, never an encrypted one (nor its ciphertext)."""

    list_display = ("name", "scope", "encrypted", "expires_at", "updated_at")
    list_filter = ("scope_kind", "encrypted")
    search_fields = ("name", "scope")
    fields = ("name", "scope", "encrypted", "shown_value", "expires_at", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description="value")
    def shown_value(self, obj: Key) -> str:
        if obj.encrypted:
            return "(encrypted)"
        return repr(obj.value)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
