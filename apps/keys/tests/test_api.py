"""/api/v1/keys/: create, list, update, delete, decrypt; values of encrypted keys
only through decrypt; a user's keys are theirs alone."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.identity.models import Role, RoleAssignment
from apps.keys import services
from apps.keys.models import Key

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin():
    return get_user_model().objects.create_superuser(username="root", password="pw-root-1")


@pytest.fixture
def api(admin):
    return client_for(admin)


def test_create_list_retrieve_update_delete(api):
    """The CRUD round trip; an encrypted value comes back null with encrypted true."""
    created = api.post("/api/v1/keys/", {"name": "db_password", "scope": "pack:shop", "value": "s3cret-pw",
                                          "encrypted": True, "ttl": 3600}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["value"] is None and body["encrypted"] is True and body["scope"] == "pack:shop"
    assert body["expires_at"] is not None
    api.post("/api/v1/keys/", {"name": "region", "value": {"name": "eu"}}, format="json")

    listed = api.get("/api/v1/keys/").json()["results"]
    assert {(k["name"], k["scope"]) for k in listed} == {("db_password", "pack:shop"), ("region", "system")}
    assert "s3cret-pw" not in str(listed)
    assert [k["name"] for k in api.get("/api/v1/keys/", {"scope": "system"}).json()["results"]] == ["region"]
    assert [k["name"] for k in api.get("/api/v1/keys/", {"q": "pass"}).json()["results"]] == ["db_password"]
    assert [k["name"] for k in api.get("/api/v1/keys/", {"name": "region"}).json()["results"]] == ["region"]

    key_id = body["id"]
    shown = api.get(f"/api/v1/keys/{key_id}/").json()
    assert shown["value"] is None and "s3cret" not in str(shown)
    assert api.get(f"/api/v1/keys/{listed[1]['id'] if listed[1]['name'] == 'region' else listed[0]['id']}/").json()[
        "value"] == {"name": "eu"}

    updated = api.patch(f"/api/v1/keys/{key_id}/", {"value": "n3w-pw"}, format="json")
    assert updated.status_code == 200 and updated.json()["value"] is None
    assert api.post(f"/api/v1/keys/{key_id}/decrypt/").json() == {"value": "n3w-pw"}
    clear = api.patch(f"/api/v1/keys/{key_id}/", {"encrypted": False, "ttl": None}, format="json").json()
    assert clear["value"] == "n3w-pw" and clear["encrypted"] is False and clear["expires_at"] is None

    assert api.delete(f"/api/v1/keys/{key_id}/").status_code == 204
    assert api.get(f"/api/v1/keys/{key_id}/").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"scope": "system", "value": 1}, "name"),
    ({"name": "x", "scope": "system"}, "value"),
    ({"name": "bad name", "value": 1}, "name"),
    ({"name": "x", "scope": "planet", "value": 1}, "scope"),
    ({"name": "x", "scope": "user:ghost", "value": 1}, "scope"),
    ({"name": "x", "value": 1, "ttl": 0}, "ttl"),
    ({"name": "x", "value": 1, "ttl": "soon"}, "ttl"),
    ({"name": "x", "value": 1, "encrypted": "maybe"}, "encrypted"),
])
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    """Every refusal names the field."""
    answer = api.post("/api/v1/keys/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in {error["field"] for error in answer.json()["errors"]}


def test_duplicate_is_a_409_and_name_or_scope_cannot_change(api):
    """A second key of the same name in a scope conflicts; renaming is refused with 400."""
    first = api.post("/api/v1/keys/", {"name": "x", "value": 1}, format="json").json()
    assert api.post("/api/v1/keys/", {"name": "x", "value": 2}, format="json").status_code == 409
    assert api.post("/api/v1/keys/", {"name": "x", "scope": "pack:shop", "value": 2}, format="json").status_code == 201
    renamed = api.patch(f"/api/v1/keys/{first['id']}/", {"name": "y"}, format="json")
    assert renamed.status_code == 400 and renamed.json()["errors"][0]["field"] == "name"
    assert api.put(f"/api/v1/keys/{first['id']}/", {"value": 5}, format="json").json()["value"] == 5


def test_anonymous_is_refused(api):
    """No credentials, no keys."""
    assert APIClient().get("/api/v1/keys/").status_code in (401, 403)
    assert APIClient().post("/api/v1/keys/", {"name": "x", "value": 1}, format="json").status_code in (401, 403)


def test_a_users_keys_are_theirs_alone(admin):
    """Bob never sees nor decrypts Alice's keys; an admin manages them but cannot decrypt them."""
    users = get_user_model().objects
    alice = users.create_user(username="alice", password="pw-alice-1")
    bob = users.create_user(username="bob", password="pw-bob-1")
    for user in (alice, bob):
        RoleAssignment.objects.create(user=user, role=Role.objects.get(name="viewer"))
    mine = services.key_create(name="token", scope="user:alice", value="alice-secret", encrypted=True)
    services.key_create(name="token", scope="user:bob", value="bob-secret", encrypted=True)
    services.key_create(name="note", scope="user:alice", value="alice-note")

    as_bob = client_for(bob)
    seen = as_bob.get("/api/v1/keys/").json()["results"]
    assert [(k["name"], k["scope"]) for k in seen] == [("token", "user:bob")]
    assert as_bob.get(f"/api/v1/keys/{mine.pk}/").status_code == 404
    # A viewer may not decrypt at all: refused before the key is looked up.
    assert as_bob.post(f"/api/v1/keys/{mine.pk}/decrypt/").status_code in (403, 404)
    assert as_bob.get("/api/v1/keys/", {"scope": "user:alice"}).json()["results"] == []
    refused = as_bob.post("/api/v1/keys/", {"name": "t", "scope": "user:alice", "value": 1}, format="json")
    assert refused.status_code == 403

    as_admin = client_for(admin)
    assert {k["scope"] for k in as_admin.get("/api/v1/keys/").json()["results"]} == {"user:alice", "user:bob"}
    assert as_admin.post(f"/api/v1/keys/{mine.pk}/decrypt/").status_code == 403
    assert Key.objects.filter(pk=mine.pk).exists()
    assert "alice-secret" not in as_admin.get("/api/v1/keys/").content.decode()

    as_alice = client_for(alice)
    assert {k["name"] for k in as_alice.get("/api/v1/keys/").json()["results"]} == {"token", "note"}


