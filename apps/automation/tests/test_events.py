"""Processing events on the executor: one enforcement per (event, rule), executions
for valid requests, failed enforcements and rule errors recorded, and events that
queued up processed together by the first message."""

from __future__ import annotations

import textwrap

import pytest
from django.conf import settings

from apps.automation.choices import EnforcementStatus, EventStatus
from apps.automation.models import Enforcement, Event
from apps.automation.services.events import event_create, event_process
from apps.executions.models import Execution
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

FILES = {
    "pack.yaml": "ref: shop\nversion: 1.0.0\n",
    "actions/notify.yaml": """
        name: notify
        runner_type: shell
        entry_point: notify.sh
        parameters:
          order: {type: integer, required: true}
    """,
    "actions/notify.sh": "#!/bin/sh\necho notified\n",
    "triggers/order.yaml": "name: order_created\n",
    "rules/big.yaml": """
        name: big_orders
        trigger: shop.order_created
        criteria:
          trigger.total: {type: gt, pattern: 1000}
        action: {ref: shop.notify, parameters: {order: "{{ trigger.id }}"}}
    """,
    "rules/all.yaml": """
        name: every_order
        trigger: shop.order_created
        conditions: {expression: "trigger.total / trigger.count > 0"}
        action: {ref: core.noop}
    """,
}


@pytest.fixture(autouse=True)
def shop(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = tmp_path / "shop"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pack_register(path=root)


def order(**payload) -> Event:
    return event_create(trigger="shop.order_created", payload=payload, source="test")


def test_a_matching_rule_enforces_once_with_rendered_parameters():
    event = order(id=7, total=5000, count=1)
    assert [e.pk for e in event_process(event_id=event.pk)] == [event.pk]
    enforcement = Enforcement.objects.get(event=event, rule_ref="shop.big_orders")
    assert enforcement.status == EnforcementStatus.SUCCEEDED
    assert enforcement.execution.parameters == {"order": 7}
    assert enforcement.execution.event_id == event.pk and enforcement.execution.rule_ref == "shop.big_orders"
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED and event.rule_errors == []
    assert event_process(event_id=event.pk) == []  # a duplicated message does nothing
    assert Execution.objects.filter(event_id=event.pk, rule_ref="shop.big_orders").count() == 1


def test_queued_events_are_processed_together_and_in_order():
    first, second, third = order(id=1, total=2000, count=1), order(id=2, total=1, count=1), order(id=3, total=3000,
                                                                                                   count=1)
    processed = event_process(event_id=first.pk)
    assert [e.pk for e in processed] == [first.pk, second.pk, third.pk]
    assert list(Execution.objects.filter(rule_ref="shop.big_orders").order_by("id").values_list("parameters",
                                                                                              flat=True)) == [
        {"order": 1}, {"order": 3}]
    assert Enforcement.objects.filter(rule_ref="shop.every_order").count() == 3
    assert event_process(event_id=second.pk) == []
    assert not Event.objects.filter(status=EventStatus.PENDING).exists()


def test_invalid_parameters_leave_a_failed_enforcement_and_no_execution():
    event = order(id="not a number", total=5000, count=1)
    event_process(event_id=event.pk)
    enforcement = Enforcement.objects.get(event=event, rule_ref="shop.big_orders")
    assert enforcement.status == EnforcementStatus.FAILED and enforcement.execution is None
    assert "order" in enforcement.error


def test_a_failing_condition_is_recorded_on_the_event():
    event = order(id=1, total=10, count=0)  # division by zero in every_order's condition
    event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert [e["rule"] for e in event.rule_errors] == ["shop.every_order"]
    assert not Enforcement.objects.filter(event=event, rule_ref="shop.every_order").exists()
