"""A small client for the platform's API, as a user (or the CLI) would call it."""

from __future__ import annotations

import httpx

from apps.identity.services import api_key_create


def admin_client(base_url: str) -> httpx.Client:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username="ops", password="x-password-1")
    _, token = api_key_create(user=user, name="e2e")
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)
