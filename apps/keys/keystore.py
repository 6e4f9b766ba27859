"""`keystore.<name>` in templates: a lazy mapping that reads a key only when a
template names it, system scope first, then the pack's, then the user's.

Decrypted values are remembered (`revealed`): whoever rendered with it treats every
value carrying one of them as a secret (stored encrypted, shown masked)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from .choices import RESOLUTION_ORDER, ScopeKind
from .models import Key
from .services import key_decrypt

# Numbers shorter than this are not masked on their own (a secret `42` would
# otherwise mask every 42 in every output); they still make their parameter secret.
_MIN_MASKED_NUMBER = 4


def secret_strings(value: Any) -> list[str]:
    """The texts by which a secret value may show up in a rendered string."""
    found: list[str] = []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        text = str(value)
        return [text] if len(text) >= _MIN_MASKED_NUMBER else []
    found.append(json.dumps(value, ensure_ascii=False, default=str))
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        found.extend(secret_strings(item))
    return found


class KeyStore:
    """Not a mapping on purpose: templates name the keys they use (`keystore.<name>`,
    `keystore["<name>"]`); the store itself cannot be listed, printed or returned
    whole, which would decrypt every key in reach."""

    def __init__(self, *, pack_ref: str = "", user_id: int | None = None) -> None:
        self._pack_ref = pack_ref
        self._user_id = user_id
        self._cache: dict[str, Any] = {}
        self._revealed: list[str] = []

    def _visible(self):
        scopes = Q(scope_kind=ScopeKind.SYSTEM)
        if self._pack_ref:
            scopes |= Q(scope_kind=ScopeKind.PACK, pack_ref=self._pack_ref)
        if self._user_id:
            scopes |= Q(scope_kind=ScopeKind.USER, owner_id=self._user_id)
        return Key.objects.live().filter(scopes)

    def __getitem__(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise KeyError(name)
        if name in self._cache:
            return self._cache[name]
        found = {key.scope_kind: key for key in self._visible().filter(name=name)}
        key = next((found[kind] for kind in RESOLUTION_ORDER if kind in found), None)
        if key is None:
            raise KeyError(name)
        value = key_decrypt(key=key)
        if key.encrypted:
            self.remember(secret_strings(value))
        self._cache[name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __contains__(self, name: object) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self):
        raise TypeError("the keystore cannot be listed; use keystore.<name>")

    def __bool__(self) -> bool:
        return True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Being callable makes the template engine refuse the store as a value.
        raise TypeError("the keystore is not a function; use keystore.<name>")

    def __repr__(self) -> str:
        return "<keystore>"

    def remember(self, values: Iterable[str]) -> None:
        for value in values:
            if value and value not in self._revealed:
                self._revealed.append(value)

    @property
    def revealed(self) -> list[str]:
        """Texts of the encrypted values read so far (longest first, for masking)."""
        return sorted(self._revealed, key=len, reverse=True)


def keystore_for(*, pack_ref: str = "", user=None) -> KeyStore:
    """The `keystore` namespace for a template of `pack_ref`, run for `user`."""
    user_id = user if isinstance(user, int) else getattr(user, "pk", None)
    return KeyStore(pack_ref=pack_ref or "", user_id=user_id)
