"""An execution's token (ATTUNE_API_TOKEN) reads the system's keys and its own pack's
while the execution runs, decrypts only its own pack's, and changes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.executions.choices import Status
from apps.executions.services import tokens
from apps.executions.services.requests import execution_request
from apps.executions.services.transitions import transition
from apps.keys import services as keys
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    """The token of a running core.echo execution (the core pack)."""
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    execution = execution_request(action="core.echo", parameters={"message": "hi"})
    token, token_hash = tokens.issue(execution.pk)
    transition(execution.pk, to=Status.RUNNING, expected=execution.status, token_hash=token_hash)
    keys.key_create(name="core_pw", scope="pack:core", value="core-secret", encrypted=True)
    keys.key_create(name="motd", scope="system", value="hello")
    keys.key_create(name="sys_pw", scope="system", value="system-secret", encrypted=True)
    keys.key_create(name="other_pw", scope="pack:shop", value="shop-secret", encrypted=True)
    alice = get_user_model().objects.create_user(username="alice", password="pw-alice-1")
    keys.key_create(name="mine", scope="user:alice", value="alice-secret", encrypted=True)
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return token_client, execution, alice


def test_execution_token_reads_its_pack_and_system_keys(token):
    """Listed: system and own-pack keys, never another pack's or a user's."""
    client, _, _ = token
    listed = client.get("/api/v1/keys/")
    assert listed.status_code == 200, listed.content
    assert {k["name"] for k in listed.json()["results"]} == {"core_pw", "motd", "sys_pw"}
    other = keys.key_find(name="other_pw", scope="pack:shop")
    assert client.get(f"/api/v1/keys/{other.pk}/").status_code == 404


def test_execution_token_decrypts_only_its_own_packs_keys(token):
    """Own pack: the value; system or another pack: refused."""
    client, _, _ = token
    own = keys.key_find(name="core_pw", scope="pack:core")
    assert client.post(f"/api/v1/keys/{own.pk}/decrypt/").json() == {"value": "core-secret"}
    system = keys.key_find(name="sys_pw", scope="system")
    assert client.post(f"/api/v1/keys/{system.pk}/decrypt/").status_code == 403
    other = keys.key_find(name="other_pw", scope="pack:shop")
    assert client.post(f"/api/v1/keys/{other.pk}/decrypt/").status_code == 404


def test_execution_token_changes_nothing_and_dies_with_the_execution(token):
    """No create, update or delete; once the execution ends the token is refused."""
    client, execution, _ = token
    own = keys.key_find(name="core_pw", scope="pack:core")
    assert client.post("/api/v1/keys/", {"name": "x", "scope": "pack:core", "value": 1}, format="json").status_code == 403
    assert client.patch(f"/api/v1/keys/{own.pk}/", {"value": 1}, format="json").status_code == 403
    assert client.delete(f"/api/v1/keys/{own.pk}/").status_code == 403
    transition(execution.pk, to=Status.SUCCEEDED, expected=Status.RUNNING, token_hash="")
    assert client.get("/api/v1/keys/").status_code == 401