def test_a_pack_limited_operator_cannot_touch_system_keys(admin):
    """System keys are read by every pack: an operator limited to one pack may manage
    that pack's keys, not create, change or decrypt system ones."""
    dana = get_user_model().objects.create_user(username="dana", password="pw-dana-1")
    role = Role.objects.create(name="ops-operator", grants=[["*", "keys"]], packs=["ops"])
    RoleAssignment.objects.create(user=dana, role=role)
    system = services.key_create(name="db", scope="system", value="system-secret", encrypted=True)
    as_dana = client_for(dana)
    made = as_dana.post("/api/v1/keys/", {"name": "t", "scope": "pack:ops", "value": 1}, format="json")
    assert made.status_code == 201, made.json()
    assert as_dana.post("/api/v1/keys/", {"name": "t", "scope": "system", "value": 1},
                        format="json").status_code == 403
    assert as_dana.patch(f"/api/v1/keys/{system.pk}/", {"value": 2}, format="json").status_code in (403, 404)
    assert as_dana.post(f"/api/v1/keys/{system.pk}/decrypt/").status_code in (403, 404)
    assert services.key_decrypt(key=Key.objects.get(pk=system.pk)) == "system-secret"


def test_non_admin_reads_metadata_but_cannot_change_or_decrypt(admin):
    """A user without rights on keys may not create, change, delete or decrypt shared keys."""
    carol = get_user_model().objects.create_user(username="carol", password="pw-carol-1")
    key = services.key_create(name="shared", scope="system", value="top-secret", encrypted=True)
    as_carol = client_for(carol)
    assert as_carol.post("/api/v1/keys/", {"name": "x", "value": 1}, format="json").status_code == 403
    assert as_carol.post(f"/api/v1/keys/{key.pk}/decrypt/").status_code in (403, 404)
    assert as_carol.patch(f"/api/v1/keys/{key.pk}/", {"value": 1}, format="json").status_code in (403, 404)
    assert as_carol.delete(f"/api/v1/keys/{key.pk}/").status_code in (403, 404)
    assert services.key_get(name="shared", scope="system") == "top-secret"


def test_admin_never_shows_an_encrypted_value(admin, client):
    """The admin's key page shows '(encrypted)', never the value or its ciphertext."""
    key = services.key_create(name="pw", scope="system", value="adm1n-secret", encrypted=True)
    client.force_login(admin)
    page = client.get(f"/admin/keys/key/{key.pk}/change/").content.decode()
    assert "(encrypted)" in page and "adm1n-secret" not in page and key.ciphertext not in page
    listing = client.get("/admin/keys/key/").content.decode()
    assert "pw" in listing and "adm1n-secret" not in listing
