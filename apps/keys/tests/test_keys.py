"""Keys: sealing (random nonce, bound to scope and name), rotation, TTL, and the
order in which `keystore.<name>` looks through the scopes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from apps.core import crypto
from apps.core.errors import Conflict, InvalidInput
from apps.keys import services
from apps.keys.keystore import keystore_for
from apps.keys.models import Key

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user(username="alice", password="pw-alice-1")


def test_encrypted_value_is_stored_sealed_and_opens_with_its_key():
    """The clear value is nowhere in the row; decrypting gives it back."""
    key = services.key_create(name="token", scope="system", value={"user": "u", "pass": "hunter2"}, encrypted=True)
    row = Key.objects.filter(pk=key.pk).values().get()
    assert row["value"] is None and row["ciphertext"].startswith("v1:")
    assert "hunter2" not in str(row)
    assert services.key_get(name="token", scope="system") == {"user": "u", "pass": "hunter2"}


def test_each_encryption_uses_a_fresh_nonce():
    """Sealing the same value twice gives two different ciphertexts."""
    first = services.key_create(name="a", scope="system", value="same", encrypted=True)
    second = services.key_create(name="b", scope="system", value="same", encrypted=True)
    assert first.ciphertext != second.ciphertext
    again = services.key_update(key=first, value="same")
    assert again.ciphertext != second.ciphertext


def test_ciphertext_copied_to_another_key_does_not_open():
    """Scope and name are bound as associated data: a ciphertext moved to another row fails."""
    source = services.key_create(name="db_password", scope="pack:shop", value="s3cret", encrypted=True)
    other = services.key_create(name="db_password", scope="pack:blog", value="other", encrypted=True)
    renamed = services.key_create(name="db_pass", scope="pack:shop", value="other", encrypted=True)
    for target in (other, renamed):
        Key.objects.filter(pk=target.pk).update(ciphertext=source.ciphertext)
        with pytest.raises(crypto.DecryptionError):
            services.key_decrypt(key=Key.objects.get(pk=target.pk))


def test_rotation_reseals_every_value_under_the_new_master_key(settings):
    """After rotating, values sealed under the old key open with the new key alone."""
    settings.ATTUNE_ENCRYPTION_KEY = "old-master"
    key = services.key_create(name="api", scope="system", value="v-1", encrypted=True)
    services.key_create(name="plain", scope="system", value="v-2")
    old_ciphertext = key.ciphertext
    with override_settings(ATTUNE_ENCRYPTION_KEY="new-master", ATTUNE_ENCRYPTION_KEY_OLD=["old-master"]):
        assert services.key_get(name="api", scope="system") == "v-1"  # old still opens meanwhile
        call_command("keys_rotate", stdout=open("/dev/null", "w"))
        key.refresh_from_db()
        assert key.ciphertext != old_ciphertext
    with override_settings(ATTUNE_ENCRYPTION_KEY="new-master", ATTUNE_ENCRYPTION_KEY_OLD=[]):
        assert services.key_get(name="api", scope="system") == "v-1"
        assert services.key_get(name="plain", scope="system") == "v-2"
        assert crypto.reseal_all()["keys"] == 0  # nothing left to re-seal
        Key.objects.filter(pk=key.pk).update(ciphertext=old_ciphertext)
        with pytest.raises(crypto.DecryptionError):
            services.key_get(name="api", scope="system")


def test_expired_keys_are_invisible_and_purged():
    """A key past its TTL is gone for templates and reads, purged by the periodic job,
    and its name can be taken again."""
    key = services.key_create(name="session", scope="system", value="abc", ttl=60)
    assert keystore_for()["session"] == "abc"
    Key.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "session" not in keystore_for()
    assert not Key.objects.live().filter(pk=key.pk).exists()
    services.key_create(name="session", scope="system", value="new")  # replaces the expired one
    services.key_create(name="other", scope="system", value="x", ttl=1)
    Key.objects.filter(name="other").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.keys_purge_expired() == 1
    assert list(Key.objects.values_list("name", flat=True)) == ["session"]


def test_keystore_looks_in_system_then_pack_then_user(alice):
    """`keystore.<name>`: system first, then the template's pack, then the user's."""
    services.key_create(name="region", scope="user:alice", value="user-region")
    assert keystore_for(pack_ref="shop", user=alice)["region"] == "user-region"
    services.key_create(name="region", scope="pack:shop", value="pack-region")
    assert keystore_for(pack_ref="shop", user=alice)["region"] == "pack-region"
    services.key_create(name="region", scope="system", value="system-region")
    assert keystore_for(pack_ref="shop", user=alice)["region"] == "system-region"
    services.key_create(name="only_blog", scope="pack:blog", value=1)
    services.key_create(name="only_alice", scope="user:alice", value=2)
    assert "only_blog" not in keystore_for(pack_ref="shop", user=alice)
    assert "only_alice" not in keystore_for(pack_ref="shop")


def test_keystore_remembers_decrypted_values_only():
    """Only encrypted keys count as revealed secrets; the whole store cannot be listed."""
    services.key_create(name="plain", scope="system", value="visible")
    services.key_create(name="secret", scope="system", value={"pw": "p4ss-word", "n": 123456}, encrypted=True)
    store = keystore_for()
    assert store["plain"] == "visible" and store.revealed == []
    assert store["secret"]["pw"] == "p4ss-word"
    assert "p4ss-word" in store.revealed and "123456" in store.revealed
    with pytest.raises(TypeError):
        list(store)
    assert "nothing" not in store


def test_bad_input_names_the_field_and_duplicates_conflict():
    """Bad name, scope or TTL → InvalidInput naming it; a second key of a name in a scope → Conflict."""
    with pytest.raises(InvalidInput) as exc:
        services.key_create(name="no spaces", scope="system", value=1)
    assert exc.value.field == "name"
    for scope in ("galaxy", "pack:Bad Ref", "user:nobody"):
        with pytest.raises(InvalidInput) as exc:
            services.key_create(name="x", scope=scope, value=1)
        assert exc.value.field == "scope"
    with pytest.raises(InvalidInput) as exc:
        services.key_create(name="x", scope="system", value=1, ttl=0)
    assert exc.value.field == "ttl"
    services.key_create(name="x", scope="system", value=1)
    with pytest.raises(Conflict):
        services.key_create(name="x", scope="system", value=2)
    services.key_set(name="x", scope="system", value=3)
    assert services.key_get(name="x", scope="system") == 3
