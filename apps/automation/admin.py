from django.contrib import admin
from django.utils.html import format_html

from apps.core import schemas
from apps.core.admin import ReadOnlyAdmin, for_each

from .models import Enforcement, Event, Rule, Sensor, Timer, Trigger
from .services.switches import rule_set_enabled, sensor_set_enabled, trigger_set_enabled


class EnableDisableAdmin(admin.ModelAdmin):
    """Enable and disable through the same service as the API (timers follow rules)."""

    actions = ["enable", "disable"]
    set_enabled = None

    @admin.action(description="Enable the selected")
    def enable(self, request, queryset):
        for_each(request, queryset, lambda obj: self.set_enabled(ref=obj.ref, enabled=True), done="enabled")

    @admin.action(description="Disable the selected")
    def disable(self, request, queryset):
        for_each(request, queryset, lambda obj: self.set_enabled(ref=obj.ref, enabled=False), done="disabled")


@admin.register(Trigger)
class TriggerAdmin(EnableDisableAdmin):
    list_display = ["ref", "webhook", "enabled", "pack", "description"]
    list_filter = ["enabled", "pack"]
    search_fields = ["ref", "description"]
    list_select_related = ["pack"]
    set_enabled = staticmethod(trigger_set_enabled)


@admin.register(Rule)
class RuleAdmin(EnableDisableAdmin):
    list_display = ["ref", "trigger_ref", "action_ref", "enabled", "source", "pack"]
    list_filter = ["enabled", "source", "pack"]
    search_fields = ["ref", "trigger_ref", "action_ref", "description"]
    list_select_related = ["pack"]
    set_enabled = staticmethod(rule_set_enabled)
    # A literal value for a secret parameter is shown masked (and so not editable here:
    # the rule's file is where it is written).
    exclude = ["action_params"]
    readonly_fields = ["masked_action_params"]

    @admin.display(description="action params")
    def masked_action_params(self, obj: Rule):
        secrets = schemas.secret_names(obj.action.parameters) if obj.action else frozenset()
        return format_html("<pre>{}</pre>", schemas.mask(obj.action_params or {}, secrets))


@admin.register(Sensor)
class SensorAdmin(EnableDisableAdmin):
    list_display = ["ref", "runner_type", "enabled", "pack", "trigger_types"]
    list_filter = ["enabled", "runner_type", "pack"]
    search_fields = ["ref", "description"]
    list_select_related = ["pack"]
    exclude = ["token_hash"]
    readonly_fields = ["ref", "pack", "entry_point", "trigger_types", "metadata_file"]
    set_enabled = staticmethod(sensor_set_enabled)


class EnforcementInline(admin.TabularInline):
    model = Enforcement
    fk_name = "event"
    extra = 0
    can_delete = False
    fields = ["rule_ref", "status", "execution", "error", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "trigger_ref", "source", "status", "created_at", "processed_at"]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["=id", "trigger_ref"]
    date_hierarchy = "created_at"
    inlines = [EnforcementInline]
    show_full_result_count = False


@admin.register(Enforcement)
class EnforcementAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule_ref", "event_id", "execution_id", "status", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=id", "rule_ref"]
    # Secret action parameters are stored masked.
    exclude = ["event", "execution", "rule"]
    readonly_fields = ["event_id", "execution_id", "rule_id"]
    show_full_result_count = False


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ["trigger_ref", "params", "next_fire_at", "last_fired_at", "fire_count"]
    search_fields = ["trigger_ref"]
