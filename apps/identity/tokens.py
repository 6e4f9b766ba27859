"""Opaque tokens: `<kind>_<id>_<secret>`. Only a SHA-256 of the secret is stored, so a
database dump yields no usable token. Kinds other than API keys (execution tokens,
sensor tokens) are resolved by resolvers that higher apps register here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

API_KEY_KIND = "atk"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(hash_secret(secret), stored_hash)


def compose(kind: str, ident: str | int, secret: str) -> str:
    return f"{kind}_{ident}_{secret}"


def parse(token: str) -> tuple[str, str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class ScopedPrincipal:
    """Who a scoped token speaks for: not a user, but e.g. one running execution.
    Views that accept scoped principals limit them to `subject_id`'s own data."""

    kind: str
    subject_id: int
    user_id: int | None = None
    scope: dict[str, Any] = field(default_factory=dict)
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None


Resolver = Callable[[str, str], "ScopedPrincipal | None"]
_resolvers: dict[str, Resolver] = {}


def register_resolver(kind: str, resolver: Resolver) -> None:
    """`resolver(ident, secret)` returns the principal, or None when invalid."""
    _resolvers[kind] = resolver


def resolver_for(kind: str) -> Resolver | None:
    return _resolvers.get(kind)
