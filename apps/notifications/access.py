"""Who may receive what over the WebSocket: the API's authentication classes and the
one authoriser (apps.identity.authz), so a client sees exactly what the REST API
would show it. Synchronous: the consumer calls these through database_sync_to_async."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.apps import apps as django_apps
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings

from apps.identity import authz
from apps.identity.tokens import ScopedPrincipal

from .subscriptions import Filter

_MODELS = {"execution": "executions.Execution", "event": "automation.Event", "enforcement": "automation.Enforcement"}


def user_from_token(token: str):
    """The user a bearer token (JWT access token or API key) speaks for, else None.
    Scoped tokens (executions, sensors) are not for live updates."""
    http = HttpRequest()
    http.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    request = Request(http)
    for auth_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(auth_class, SessionAuthentication):
            continue
        try:
            found = auth_class().authenticate(request)
        except exceptions.AuthenticationFailed:
            continue
        if found is not None:
            user = found[0]
            if isinstance(user, ScopedPrincipal) or not getattr(user, "is_active", False):
                return None
            return user
    return None


def token_expiry(token: str) -> float | None:
    """When a JWT expires (its `exp`, already verified at authentication); None for
    other tokens (API keys are checked again at each re-check)."""
    if token.count(".") != 2:
        return None
    try:
        from rest_framework_simplejwt.tokens import UntypedToken

        return float(UntypedToken(token, verify=False)["exp"])
    except Exception:  # noqa: BLE001 - not a JWT after all
        return None


def user_still_valid(user) -> bool:
    """A session user who was deactivated or deleted loses the stream."""
    model = type(user)
    return model.objects.filter(pk=user.pk, is_active=True).exists()


def forget(user) -> None:
    authz.forget(user)


def may_subscribe(user, subscription: Filter) -> str | None:
    """None when allowed, else the reason it is refused."""
    if subscription.kind == "user" and subscription.user_id != user.pk and not authz.can(user, "read", "users"):
        return "only your own user's notifications"
    resource = subscription.resource
    if resource is not None and resource in authz.RESOURCES and not authz.can(user, "read", resource):
        return f"not allowed to read {resource}"
    if subscription.kind == "entity" and subscription.entity_type in _MODELS:
        model = django_apps.get_model(_MODELS[subscription.entity_type])
        visible = authz.restrict(model.objects.filter(pk=subscription.entity_id), user, "read", resource)
        if not visible.exists():
            return f"no {subscription.entity_type} {subscription.entity_id} you may read"
    return None


def may_receive(user, message: dict[str, Any]) -> bool:
    resource = _resource_of(message["entity_type"])
    if resource is None:  # an entity type whose app does not exist yet
        return bool(user.is_superuser)
    return authz.can(user, "read", resource, pack=message.get("pack"))


def _resource_of(entity_type: str) -> str | None:
    from .subscriptions import RESOURCES

    resource = RESOURCES.get(entity_type)
    return resource if resource in authz.RESOURCES else None


@lru_cache(maxsize=20_000)
def execution_facts(execution_id: int) -> tuple[str | None, int | None]:
    """(pack, user id) of an execution, for notifications announced without them.
    Neither changes after creation, so they are cached for the process."""
    model = django_apps.get_model("executions.Execution")
    row = model.objects.filter(pk=execution_id).values_list("action_ref", "user_id").first()
    if row is None:
        return None, None
    return row[0].split(".", 1)[0], row[1]


def complete(message: dict[str, Any]) -> dict[str, Any]:
    if message["entity_type"] == "execution" and message.get("pack") is None:
        pack, user_id = execution_facts(message["entity_id"])
        message["pack"] = pack
        if message.get("user_id") is None:
            message["user_id"] = user_id
    return message
