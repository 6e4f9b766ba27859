"""DRF's side of the authoriser: the default permission class. Which resource type a
view serves comes from `view.rbac_resource` (else from its queryset's model), the verb
from `view.action` (else from the HTTP method)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny, BasePermission

from . import authz
from .tokens import ScopedPrincipal

# view.action -> verb. Custom actions are named after what they do.
ACTION_VERBS = {
    "list": "read",
    "retrieve": "read",
    "metadata": "read",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "destroy": "delete",
    "cancel": "cancel",
    "pause": "cancel",
    "resume": "cancel",
    "rerun": "execute",
    "re_run": "execute",
    "enable": "update",
    "disable": "update",
    "decrypt": "decrypt",
    "output": "read",
    "register": "manage",
    "upload": "manage",
    "uninstall": "manage",
    "respond": "respond",
    "revoke": "delete",
}
METHOD_VERBS = {"get": "read", "head": "read", "options": "read", "post": "create", "put": "update",
                "patch": "update", "delete": "delete"}


def view_resource(view: Any) -> str | None:
    resource = getattr(view, "rbac_resource", None)
    if resource:
        return resource
    queryset = getattr(view, "queryset", None)
    return authz.resource_for_model(queryset.model) if queryset is not None else None


def view_verb(view: Any, method: str, action: str | None = None) -> str:
    """The verb of a request: the view's `rbac_verbs` override, the action's verb, and
    for views without actions (or unknown ones) the method's (any write is at least an
    update)."""
    method = method.lower()
    action = action if action is not None else getattr(view, "action", None)
    overrides = getattr(view, "rbac_verbs", None) or {}
    if action and action in overrides:
        return overrides[action]
    if method in overrides:
        return overrides[method]
    if action in ACTION_VERBS:
        return ACTION_VERBS[action]
    if action:
        return "read" if method in ("get", "head", "options") else "update"
    return METHOD_VERBS.get(method, "update")


def is_public(view: Any) -> bool:
    """Open by design: `rbac_public = True` or `permission_classes = [AllowAny]`."""
    return bool(getattr(view, "rbac_public", False)) or AllowAny in getattr(view, "permission_classes", ())


class IsAuthenticatedUser(BasePermission):
    """A signed-in, active user, whatever their roles (whoami, the schema). Scoped
    tokens (executions, sensors) pass only where a view lists their kind in
    `scoped_token_kinds`, and that view limits them to their own data."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if isinstance(user, ScopedPrincipal):
            return user.kind in getattr(view, "scoped_token_kinds", ())
        return bool(user and user.is_authenticated and user.is_active)


class RbacPermission(IsAuthenticatedUser):
    """The default for every endpoint. `has_permission` passes when the user holds the
    verb on the resource type in at least one pack (or everywhere);
    `has_object_permission` checks the object's own pack. Views open by design set
    `rbac_public = True` (or `permission_classes = [AllowAny]`)."""

    message = "you do not have permission to perform this action"

    def has_permission(self, request, view) -> bool:
        if is_public(view):
            return True
        if not super().has_permission(request, view):
            return False
        user = request.user
        if isinstance(user, ScopedPrincipal):
            return True
        verb, resource = view_verb(view, request.method), view_resource(view)
        if authz.can(user, verb, resource):
            return True
        self.message = f"you may not {verb} {resource or 'this resource'}"
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        if is_public(view) or isinstance(request.user, ScopedPrincipal):
            return True
        verb, resource = view_verb(view, request.method), view_resource(view)
        if authz.can_object(request.user, verb, obj, resource=resource):
            return True
        self.message = f"you may not {verb} this {resource or 'object'}"
        return False
