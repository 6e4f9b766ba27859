from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import tokens
from .models import ApiKey

User = get_user_model()

# last_used_at is informative; writing it on every request would add a write to each
# API call, so it is refreshed at most once a minute.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_create(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create an API key; returns it and the token, which is never shown again."""
    ident = secrets.token_hex(6)
    secret = tokens.new_secret()
    key = ApiKey.objects.create(
        user=user, name=name, prefix=ident, key_hash=tokens.hash_secret(secret), expires_at=expires_at
    )
    return key, tokens.compose(tokens.API_KEY_KIND, ident, secret)


def api_key_authenticate(*, ident: str, secret: str):
    """The active user behind a valid, unexpired, unrevoked API key, else None."""
    key = ApiKey.objects.select_related("user").filter(prefix=ident, revoked_at__isnull=True).first()
    if key is None or not tokens.matches(secret, key.key_hash):
        return None
    now = timezone.now()
    if key.expires_at and key.expires_at <= now:
        return None
    if not key.user.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.user


@transaction.atomic
def admin_ensure(*, username: str = "admin") -> tuple[object, str | None, str | None]:
    """Create the first admin with a random password and an API key, once.
    Returns (user, password, token); password and token are None if it existed."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None, None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(username=username, email="", password=password)
    _, token = api_key_create(user=user, name="created by `make up`")
    return user, password, token
