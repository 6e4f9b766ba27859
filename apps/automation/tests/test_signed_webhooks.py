"""Signed webhooks: a core.webhook rule with an `hmac_key` accepts calls signed with
that key and no token; anything else unauthenticated is refused before it is stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import textwrap

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.automation.models import Event
from apps.keys.services import key_create
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

BODY = json.dumps({"ref": "main"}).encode()


@pytest.fixture
def hooks(tmp_path):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    root = tmp_path / "ci"
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text("ref: ci\nversion: 1.0.0\n")
    (root / "rules" / "on_push.yaml").write_text(textwrap.dedent("""
        name: on_push
        trigger: {type: core.webhook, parameters: {url: push, hmac_key: push_secret}}
        action: {ref: core.noop}
    """))
    (root / "rules" / "on_open.yaml").write_text(textwrap.dedent("""
        name: on_open
        trigger: {type: core.webhook, parameters: {url: open}}
        action: {ref: core.noop}
    """))
    pack_register(path=root)
    key_create(name="push_secret", scope="pack:ci", value="s3cret-signing-key", encrypted=True)


def _post(name: str, body: bytes = BODY, **headers):
    return APIClient().generic("POST", f"/api/v1/webhooks/{name}", body, content_type="application/json",
                               **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


def _sign(body: bytes, key: str = "s3cret-signing-key") -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def test_a_correctly_signed_call_needs_no_token(hooks):
    """The signature under the rule's key is the credential; the event is stored
    without the signature header."""
    answer = _post("push", X_Attune_Signature=_sign(BODY))
    assert answer.status_code == 202, answer.json()
    event = Event.objects.get(pk=answer.json()["event_id"])
    assert event.payload["body"] == {"ref": "main"}
    assert "X-Attune-Signature" not in event.payload["headers"]
    github = _post("push", X_Hub_Signature_256=_sign(BODY))
    assert github.status_code == 202


@pytest.mark.parametrize("name,signature", [
    ("push", None),  # no token, no signature
    ("push", "sha256=" + "0" * 64),  # wrong digest
    ("push", "md5=abc"),  # wrong scheme
    ("open", "sha256=" + "0" * 64),  # a webhook without a signing key
])
def test_unsigned_or_badly_signed_calls_are_refused_and_store_nothing(hooks, name, signature):
    """401, and no event."""
    headers = {"X_Attune_Signature": signature} if signature else {}
    answer = _post(name, **headers)
    assert answer.status_code == 401, answer.json()
    assert not Event.objects.exists()


def test_a_signature_over_another_body_is_refused(hooks):
    """The HMAC covers the raw body: a replayed signature on a changed body fails."""
    answer = _post("push", body=b'{"ref": "evil"}', X_Attune_Signature=_sign(BODY))
    assert answer.status_code == 401
    assert not Event.objects.exists()
