"""Signing in with a password: JWT login, refresh with rotation, logout, whoami."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.identity.models import AuditEvent

pytestmark = pytest.mark.django_db


def login(username: str, password: str):
    return APIClient().post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_login_returns_tokens_with_their_lifetimes_and_the_user(make_user):
    """Login answers an access token (1 h), a refresh token (7 d) and who signed in."""
    make_user("ann", "viewer")
    answer = login("ann", "correct-horse-1")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access", "refresh", "access_expires_at", "refresh_expires_at", "user"}
    assert body["user"]["username"] == "ann" and body["user"]["roles"] == ["viewer"]
    access, refresh = AccessToken(body["access"]), RefreshToken(body["refresh"])
    assert access["exp"] - access["iat"] == 3600
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert "password" not in answer.content.decode()


def test_bad_credentials_are_401_and_audited(make_user):
    """A wrong password (or unknown user) is 401 with a clear message, recorded in the audit."""
    make_user("ann")
    answer = login("ann", "wrong")
    assert answer.status_code == 401 and answer.json()["detail"] == "invalid username or password"
    assert login("nobody", "x").status_code == 401
    failed = AuditEvent.objects.filter(verb="login", outcome="failure").order_by("id")
    assert [e.actor_name for e in failed] == ["ann", "nobody"]
    assert all("wrong" not in (e.path + e.object_id + e.actor_name) for e in failed)
    assert login("ann", "correct-horse-1").status_code == 200
    assert AuditEvent.objects.filter(verb="login", outcome="success", actor__username="ann").count() == 1


def test_missing_fields_are_400_naming_the_field():
    """A login without a password is 400 naming `password`."""
    answer = APIClient().post("/api/v1/auth/login", {"username": "ann"}, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "password"


def test_whoami_with_the_access_token(make_user):
    """The access token authenticates; whoami tells who and which roles."""
    make_user("ann", "operator", email="ann@example.org")
    access = login("ann", "correct-horse-1").json()["access"]
    me = bearer(access).get("/api/v1/auth/whoami")
    assert me.status_code == 200
    assert me.json() == {"id": me.json()["id"], "username": "ann", "email": "ann@example.org",
                         "is_superuser": False, "roles": ["operator"]}
    assert APIClient().get("/api/v1/auth/whoami").status_code == 401


def test_invalid_and_expired_access_tokens_are_401(make_user):
    """A tampered or expired JWT is refused with 401."""
    make_user("ann", "viewer")
    access = login("ann", "correct-horse-1").json()["access"]
    assert bearer(access[:-3] + "abc").get("/api/v1/packs/").status_code == 401
    token = AccessToken.for_user(make_user("bob", "viewer"))
    token.set_exp(from_time=timezone.now() - timedelta(hours=2))
    expired = str(token)
    answer = bearer(expired).get("/api/v1/packs/")
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_refresh_rotates_and_revokes_the_old_refresh_token(make_user):
    """Refresh gives a new pair; the old refresh token no longer works."""
    make_user("ann", "viewer")
    first = login("ann", "correct-horse-1").json()
    answer = APIClient().post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert answer.status_code == 200
    second = answer.json()
    assert second["refresh"] != first["refresh"] and second["access"]
    assert bearer(second["access"]).get("/api/v1/auth/whoami").json()["username"] == "ann"
    again = APIClient().post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert again.status_code == 401
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": "nonsense"}, format="json").status_code == 401


def test_logout_revokes_the_refresh_token(make_user):
    """After logout the refresh token is refused (204, then 401)."""
    make_user("ann", "viewer")
    tokens = login("ann", "correct-horse-1").json()
    assert APIClient().post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert AuditEvent.objects.filter(verb="logout", actor__username="ann").exists()


def test_an_inactive_user_cannot_log_in_or_use_tokens(make_user):
    """Deactivating a user stops their logins and their tokens."""
    user = make_user("ann", "viewer")
    tokens = login("ann", "correct-horse-1").json()
    user.is_active = False
    user.save()
    assert login("ann", "correct-horse-1").status_code == 401
    assert bearer(tokens["access"]).get("/api/v1/auth/whoami").status_code == 401
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_passwords_are_hashed_with_argon2_outside_tests():
    """The base settings hash passwords with argon2 first."""
    from attune.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_password_guessing_is_throttled(make_user, settings):
    """Past ATTUNE_LOGIN_RATE attempts from one address, login answers 429."""
    from django.core.cache import cache

    make_user("ann")
    cache.clear()
    settings.ATTUNE_LOGIN_RATE = "3/minute"
    answers = [login("ann", "wrong").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert login("ann", "correct-horse-1").status_code == 429
    cache.clear()


def test_whoami_shows_roles_held_through_a_group(make_user, client_for):
    """Roles given to a user's group appear in whoami with the direct ones."""
    from django.contrib.auth.models import Group

    from apps.identity.models import Role

    user = make_user("ann", "viewer")
    group = Group.objects.create(name="ops")
    group.user_set.add(user)
    Role.objects.get(name="operator").groups.add(group)
    assert client_for(user).get("/api/v1/auth/whoami").json()["roles"] == ["operator", "viewer"]
