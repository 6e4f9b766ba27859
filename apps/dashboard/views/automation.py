"""Rules (enable/disable, recent enforcements), triggers and their events,
enforcements."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Max, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.automation.models import Enforcement, Event, Rule, Trigger
from apps.automation.services.switches import rule_set_enabled
from apps.core.errors import DomainError

from .. import access
from .base import PAGE_SIZE, page, render_page


def rules_visible(user):
    return access.restrict(Rule.objects.select_related("pack"), user, "rules")


@page
def rule_list(request):
    q = request.GET.get("q", "").strip()
    rules = rules_visible(request.user).annotate(last_fired=Max("enforcements__created_at")).order_by("ref")
    if q:
        rules = rules.filter(Q(ref__icontains=q) | Q(trigger_ref__icontains=q) | Q(action_ref__icontains=q))
    rows = [{"rule": rule, "may_update": access.can(request.user, "update", "rules", pack=rule.pack.ref)}
            for rule in rules[:500]]
    return render_page(request, "dashboard/rules/list.html", {"rows": rows, "q": q})


@page
def rule_detail(request, ref: str):
    rule = get_object_or_404(rules_visible(request.user), ref=ref)
    enforcements = access.restrict(Enforcement.objects.filter(rule_ref=rule.ref), request.user,
                                   "enforcements").order_by("-id")[:PAGE_SIZE]
    return render_page(request, "dashboard/rules/detail.html", {
        "rule": rule, "enforcements": enforcements,
        "may_update": access.can(request.user, "update", "rules", pack=rule.pack.ref),
        "criteria": json.dumps(rule.criteria, indent=2, sort_keys=True),
        "action_params": json.dumps(rule.action_params, indent=2, sort_keys=True),
    })


@require_POST
@page
def rule_switch(request, ref: str, enabled: bool):
    rule = get_object_or_404(rules_visible(request.user), ref=ref)
    access.require(request.user, "update", "rules", pack=rule.pack.ref)
    try:
        rule_set_enabled(ref=rule.ref, enabled=enabled)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Rule {rule.ref} {'enabled' if enabled else 'disabled'}.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("dashboard:rules")


@page
def trigger_list(request):
    triggers = access.restrict(Trigger.objects.select_related("pack"), request.user, "triggers").order_by("ref")
    events = access.restrict(Event.objects.all(), request.user, "events")
    trigger = request.GET.get("trigger", "").strip()
    if trigger:
        events = events.filter(trigger_ref=trigger)
    return render_page(request, "dashboard/triggers/list.html", {
        "triggers": triggers[:500], "events": events.order_by("-id")[:PAGE_SIZE], "trigger": trigger,
    })


@page
def event_detail(request, pk: int):
    event = get_object_or_404(access.restrict(Event.objects.all(), request.user, "events"), pk=pk)
    enforcements = access.restrict(Enforcement.objects.filter(event_id=event.pk), request.user,
                                   "enforcements").order_by("id")
    return render_page(request, "dashboard/triggers/event.html", {
        "event": event, "enforcements": enforcements,
        "payload": json.dumps(event.payload, indent=2, sort_keys=True, default=str),
    })


@page
def enforcement_list(request):
    enforcements = access.restrict(Enforcement.objects.all(), request.user, "enforcements")
    rule = request.GET.get("rule", "").strip()
    if rule:
        enforcements = enforcements.filter(rule_ref=rule)
    return render_page(request, "dashboard/enforcements/list.html", {
        "enforcements": enforcements.order_by("-id")[:PAGE_SIZE], "rule": rule,
    })
