from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.identity.models import Role
from apps.identity.services import user_create


@pytest.fixture
def make_user(db):
    """`make_user("ann", "viewer")`: a user with a password and the named roles."""

    def make(username: str, *roles: str, password: str = "correct-horse-1", **fields):
        return user_create(username=username, password=password,
                           roles=list(Role.objects.filter(name__in=roles)), **fields)

    return make


@pytest.fixture
def client_for():
    """An API client authenticated as `user` with a fresh login (a JWT), as a user would."""

    def make(user, password: str = "correct-horse-1") -> APIClient:
        api = APIClient()
        answer = api.post("/api/v1/auth/login", {"username": user.username, "password": password}, format="json")
        assert answer.status_code == 200, answer.content
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access']}")
        return api

    return make


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("root", password="correct-horse-1")
