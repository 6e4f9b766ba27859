"""AES-256-GCM for values that must not be stored in clear (secret parameters, keys).

The stored form is `v1:<base64(nonce ‖ ciphertext)>`; a fresh random 96-bit nonce per
encryption, and associated data binding the ciphertext to the row it belongs to, so a
ciphertext copied to another row does not decrypt."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
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


def _masters() -> list[str]:
    """The current master key first, then the previous ones (rotation)."""
    old = getattr(settings, "ATTUNE_ENCRYPTION_KEY_OLD", None) or []
    return [settings.ATTUNE_ENCRYPTION_KEY, *[key for key in old if key and key != settings.ATTUNE_ENCRYPTION_KEY]]


def _open(token: str, aad: str) -> tuple[bytes, bool]:
    """(plaintext, sealed under the current key?)."""
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown ciphertext format")
    raw = base64.b64decode(token[len(PREFIX) :])
    for index, master in enumerate(_masters()):
        try:
            return _aead(master).decrypt(raw[:12], raw[12:], aad.encode()), index == 0
        except InvalidTag:
            continue
    raise DecryptionError("ciphertext does not match its key or row")


def decrypt_json(token: str, *, aad: str) -> Any:
    if not token:
        return None
    return json.loads(_open(token, aad)[0])


def reseal(token: str, *, aad: str) -> str | None:
    """`token` sealed again under the current master key, or None when it already is."""
    if not token:
        return None
    data, current = _open(token, aad)
    if current:
        return None
    return encrypt_json(json.loads(data), aad=aad)


# name -> function re-sealing that app's stored values; returns how many changed.
_resealers: dict[str, Callable[[], int]] = {}


def register_resealer(name: str, fn: Callable[[], int]) -> None:
    """Apps with encrypted columns register how to re-seal them (AppConfig.ready())."""
    _resealers[name] = fn


def reseal_all() -> dict[str, int]:
    """Re-seal every registered store under the current master key (rotation)."""
    return {name: fn() for name, fn in _resealers.items()}
