"""The authoriser: the only place that decides who may do what. The API (through
`permissions.RbacPermission` and `filters.RbacFilterBackend`), the WebSocket and the
dashboard all ask here.

A user's roles grant `(verb, resource type)` pairs, each optionally limited to a list of
packs. Objects of pack content are tied to their pack through the ORM path in
`_MODELS` (model labels are strings: identity imports no higher app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from .tokens import ScopedPrincipal

VERBS = ("read", "create", "update", "delete", "execute", "cancel", "respond", "decrypt", "manage")
RESOURCES = (
    "packs", "actions", "runtimes", "triggers", "sensors", "rules", "events", "enforcements",
    "executions", "workflows", "keys", "workers", "users", "roles", "api_keys", "audit_events",
)
ANY = "*"
# Resources a user holds only their own of (their API keys): a pack-limited grant on
# them still counts, for the user's own objects; `manage` (everyone's) needs a global one.
OWN_RESOURCES = frozenset({"api_keys"})


@dataclass(frozen=True)
class PackPath:
    """How a model's rows name their pack: an ORM path to the pack's ref, or (prefix)
    a field holding a `<pack>.<name>` ref, which needs no join and survives the
    deletion of the object it names."""

    path: str
    prefix: bool = False


# model label -> (resource type, pack path or None for resources outside packs)
_MODELS: dict[str, tuple[str, PackPath | None]] = {
    "packs.Pack": ("packs", PackPath("ref")),
    "packs.Runtime": ("runtimes", PackPath("pack__ref")),
    "executions.Action": ("actions", PackPath("pack__ref")),
    "executions.Execution": ("executions", PackPath("action_ref", prefix=True)),
    "executions.Worker": ("workers", None),
    "automation.Trigger": ("triggers", PackPath("pack__ref")),
    "automation.Sensor": ("sensors", PackPath("pack__ref")),
    "automation.Rule": ("rules", PackPath("pack__ref")),
    # Events belong to their trigger's pack (a webhook rule's events to core.webhook's).
    "automation.Event": ("events", PackPath("trigger_ref", prefix=True)),
    "automation.Enforcement": ("enforcements", PackPath("rule_ref", prefix=True)),
    "workflows.WorkflowDefinition": ("workflows", PackPath("action__pack__ref")),
    "workflows.WorkflowExecution": ("workflows", PackPath("execution__action_ref", prefix=True)),
    "keys.Key": ("keys", PackPath("pack_ref")),
    "auth.User": ("users", None),
    "identity.Role": ("roles", None),
    "identity.ApiKey": ("api_keys", None),
    "identity.AuditEvent": ("audit_events", None),
}


def register_model(label: str, resource: str, pack_path: PackPath | None) -> None:
    """Tell the authoriser about a model (a higher app calls this from `ready()` when
    its model's pack field differs from the table above)."""
    _MODELS[label] = (resource, pack_path)


def resource_for_model(model: Any) -> str | None:
    entry = _MODELS.get(model._meta.label)
    return entry[0] if entry else None


def pack_path_for_model(model: Any) -> PackPath | None:
    entry = _MODELS.get(model._meta.label)
    return entry[1] if entry else None


def has_pack_scope(resource: str) -> bool:
    """True when objects of `resource` belong to packs (pack-limited grants apply)."""
    return any(res == resource and path is not None for res, path in _MODELS.values())


@dataclass
class Grants:
    """A user's grants, computed once per request: `everywhere` holds pairs granted
    for every pack, `in_packs` the packs each pack-limited pair is granted in."""

    everywhere: set[tuple[str, str]] = field(default_factory=set)
    in_packs: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, verb: str, resource: str, packs: list[str] | None) -> None:
        if packs:
            self.in_packs.setdefault((verb, resource), set()).update(packs)
        else:
            self.everywhere.add((verb, resource))

    def _keys(self, verb: str, resource: str) -> tuple[tuple[str, str], ...]:
        return ((verb, resource), (ANY, resource), (verb, ANY), (ANY, ANY))

    def global_(self, verb: str, resource: str | None) -> bool:
        if resource is None:
            return (ANY, ANY) in self.everywhere or (verb, ANY) in self.everywhere
        return any(key in self.everywhere for key in self._keys(verb, resource))

    def packs(self, verb: str, resource: str) -> set[str]:
        out: set[str] = set()
        for key in self._keys(verb, resource):
            out |= self.in_packs.get(key, set())
        return out


