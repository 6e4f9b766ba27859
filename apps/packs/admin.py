from django.contrib import admin
from django.utils.html import format_html

from apps.core import schemas

from .models import Pack, Runtime


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin):
    list_display = ["ref", "version", "system", "enabled", "path", "updated_at"]
    list_filter = ["system", "enabled"]
    search_fields = ["ref", "description"]
    # A pack's content and config come from its files: re-register it (API, CLI) to
    # change them. The config is shown with its secret values masked.
    exclude = ["config"]
    readonly_fields = ["ref", "version", "path", "system", "conf_schema", "masked_config", "created_at",
                       "updated_at"]

    @admin.display(description="config")
    def masked_config(self, obj: Pack):
        return format_html("<pre>{}</pre>", schemas.mask(obj.config or {}, schemas.secret_names(obj.conf_schema)))


@admin.register(Runtime)
class RuntimeAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "queue", "pack"]
    list_filter = ["pack"]
    search_fields = ["ref", "name"]
    list_select_related = ["pack"]
