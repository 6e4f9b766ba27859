"""Signed webhooks: a `core.webhook` rule whose `hmac_key` names a key of the key
store accepts calls without an API token when they carry the HMAC-SHA256 of the raw
body under that key (`X-Attune-Signature: sha256=<hex>`, or GitHub's
`X-Hub-Signature-256`). The key is looked up as templates do: system scope, then the
rule's pack."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from apps.core.errors import DomainError
from apps.keys.keystore import keystore_for

from ..models import Rule
from .keys import WEBHOOK

SIGNATURE_HEADERS = ("X-Attune-Signature", "X-Hub-Signature-256")


class BadSignature(DomainError):
    status_code = 401


def signature_of(headers: Mapping[str, str]) -> str | None:
    for name in SIGNATURE_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def webhook_signature_check(*, name: str, body: bytes, signature: str) -> None:
    """Accept the call when `signature` is the body's HMAC under the signing key of an
    enabled rule on webhook `name`; raise BadSignature otherwise (saying no more than
    needed: which webhooks are signed is not for an anonymous caller to learn)."""
    scheme, _, digest = signature.partition("=")
    if scheme.strip().lower() != "sha256" or not digest:
        raise BadSignature("signature must be sha256=<hex digest of the body>")
    rules = Rule.objects.filter(trigger_ref=WEBHOOK, trigger_key=name, enabled=True).select_related("pack")
    for rule in rules:
        key_name = (rule.trigger_params or {}).get("hmac_key")
        if not key_name:
            continue
        try:
            secret = keystore_for(pack_ref=rule.pack.ref)[key_name]
        except KeyError:
            continue
        expected = hmac.new(str(secret).encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, digest.strip().lower()):
            return
    raise BadSignature("invalid signature")
