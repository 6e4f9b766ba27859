"""Sensors: registered from a pack's sensors/ with every mistake named; listed,
shown and switched through the API; their tokens post events of their own triggers
and do nothing else."""

from __future__ import annotations

import textwrap
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.automation.models import Event, Sensor
from apps.automation.services.sensors import sensor_token_issue
from apps.packs.errors import PackLoadError
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

PACK = {
    "pack.yaml": "ref: shop\nversion: 1.0.0\n",
    "triggers/order.yaml": "ref: order\npayload: {id: {type: integer, required: true}}\n",
    "triggers/refund.yaml": "ref: refund\n",
    "sensors/watch.yaml": """
        ref: watch_queue
        runner_type: python
        entry_point: watch.py
        trigger_types: [order]
        parameters: {queue: {type: string, default: orders}}
    """,
    "sensors/watch.py": "import sys\n",
}


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def shop(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    pack_register(path=write(tmp_path / "shop", PACK))
    return tmp_path


def test_a_sensor_is_registered_with_its_triggers(shop):
    """The definition is stored with qualified trigger refs and its parameters."""
    sensor = Sensor.objects.get(ref="shop.watch_queue")
    assert (sensor.runner_type, sensor.entry_point, sensor.trigger_types) == ("python", "watch.py", ["shop.order"])
    assert sensor.parameters["queue"]["default"] == "orders"


@pytest.mark.parametrize("change,field,reason", [
    ("trigger_types: [nope]", "trigger_types.0", "no trigger named 'shop.nope'"),
    ("entry_point: missing.py", "entry_point", "does not exist"),
    ("entry_point: ../pack.yaml", "entry_point", "points outside"),
    ("runner_type: http", "runner_type", "a sensor is a process"),
    ("trigger_types: []", "trigger_types", "must list"),
])
def test_mistakes_name_the_file_and_field(tmp_path, change, field, reason):
    """Each broken sensor definition is refused naming its field."""
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    key = change.split(":", 1)[0]
    lines = [line for line in textwrap.dedent(PACK["sensors/watch.yaml"]).splitlines() if not line.startswith(key)]
    broken = {**PACK, "sensors/watch.yaml": "\n".join([*lines, change]) + "\n"}
    with pytest.raises(PackLoadError) as error:
        pack_register(path=write(tmp_path / "shop", broken))
    first = error.value.errors[0]
    assert (first.file, first.field) == ("shop/sensors/watch.yaml", field), str(error.value)
    assert reason in first.reason


def test_sensors_through_the_api(shop):
    """List with filters, show by ref, disable and enable."""
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("root", password="pw"))
    listed = api.get("/api/v1/sensors/", {"trigger": "shop.order"}).json()["results"]
    assert [s["ref"] for s in listed] == ["shop.watch_queue"]
    assert api.get("/api/v1/sensors/", {"pack": "core"}).json()["results"] == []
    shown = api.get("/api/v1/sensors/shop.watch_queue/").json()
    assert shown["trigger_types"] == ["shop.order"] and "token_hash" not in shown
    assert api.post("/api/v1/sensors/shop.watch_queue/disable/").json()["enabled"] is False
    assert api.post("/api/v1/sensors/shop.watch_queue/enable/").json()["enabled"] is True


def test_a_sensor_token_posts_events_of_its_own_triggers_only(shop):
    """202 for its trigger (the event names the sensor), 403 for another trigger and
    for anything but posting, 401 once the sensor is disabled or the token replaced."""
    token = sensor_token_issue(ref="shop.watch_queue")
    sensor = APIClient()
    sensor.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    posted = sensor.post("/api/v1/events/", {"trigger": "shop.order", "payload": {"id": 7}}, format="json")
    assert posted.status_code == 202, posted.json()
    assert Event.objects.get(pk=posted.json()["id"]).source == "sensor:shop.watch_queue"
    assert sensor.post("/api/v1/events/", {"trigger": "shop.order", "payload": {}}, format="json").status_code == 400
    assert sensor.post("/api/v1/events/", {"trigger": "shop.refund", "payload": {}}, format="json").status_code == 403
    assert sensor.get("/api/v1/events/").status_code == 403
    assert sensor.get("/api/v1/executions/").status_code == 403

    Sensor.objects.filter(ref="shop.watch_queue").update(enabled=False)
    assert sensor.post("/api/v1/events/", {"trigger": "shop.order", "payload": {"id": 8}},
                       format="json").status_code == 401
    Sensor.objects.filter(ref="shop.watch_queue").update(enabled=True)
    out = StringIO()
    call_command("sensor_token", "shop.watch_queue", stdout=out)
    assert out.getvalue().startswith("ats_")
    assert sensor.post("/api/v1/events/", {"trigger": "shop.order", "payload": {"id": 9}},
                       format="json").status_code == 401
