"""The navigation, in one list. An entry whose app is not installed yet is shown
disabled (Inquiries, Policies, Artifacts arrive with the issues that build them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as django_apps
from django.urls import reverse

from . import access


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str | None  # None: not built yet
    resource: str | None = None  # hidden when the user may read none of it
    app: str | None = None  # shown only (or enabled only) when this app is installed
    section: str = ""  # the url name prefix that marks the item current


NAV = [
    NavItem("Overview", "dashboard:overview", section="overview"),
    NavItem("Executions", "dashboard:executions", "executions", section="execution"),
    NavItem("Actions", "dashboard:actions", "actions", section="action"),
    NavItem("Rules", "dashboard:rules", "rules", section="rule"),
    NavItem("Triggers & events", "dashboard:triggers", "triggers", section="trigger"),
    NavItem("Enforcements", "dashboard:enforcements", "enforcements", section="enforcement"),
    NavItem("Packs", "dashboard:packs", "packs", section="pack"),
    NavItem("Keys", "dashboard:keys", "keys", app="apps.keys", section="key"),
    NavItem("Inquiries", None, "inquiries", app="apps.inquiries", section="inquir"),
    NavItem("Policies", None, "policies", app="apps.policies", section="polic"),
    NavItem("Artifacts", None, "artifacts", app="apps.artifacts", section="artifact"),
]


def items_for(request) -> list[dict]:
    current = request.resolver_match.url_name if request.resolver_match else ""
    result = []
    for item in NAV:
        installed = item.app is None or django_apps.is_installed(item.app)
        enabled = installed and item.url_name is not None
        if enabled and item.resource and not access.can(request.user, "read", item.resource):
            continue
        result.append({
            "label": item.label,
            "url": reverse(item.url_name) if enabled else None,
            "enabled": enabled,
            "current": bool(enabled and item.section and (current or "").startswith(item.section)),
        })
    return result
