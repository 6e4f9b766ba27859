from __future__ import annotations

from rest_framework.permissions import BasePermission

from .tokens import ScopedPrincipal


class IsAuthenticatedUser(BasePermission):
    """The default for every endpoint: a signed-in, active user. Scoped tokens
    (executions, sensors) pass only where a view lists their kind in
    `scoped_token_kinds`, and that view limits them to their own data."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if isinstance(user, ScopedPrincipal):
            return user.kind in getattr(view, "scoped_token_kinds", ())
        return bool(user and user.is_authenticated and user.is_active)
