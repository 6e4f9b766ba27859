"""API keys: shown once, stored hashed, with expiry, last-used time and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity import tokens
from apps.identity.models import ApiKey, AuditEvent

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_a_key_is_shown_once_and_stored_hashed(make_user, client_for):
    """The create answer has the token; the list and the detail never do; the
    database holds only a hash."""
    ann = client_for(make_user("ann", "operator"))
    created = ann.post("/api/v1/api-keys/", {"name": "laptop"}, format="json")
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("atk_") and created.json()["user"] == "ann"
    key = ApiKey.objects.get(pk=created.json()["id"])
    assert token.split("_", 2)[2] not in key.key_hash and key.key_hash == tokens.hash_secret(token.split("_", 2)[2])
    listed = ann.get("/api/v1/api-keys/")
    assert token not in listed.content.decode() and "token" not in listed.json()["results"][0]
    assert "token" not in ann.get(f"/api/v1/api-keys/{key.pk}/").json()
    assert AuditEvent.objects.filter(verb="create", object_type="api_keys", object_id=str(key.pk)).exists()
    assert not AuditEvent.objects.filter(object_id__contains=token).exists()


def test_the_key_authenticates_and_records_its_last_use(make_user, client_for):
    """A key is a bearer token; its first use sets last_used_at."""
    ann = client_for(make_user("ann", "operator"))
    created = ann.post("/api/v1/api-keys/", {"name": "ci"}, format="json").json()
    assert created["last_used_at"] is None
    assert bearer(created["token"]).get("/api/v1/auth/whoami").json()["username"] == "ann"
    assert ann.get(f"/api/v1/api-keys/{created['id']}/").json()["last_used_at"] is not None
    # X-Attune-Api-Key works too.
    api = APIClient()
    api.credentials(HTTP_X_ATTUNE_API_KEY=created["token"])
    assert api.get("/api/v1/auth/whoami").status_code == 200


def test_an_expired_key_is_refused(make_user, client_for):
    """A key past its expires_at is 401; an expiry in the past is refused at creation."""
    ann = client_for(make_user("ann", "operator"))
    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    created = ann.post("/api/v1/api-keys/", {"name": "short", "expires_at": soon}, format="json").json()
    assert created["expires_at"] is not None
    assert bearer(created["token"]).get("/api/v1/auth/whoami").status_code == 200
    ApiKey.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(created["token"]).get("/api/v1/auth/whoami").status_code == 401
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    refused = ann.post("/api/v1/api-keys/", {"name": "old", "expires_at": past}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "expires_at"


@pytest.mark.parametrize("how", ["delete", "revoke"])
def test_revoking_a_key_stops_it_and_keeps_its_record(make_user, client_for, how):
    """DELETE or POST …/revoke/ revokes: the key stays listed with revoked_at, and 401s."""
    ann = client_for(make_user("ann", "operator"))
    created = ann.post("/api/v1/api-keys/", {"name": "ci"}, format="json").json()
    url = f"/api/v1/api-keys/{created['id']}/"
    answer = ann.delete(url) if how == "delete" else ann.post(url + "revoke/")
    assert answer.status_code in (200, 204)
    assert ann.get(url).json()["revoked_at"] is not None
    assert bearer(created["token"]).get("/api/v1/auth/whoami").status_code == 401


def test_users_see_only_their_own_keys_and_admins_all(make_user, client_for, admin):
    """Nobody lists, reads or revokes another user's key; an admin sees and revokes all."""
    ann, bob = client_for(make_user("ann", "operator")), client_for(make_user("bob", "operator"))
    anns = ann.post("/api/v1/api-keys/", {"name": "ann's"}, format="json").json()
    bob.post("/api/v1/api-keys/", {"name": "bob's"}, format="json")
    assert [k["name"] for k in bob.get("/api/v1/api-keys/").json()["results"]] == ["bob's"]
    assert bob.get(f"/api/v1/api-keys/{anns['id']}/").status_code == 404
    assert bob.delete(f"/api/v1/api-keys/{anns['id']}/").status_code == 404
    assert bob.post(f"/api/v1/api-keys/{anns['id']}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=anns["id"]).revoked_at is None
    root = client_for(admin)
    assert {k["name"] for k in root.get("/api/v1/api-keys/").json()["results"]} == {"ann's", "bob's"}
    assert root.delete(f"/api/v1/api-keys/{anns['id']}/").status_code == 204


def test_only_admins_create_keys_for_others_and_viewers_create_none(make_user, client_for, admin):
    """An operator cannot make a key for someone else (403); an admin can; a viewer
    (read only) creates no key at all."""
    ann = client_for(make_user("ann", "operator"))
    make_user("svc")
    assert ann.post("/api/v1/api-keys/", {"name": "x", "user": "svc"}, format="json").status_code == 403
    made = client_for(admin).post("/api/v1/api-keys/", {"name": "svc key", "user": "svc"}, format="json")
    assert made.status_code == 201 and made.json()["user"] == "svc"
    viewer = client_for(make_user("vic", "viewer"))
    assert viewer.post("/api/v1/api-keys/", {"name": "x"}, format="json").status_code == 403
    assert viewer.get("/api/v1/api-keys/").status_code == 200
