"""AES-256-GCM for values that must not be stored in clear (secret parameters, keys).

The stored form is `v1:<base64(nonce ‖ ciphertext)>`; a fresh random 96-bit nonce per
encryption, and associated data binding the ciphertext to the row it belongs to, so a
ciphertext copied to another row does not decrypt."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v1:"


class DecryptionError(Exception):
    pass


@lru_cache(maxsize=4)
def _aead(master: str) -> AESGCM:
    # The master key may be any string (generated into ATTUNE_HOME by default); derive
    # exactly 32 bytes from it.
    return AESGCM(hashlib.sha256(master.encode()).digest())


def encrypt_json(value: Any, *, aad: str) -> str:
    nonce = os.urandom(12)
    data = json.dumps(value, separators=(",", ":")).encode()
    sealed = _aead(settings.ATTUNE_ENCRYPTION_KEY).encrypt(nonce, data, aad.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt_json(token: str, *, aad: str) -> Any:
    if not token:
        return None
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown ciphertext format")
    raw = base64.b64decode(token[len(PREFIX) :])
    try:
        data = _aead(settings.ATTUNE_ENCRYPTION_KEY).decrypt(raw[:12], raw[12:], aad.encode())
    except InvalidTag:
        raise DecryptionError("ciphertext does not match its key or row") from None
    return json.loads(data)
