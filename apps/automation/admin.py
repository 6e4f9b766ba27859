from django.contrib import admin

from .models import Enforcement, Event, Rule, Timer, Trigger


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ["ref", "webhook", "enabled", "pack"]
    search_fields = ["ref"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["ref", "trigger_ref", "action_ref", "enabled", "source"]
    list_filter = ["enabled", "source", "pack"]
    search_fields = ["ref", "trigger_ref", "action_ref"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "trigger_ref", "source", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["trigger_ref"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Enforcement)
class EnforcementAdmin(admin.ModelAdmin):
    list_display = ["id", "rule_ref", "event", "execution", "status", "created_at"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ["trigger_ref", "params", "next_fire_at", "last_fired_at", "fire_count"]
