from django.contrib import admin

from .models import Pack, Runtime


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin):
    list_display = ["ref", "version", "system", "enabled", "updated_at"]
    list_filter = ["system", "enabled"]
    search_fields = ["ref", "description"]


@admin.register(Runtime)
class RuntimeAdmin(admin.ModelAdmin):
    list_display = ["ref", "name", "queue"]
    search_fields = ["ref", "name"]
