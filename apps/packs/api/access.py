"""The one door every API view of packs, executions, automation and workflows uses to
ask "may this user do that?". It defers to the platform's authoriser
(`apps.identity.authz`) and, where that module is absent, allows any signed-in user
(the behaviour before RBAC). Views never decide authorisation themselves."""

from __future__ import annotations

import importlib
from typing import Any

from rest_framework.exceptions import NotAuthenticated


def _authz() -> Any | None:
    try:
        return importlib.import_module("apps.identity.authz")
    except ModuleNotFoundError:
        return None


def require(user: Any, verb: str, resource: str, pack: str | None = None) -> None:
    """Raise PermissionDenied (403) unless `user` may `verb` the `resource` type, in
    `pack` when given; NotAuthenticated (401) for no user at all."""
    authz = _authz()
    if authz is not None:
        authz.require(user, verb, resource, pack=pack)
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
