"""The keys page: values hidden, decrypted for users allowed to, refused to others."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

SECRET = "key-canary-9d1c"


def _client(username: str, *, superuser: bool) -> Client:
    model = get_user_model()
    (model.objects.create_superuser if superuser else model.objects.create_user)(username, password="pw-12345")
    client = Client()
    assert client.login(username=username, password="pw-12345")
    return client


def test_values_stay_hidden_until_an_allowed_user_decrypts(tmp_path):
    from apps.keys.services import key_create

    admin = _client("admin", superuser=True)
    viewer = _client("viewer", superuser=False)
    key = key_create(name="db_password", scope="system", value=SECRET, encrypted=True)
    mine = key_create(name="mine", scope="user:viewer", value="own-value", encrypted=True)

    listing = admin.get("/keys/").content.decode()
    assert "db_password" in listing and SECRET not in listing
    assert 'data-testid="decrypt"' in listing
    assert "own-value" not in listing  # an admin sees another user's key exists, never its value
    assert admin.post(f"/keys/{mine.pk}/decrypt/").status_code == 403
    revealed = admin.post(f"/keys/{key.pk}/decrypt/")
    assert revealed.status_code == 200 and SECRET in revealed.content.decode()

    seen = viewer.get("/keys/").content.decode()
    assert "mine" in seen and "own-value" not in seen
    assert viewer.post(f"/keys/{key.pk}/decrypt/").status_code in (403, 404)