_ADMIN = Grants(everywhere={(ANY, ANY)})
_NOTHING = Grants()
_CACHE_ATTR = "_attune_grants"


def grants_for(user: Any) -> Grants:
    """The grants of a user, cached on the user object (which lives for one request):
    one query per request, whatever the number of checks."""
    if user is None or isinstance(user, ScopedPrincipal) or not getattr(user, "is_authenticated", False):
        return _NOTHING
    if not user.is_active:
        return _NOTHING
    if user.is_superuser:
        return _ADMIN
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from .models import Role

    grants = Grants()
    rows = Role.objects.filter(Q(assignments__user_id=user.pk) | Q(groups__user__id=user.pk)).values_list(
        "grants", "packs"
    )
    for role_grants, packs in rows:
        for verb, resource in role_grants or ():
            grants.add(verb, resource, packs or None)
    setattr(user, _CACHE_ATTR, grants)
    return grants


def forget(user: Any) -> None:
    """Drop the cached grants (after changing the user's roles in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_admin(user: Any) -> bool:
    """Holds every verb on every resource (superusers and the admin role)."""
    return (ANY, ANY) in grants_for(user).everywhere


def can(user: Any, verb: str, resource: str | None, pack: str | None = None) -> bool:
    """May `user` do `verb` on `resource`? With `pack`, in that pack; without, in at
    least one pack (or everywhere). Pack-limited grants count only for resources that
    live in packs."""
    grants = grants_for(user)
    if grants.global_(verb, resource):
        return True
    if resource in OWN_RESOURCES and verb != "manage":
        return bool(grants.packs(verb, resource))
    if resource is None or not has_pack_scope(resource):
        return False
    packs = grants.packs(verb, resource)
    return pack in packs if pack is not None else bool(packs)


def can_object(user: Any, verb: str, obj: Any, resource: str | None = None) -> bool:
    """May `user` do `verb` on this object (in the object's own pack)?"""
    resource = resource or resource_for_model(type(obj))
    grants = grants_for(user)
    if grants.global_(verb, resource):
        return True
    path = pack_path_for_model(type(obj))
    if resource is None or path is None:
        return False
    pack = pack_of(obj, path)
    return pack is not None and pack in grants.packs(verb, resource)


def require(user: Any, verb: str, resource: str, pack: str | None = None) -> None:
    """Raise NotAuthenticated (401) for no user, PermissionDenied (403) unless `can`."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not can(user, verb, resource, pack=pack):
        where = f" in pack {pack!r}" if pack else ""
        raise PermissionDenied(f"you may not {verb} {resource}{where}")


def can_global(user: Any, verb: str, resource: str) -> bool:
    """May `user` do `verb` on `resource` in every pack? What things that belong to no
    pack but reach every pack (system keys) need: a pack-limited grant is not enough."""
    return grants_for(user).global_(verb, resource)


def restrict(queryset: QuerySet, user: Any, verb: str = "read", resource: str | None = None) -> QuerySet:
    """The rows of `queryset` whose pack the user may `verb` in (all of them with a
    global grant, none without any). Scoped tokens pass through: the views that accept
    them limit them to their own data."""
    if isinstance(user, ScopedPrincipal):
        return queryset
    resource = resource or resource_for_model(queryset.model)
    grants = grants_for(user)
    if grants.global_(verb, resource):
        return queryset
    path = pack_path_for_model(queryset.model)
    if resource is None or path is None:
        return queryset.none()
    packs = grants.packs(verb, resource)
    if not packs:
        return queryset.none()
    if not path.prefix:
        return queryset.filter(**{f"{path.path}__in": sorted(packs)})
    condition = Q()
    for pack in sorted(packs):
        condition |= Q(**{f"{path.path}__startswith": f"{pack}."})
    return queryset.filter(condition)


def pack_of(obj: Any, path: PackPath | None = None) -> str | None:
    """The ref of the pack an object belongs to, or None."""
    path = path or pack_path_for_model(type(obj))
    if path is None:
        return None
    value: Any = obj
    for part in path.path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    if path.prefix:
        return str(value).split(".", 1)[0] if "." in str(value) else None
    return str(value)
