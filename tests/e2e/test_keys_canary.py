"""The canary secret: an encrypted key read by a rule and by a workflow, run by real
workers. The actions receive the value (they prove it by its hash) and even print
it; afterwards it appears nowhere in clear: not in any log the processes wrote,
any API response, nor any column of any table."""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.executions.models import Execution
from apps.keys.models import Key
from apps.packs.services import pack_register

from .api import admin_client
from .harness import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VAULT = Path(__file__).parent / "packs" / "vault"


def finished(execution_id: int) -> Execution | None:
    execution = Execution.objects.get(pk=execution_id)
    return execution if execution.finished_at else None


def everything_in_the_database() -> list[tuple[str, str]]:
    """(table, row as text) for every row of every table."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                rows.append((table, " ".join(
                    bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else str(value)
                    for value in row)))
    return rows


def api_responses(client) -> dict[str, str]:
    """Every page a user could read about what happened: lists (all pages) and details."""
    seen: dict[str, str] = {}

    def get(path: str, **params):
        answer = client.get(path, params=params or None)
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        seen[f"{path}?{params}"] = answer.text
        return answer.json()

    def every(path: str) -> list[dict]:
        items, page = [], get(path)
        while True:
            items.extend(page["results"])
            if not page.get("next"):
                return items
            answer = client.get(page["next"])
            seen[page["next"]] = answer.text
            page = answer.json()

    for execution in every("/api/v1/executions/"):
        detail = get(f"/api/v1/executions/{execution['id']}/")
        get(f"/api/v1/executions/{execution['id']}/output/")
        for child in detail.get("children") or []:
            get(f"/api/v1/executions/{child['id']}/")
    for name in ("events", "enforcements", "keys"):
        for item in every(f"/api/v1/{name}/"):
            get(f"/api/v1/{name}/{item['id']}/")
    get("/api/v1/rules/vault.use_key/")
    get("/api/v1/actions/vault.probe/")
    return seen


def test_canary_secret_reaches_the_actions_and_nothing_else(platform, tmp_path):
    """Plant, use through a rule and a workflow, then sweep logs, API and database."""
    started = time.time()
    pack_register(path=VAULT)
    platform.web()
    platform.executor()
    platform.actions()
    platform.scheduler()
    client = admin_client(platform.url)
    canary = f"canary-{secrets.token_hex(12)}"
    digest = hashlib.sha256(canary.encode()).hexdigest()

    created = client.post("/api/v1/keys/", json={"name": "canary", "scope": "pack:vault", "value": canary,
                                                 "encrypted": True})
    assert created.status_code == 201, created.text
    assert created.json()["value"] is None

    # A rule: event → action_params from keystore.canary.
    event = client.post("/api/v1/events/", json={"trigger": "vault.ping", "payload": {"id": 1}})
    assert event.status_code == 202, event.text
    by_rule = wait_for(lambda: Execution.objects.filter(event_id=event.json()["id"]).first(), timeout=30,
                       what="the rule's execution")
    by_rule = wait_for(lambda: finished(by_rule.pk), timeout=60, what="the rule's action")
    assert by_rule.status == "succeeded", (by_rule.error, by_rule.stderr)
    assert by_rule.result["sha256"] == digest  # the action got the real value
    assert by_rule.result["decrypted_sha256"] == digest  # and its token may decrypt its pack's key
    assert by_rule.result["header_ok"] is True and by_rule.result["label"] == "ping 1"
    assert by_rule.result["echo"] == "********" and "using token ********" in by_rule.stderr

    # A workflow: a task input and a published variable from keystore.canary.
    answer = client.post("/api/v1/executions/", json={"action": "vault.flow", "parameters": {}})
    assert answer.status_code == 201, answer.text
    flow = wait_for(lambda: finished(answer.json()["id"]), timeout=90, what="the workflow")
    assert flow.status == "succeeded", flow.error
    assert flow.result == {"header": "Bearer ********", "seen": digest, "announced": "********"}
    probe = Execution.objects.get(parent_id=flow.pk, task_name="probe")
    assert probe.result["sha256"] == digest

    key = Key.objects.get(name="canary")
    assert key.ciphertext and canary not in key.ciphertext  # it exists, encrypted only

    leaks: list[str] = []
    responses = api_responses(client)
    rows = everything_in_the_database()
    # The sweeps do read where the value would be: the actions' results (the hash).
    assert any(digest in text for text in responses.values())
    assert any(digest in row for table, row in rows if "execution" in table)
    for path, text in responses.items():
        if canary in text:
            leaks.append(f"API {path}")
    for table, row in rows:
        if canary in row:
            leaks.append(f"table {table}: {row[:200]}")
    platform.stop()  # flush and close every log
    written = [p for root in (tmp_path, Path(settings.ATTUNE_HOME)) for p in root.rglob("*")
               if p.is_file() and p.stat().st_mtime >= started - 1]
    assert any(p.suffix == ".log" for p in written)
    for path in written:
        if canary.encode() in path.read_bytes():
            leaks.append(f"file {path}")
    assert not leaks, leaks
