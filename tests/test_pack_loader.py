"""Registering packs: what a pack author sees, including every error naming the file
and the field, and all-or-nothing registration."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from apps.automation.models import Rule, Timer, Trigger
from apps.executions.models import Action
from apps.packs.errors import PackLoadError
from apps.packs.models import Pack, Runtime
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def core_pack():
    pack_register(path=settings.BASE_DIR / "packs" / "core")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if name.endswith(".sh"):
            path.chmod(0o755)
    return root


GOOD = {
    "pack.yaml": "ref: shop\nversion: 1.2.0\nconfig: {hook: http://example.invalid}\n",
    "actions/notify.yaml": """
        name: notify
        runner_type: shell
        entry_point: notify.sh
        parameters:
          order: {type: integer, required: true}
    """,
    "actions/notify.sh": "#!/bin/bash\necho notified\n",
    "triggers/order.yaml": "name: order_created\nwebhook: true\npayload: {total: {type: number}}\n",
    "rules/big.yaml": """
        name: big_orders
        trigger: shop.order_created
        criteria:
          trigger.total: {type: gt, pattern: 1000}
        action: {ref: shop.notify, parameters: {order: "{{ event.payload.id }}"}}
    """,
}


def test_a_valid_pack_registers_everything(tmp_path):
    """pack.yaml, actions, triggers and rules are registered under the pack's refs."""
    pack = pack_register(path=write(tmp_path / "shop", GOOD))
    assert pack.version == "1.2.0" and pack.config == {"hook": "http://example.invalid"}
    assert Action.objects.get(ref="shop.notify").runner_type == "shell"
    assert Trigger.objects.get(ref="shop.order_created").webhook
    rule = Rule.objects.get(ref="shop.big_orders")
    assert rule.action_params == {"order": "{{ event.payload.id }}"} and rule.criteria["trigger.total"]["type"] == "gt"


def test_core_pack_provides_runtimes_actions_and_triggers():
    """The core pack ships the runtimes, the core actions and the built-in triggers."""
    assert set(Runtime.objects.values_list("name", flat=True)) >= {"shell", "python", "node", "native"}
    assert set(Action.objects.filter(pack__ref="core").values_list("ref", flat=True)) >= {
        "core.echo", "core.noop", "core.sleep", "core.local", "core.http_request"}
    assert set(Trigger.objects.filter(pack__ref="core").values_list("ref", flat=True)) >= {
        "core.intervaltimer", "core.crontimer", "core.datetimer", "core.webhook", "core.executioncompleted"}


