"""The admin console: every model's list and page render, commands work through the
same services as the API, and secret values never show."""

from __future__ import annotations

import textwrap

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.automation.models import Rule
from apps.automation.services.events import event_create
from apps.executions.models import Execution
from apps.executions.services.requests import execution_request
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

SECRET = "admin-canary-5150"


@pytest.fixture
def console(client, tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = tmp_path / "ops"
    (root / "actions").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "pack.yaml").write_text(textwrap.dedent(f"""
        ref: ops
        version: 1.0.0
        conf_schema:
          password: {{type: string, secret: true}}
        config:
          password: {SECRET}
    """))
    (root / "actions" / "call.yaml").write_text(textwrap.dedent("""
        name: call
        runner_type: shell
        entry_point: call.sh
        parameters:
          token: {type: string, secret: true, required: true}
    """))
    (root / "actions" / "call.sh").write_text("#!/bin/sh\necho called\n")
    (root / "rules" / "on_webhook.yaml").write_text(textwrap.dedent(f"""
        name: on_webhook
        trigger: {{type: core.webhook, parameters: {{url: ops}}}}
        action: {{ref: ops.call, parameters: {{token: "{SECRET}"}}}}
    """))
    pack_register(path=root)
    user = get_user_model().objects.create_superuser("root", password="pw")
    client.force_login(user)
    return client


def test_every_model_list_and_page_render_without_secrets(console):
    """Each registered model's changelist and first object's page answer 200, and
    the planted secret appears on none of them."""
    execution_request(action="ops.call", parameters={"token": SECRET})
    event_create(trigger="core.webhook", trigger_key="ops", payload={"x": 1}, source="test")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        listing = console.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code == 200, opts.label
        assert SECRET not in listing.content.decode(), opts.label
        obj = model_admin.get_queryset(listing.wsgi_request).first()
        if obj is None:
            continue
        page = console.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert page.status_code == 200, opts.label
        assert SECRET not in page.content.decode(), opts.label


def test_rules_are_disabled_and_enabled_from_the_list(console):
    """The admin's enable/disable actions switch rules through the service."""
    url = reverse("admin:automation_rule_changelist")
    rule = Rule.objects.get(ref="ops.on_webhook")
    console.post(url, {"action": "disable", "_selected_action": [rule.pk]})
    assert not Rule.objects.get(pk=rule.pk).enabled
    console.post(url, {"action": "enable", "_selected_action": [rule.pk]})
    assert Rule.objects.get(pk=rule.pk).enabled


def test_executions_are_canceled_and_re_run_from_the_list(console):
    """Cancel ends an unstarted execution; re-run starts a new one with the stored secret."""
    first = execution_request(action="ops.call", parameters={"token": SECRET})
    url = reverse("admin:executions_execution_changelist")
    console.post(url, {"action": "re_run", "_selected_action": [first.pk]})
    again = Execution.objects.get(re_run_of=first)
    assert again.parameters["token"] != SECRET
    answer = console.post(url, {"action": "cancel", "_selected_action": [first.pk, again.pk]}, follow=True)
    assert {e.status for e in Execution.objects.filter(pk__in=[first.pk, again.pk])} == {"canceled"}
    assert "2 execution(s) canceled or canceling" in answer.content.decode()
    refused = console.post(url, {"action": "re_run", "_selected_action": [first.pk]}, follow=True)
    assert refused.status_code == 200
