"""Keys: create, update, read, delete, decrypt, purge and re-seal. Every value that
leaves here in clear (key_get, key_decrypt, the keystore) was asked for explicitly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.crypto import decrypt_json, encrypt_json, reseal
from apps.core.errors import Conflict, InvalidInput, NotFound
from apps.core.refs import PACK_REF_RE

from .choices import ScopeKind
from .models import Key

# A name must be usable as `keystore.<name>` in a template.
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,199}$")
MAX_TTL = 10 * 365 * 24 * 3600

_UNSET: Any = object()


@dataclass(frozen=True)
class Scope:
    kind: str
    pack_ref: str = ""
    owner: Any = None

    @property
    def text(self) -> str:
        if self.kind == ScopeKind.PACK:
            return f"pack:{self.pack_ref}"
        if self.kind == ScopeKind.USER:
            return f"user:{self.owner.get_username()}"
        return ScopeKind.SYSTEM.value


def scope_parse(scope: Any, *, user=None, field: str = "scope") -> Scope:
    """`system`, `pack:<ref>` or `user:<username>` (`user` alone: the given user)."""
    if not isinstance(scope, str) or not scope:
        raise InvalidInput(field, "must be 'system', 'pack:<ref>' or 'user:<username>'")
    kind, _, rest = scope.partition(":")
    if kind == ScopeKind.SYSTEM and not rest:
        return Scope(ScopeKind.SYSTEM)
    if kind == ScopeKind.PACK:
        if not PACK_REF_RE.match(rest):
            raise InvalidInput(field, f"pack ref {rest!r} must match [a-z][a-z0-9_-]*")
        return Scope(ScopeKind.PACK, pack_ref=rest)
    if kind == ScopeKind.USER:
        if not rest:
            if not getattr(user, "pk", None):
                raise InvalidInput(field, "'user' needs a signed-in user; write 'user:<username>'")
            return Scope(ScopeKind.USER, owner=user)
        owner = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: rest}).first()
        if owner is None:
            raise InvalidInput(field, f"no user named {rest!r}")
        return Scope(ScopeKind.USER, owner=owner)
    raise InvalidInput(field, "must be 'system', 'pack:<ref>' or 'user:<username>'")


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInput("name", "must start with a letter or '_' and hold only letters, digits, '_' and '-' "
                                   "(at most 200)")
    return name


def _expiry(ttl: Any):
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TTL:
        raise InvalidInput("ttl", f"must be a whole number of seconds between 1 and {MAX_TTL}, or null")
    return timezone.now() + timedelta(seconds=ttl)


def _store(key: Key, value: Any, encrypted: bool) -> None:
    key.encrypted = encrypted
    if encrypted:
        key.ciphertext = encrypt_json(value, aad=key.aad)
        key.value = None
    else:
        key.ciphertext = ""
        key.value = value


def key_create(*, name: str, scope: str, value: Any, encrypted: bool = False, ttl: int | None = None,
               user=None) -> Key:
    """A new key; Conflict when a live key of that name exists in that scope (an
    expired one is replaced)."""
    name = _check_name(name)
    parsed = scope_parse(scope, user=user)
    key = Key(name=name, scope=parsed.text, scope_kind=parsed.kind, pack_ref=parsed.pack_ref, owner=parsed.owner,
              expires_at=_expiry(ttl))
    _store(key, value, bool(encrypted))
    try:
        with transaction.atomic():
            Key.objects.filter(scope=key.scope, name=name, expires_at__lte=timezone.now()).delete()
            key.save()
    except IntegrityError:
        raise Conflict(f"a key {name!r} already exists in scope {key.scope}") from None
    return key


def key_update(*, key: Key, value: Any = _UNSET, encrypted: bool | None = None, ttl: Any = _UNSET) -> Key:
    """Change a key's value, its encryption or its TTL (counted from now). Name and
    scope stay: the ciphertext is bound to them."""
    if encrypted is None:
        encrypted = key.encrypted
    if value is _UNSET and encrypted != key.encrypted:
        value = key_decrypt(key=key)
    if value is not _UNSET:
        _store(key, value, bool(encrypted))
    if ttl is not _UNSET:
        key.expires_at = _expiry(ttl)
    key.save()
    return key


def key_set(*, name: str, scope: str, value: Any, encrypted: bool = False, ttl: int | None = None, user=None) -> Key:
    """Create the key, or replace the value (and TTL) of the live one."""
    parsed = scope_parse(scope, user=user)
    existing = Key.objects.live().filter(scope=parsed.text, name=name).first()
    if existing is None:
        return key_create(name=name, scope=scope, value=value, encrypted=encrypted, ttl=ttl, user=user)
    return key_update(key=existing, value=value, encrypted=encrypted, ttl=ttl)


def key_find(*, name: str, scope: str, user=None) -> Key:
    key = Key.objects.live().filter(scope=scope_parse(scope, user=user).text, name=name).first()
    if key is None:
        raise NotFound(f"no key {name!r} in scope {scope}")
    return key


def key_decrypt(*, key: Key) -> Any:
    """The key's value in clear (decrypted when encrypted)."""
    return decrypt_json(key.ciphertext, aad=key.aad) if key.encrypted else key.value


def key_get(*, name: str, scope: str, user=None) -> Any:
    """The value of a live key, in clear."""
    return key_decrypt(key=key_find(name=name, scope=scope, user=user))


def key_delete(*, key: Key) -> None:
    key.delete()


def keys_purge_expired() -> int:
    """Delete keys whose TTL has run out (run by the scheduler)."""
    deleted, _ = Key.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def keys_reseal() -> int:
    """Seal every encrypted value again under the current master key (rotation)."""
    count = 0
    for key in Key.objects.filter(encrypted=True).iterator():
        token = reseal(key.ciphertext, aad=key.aad)
        if token is not None:
            Key.objects.filter(pk=key.pk, ciphertext=key.ciphertext).update(ciphertext=token)
            count += 1
    return count