@pytest.mark.parametrize(
    "change, file, field, reason",
    [
        ({"pack.yaml": "ref: Shop!\n"}, "shop/pack.yaml", "ref", "must match"),
        ({"pack.yaml": "ref: shop\nversion: one\n"}, "shop/pack.yaml", "version", "semantic version"),
        ({"actions/notify.yaml": "name: notify\nrunner_type: cobol\nentry_point: notify.sh\n"},
         "shop/actions/notify.yaml", "runner_type", "not a known runner"),
        ({"actions/notify.yaml": "name: notify\nrunner_type: shell\nentry_point: missing.sh\n"},
         "shop/actions/notify.yaml", "entry_point", "does not exist"),
        ({"actions/notify.yaml": "name: notify\nrunner_type: shell\nentry_point: ../../etc/passwd\n"},
         "shop/actions/notify.yaml", "entry_point", "outside"),
        ({"actions/notify.yaml": "name: notify\nrunner_type: shell\nentry_point: notify.sh\n"
                                 "parameters: {order: {type: integr}}\n"},
         "shop/actions/notify.yaml", "parameters.order.type", "is not one of"),
        ({"actions/notify.yaml": "name: notify\nrunner_type: shell\nentry_point: notify.sh\noutput_format: xml\n"},
         "shop/actions/notify.yaml", "output_format", "is not one of"),
        ({"actions/notify.yaml": "name: [unclosed\n"}, "shop/actions/notify.yaml", "", "invalid YAML at line"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.nope\naction: shop.notify\n"},
         "shop/rules/big.yaml", "trigger", "no trigger named"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.nothing\n"},
         "shop/rules/big.yaml", "action", "no action named"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.notify\n"},
         "shop/rules/big.yaml", "action_params.order", "is required"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.notify\n"
                            "action_params: {order: 1, colour: red}\n"},
         "shop/rules/big.yaml", "action_params.colour", "not a parameter"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.notify\n"
                            "action_params: {order: 1}\ncriteria: {event.payload.x: {type: biggerthan, pattern: 1}}\n"},
         "shop/rules/big.yaml", "criteria.event.payload.x.type", "not a criteria operator"),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.notify\n"
                            "action_params: {order: '{{ event.payload.id '}\n"},
         "shop/rules/big.yaml", "action_params.order", ""),
        ({"rules/big.yaml": "name: big\ntrigger: shop.order_created\naction: shop.notify\n"
                            "action_params: {order: 1}\nconditions: {expression: 'event.payload.x >'}\n"},
         "shop/rules/big.yaml", "conditions.expression", ""),
        ({"rules/big.yaml": "name: big\ntrigger: core.intervaltimer\ntrigger_params: {interval: 0}\n"
                            "action: shop.notify\naction_params: {order: 1}\n"},
         "shop/rules/big.yaml", "trigger_params.interval", ""),
        ({"rules/big.yaml": "name: big\ntrigger: core.webhook\naction: shop.notify\naction_params: {order: 1}\n"},
         "shop/rules/big.yaml", "trigger_params.url", "is required"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path, change, file, field, reason):
    """Every kind of mistake is reported with its file and field, and nothing changes."""
    with pytest.raises(PackLoadError) as error:
        pack_register(path=write(tmp_path / "shop", {**GOOD, **change}))
    first = error.value.errors[0]
    assert (first.file, first.field) == (file, field), str(error.value)
    assert reason in first.reason
    assert not Pack.objects.filter(ref="shop").exists()


def test_every_error_is_reported_at_once(tmp_path):
    """A pack with several broken files reports each of them."""
    broken = {**GOOD, "actions/a.yaml": "name: a\nrunner_type: nope\n", "actions/b.yaml": "runner_type: shell\n"}
    with pytest.raises(PackLoadError) as error:
        pack_register(path=write(tmp_path / "shop", broken))
    assert {e.file for e in error.value.errors} == {"shop/actions/a.yaml", "shop/actions/b.yaml"}


def test_failed_reregistration_keeps_the_previous_version(tmp_path):
    """A broken update leaves the registered pack exactly as it was."""
    root = write(tmp_path / "shop", GOOD)
    pack_register(path=root)
    write(root, {"actions/notify.yaml": "name: notify\nrunner_type: shell\nentry_point: gone.sh\n"})
    with pytest.raises(PackLoadError):
        pack_register(path=root)
    assert Action.objects.get(ref="shop.notify").parameters == {"order": {"type": "integer", "required": True}}


def test_reregistration_removes_what_the_files_no_longer_define(tmp_path):
    """A definition whose file disappeared is removed on re-registration."""
    root = write(tmp_path / "shop", GOOD)
    pack_register(path=root)
    (root / "rules" / "big.yaml").unlink()
    pack_register(path=root)
    assert not Rule.objects.filter(ref="shop.big_orders").exists()
    assert Action.objects.filter(ref="shop.notify").exists()


def test_timer_rules_become_timer_rows(tmp_path):
    """Enabled timer rules get a timer row; disabling the rule removes it."""
    files = {**GOOD, "rules/tick.yaml": "name: tick\ntrigger: core.intervaltimer\n"
                                        "trigger_params: {unit: seconds, interval: 30}\n"
                                        "action: core.echo\naction_params: {message: hi}\n"}
    root = write(tmp_path / "shop", files)
    pack_register(path=root)
    timer = Timer.objects.get(trigger_ref="core.intervaltimer")
    assert timer.next_fire_at is not None and timer.params == {"unit": "seconds", "interval": 30}
    write(root, {"rules/tick.yaml": files["rules/tick.yaml"] + "enabled: false\n"})
    pack_register(path=root)
    assert not Timer.objects.exists()
