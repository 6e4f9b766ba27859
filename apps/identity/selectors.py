from __future__ import annotations

from django.db.models import Q

from .models import Role


def user_role_names(*, user) -> list[str]:
    """The names of the roles a user holds, directly or through a group."""
    if user is None or not getattr(user, "pk", None):
        return []
    return sorted(set(Role.objects.filter(Q(assignments__user_id=user.pk) | Q(groups__user__id=user.pk))
                      .values_list("name", flat=True)))
