from __future__ import annotations

import contextvars
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.errors import Conflict, InvalidInput

from . import authz, tokens
from .models import ApiKey, AuditEvent, Role, RoleAssignment

User = get_user_model()
log = logging.getLogger(__name__)

# last_used_at is informative; writing it on every request would add a write to each
# API call, so it is refreshed at most once a minute.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- API keys ---------------------------------------------------------------------------
def api_key_create(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create an API key; returns it and the token, which is never shown again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at", "is in the past")
    ident = secrets.token_hex(6)
    secret = tokens.new_secret()
    key = ApiKey.objects.create(
        user=user, name=name, prefix=ident, key_hash=tokens.hash_secret(secret), expires_at=expires_at
    )
    return key, tokens.compose(tokens.API_KEY_KIND, ident, secret)


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent: a revoked key keeps its first revocation time)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


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


# --- roles and users ---------------------------------------------------------------------
def _grant_pairs(grants: Iterable[Any]) -> list[list[str]]:
    """Grants as `[[verb, resource], …]`; accepts pairs, `"verb:resource"` strings and
    `{"verb", "resource"}` objects. Raises InvalidInput naming the bad entry."""
    pairs: list[list[str]] = []
    for index, grant in enumerate(grants):
        if isinstance(grant, str) and ":" in grant:
            verb, resource = grant.split(":", 1)
        elif isinstance(grant, dict) and set(grant) == {"verb", "resource"}:
            verb, resource = grant["verb"], grant["resource"]
        elif isinstance(grant, (list, tuple)) and len(grant) == 2:
            verb, resource = grant
        else:
            raise InvalidInput(f"grants.{index}", 'must be [verb, resource], "verb:resource" or {verb, resource}')
        if verb not in (*authz.VERBS, authz.ANY):
            raise InvalidInput(f"grants.{index}", f"unknown verb {verb!r} (one of {', '.join(authz.VERBS)} or *)")
        if resource not in (*authz.RESOURCES, authz.ANY):
            raise InvalidInput(f"grants.{index}", f"unknown resource {resource!r} (one of {', '.join(authz.RESOURCES)} or *)")
        if [verb, resource] not in pairs:
            pairs.append([verb, resource])
    return pairs


def _pack_refs(packs: Iterable[Any] | None) -> list[str]:
    refs: list[str] = []
    for index, ref in enumerate(packs or ()):
        if not isinstance(ref, str) or not ref or "." in ref:
            raise InvalidInput(f"packs.{index}", "must be a pack ref")
        if ref not in refs:
            refs.append(ref)
    return refs


def role_create(*, name: str, description: str = "", grants: Iterable[Any] = (), packs: Iterable[str] | None = None) -> Role:
    """Create a custom role."""
    if Role.objects.filter(name=name).exists():
        raise Conflict(f"a role named {name!r} exists")
    return Role.objects.create(name=name, description=description, grants=_grant_pairs(grants), packs=_pack_refs(packs))


def role_update(*, role: Role, **changes: Any) -> Role:
    """Change a custom role's name, description, grants or packs (built-ins are fixed)."""
    if role.builtin:
        raise Conflict(f"the built-in role {role.name!r} cannot be changed")
    if "name" in changes and Role.objects.filter(name=changes["name"]).exclude(pk=role.pk).exists():
        raise Conflict(f"a role named {changes['name']!r} exists")
    if "grants" in changes:
        changes["grants"] = _grant_pairs(changes["grants"])
    if "packs" in changes:
        changes["packs"] = _pack_refs(changes["packs"])
    for name, value in changes.items():
        setattr(role, name, value)
    role.save()
    return role


def role_delete(*, role: Role) -> None:
    """Delete a custom role (its assignments go with it)."""
    if role.builtin:
        raise Conflict(f"the built-in role {role.name!r} cannot be deleted")
    role.delete()


def user_roles_set(*, user, roles: Iterable[Role]) -> None:
    """Make `roles` exactly the roles assigned to `user`."""
    wanted = {role.pk for role in roles}
    RoleAssignment.objects.filter(user=user).exclude(role_id__in=wanted).delete()
    have = set(RoleAssignment.objects.filter(user=user).values_list("role_id", flat=True))
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role_id=pk) for pk in wanted - have])
    authz.forget(user)


def _password_check(password: str, user=None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput("password", " ".join(exc.messages)) from None


@transaction.atomic
def user_create(*, username: str, password: str | None = None, roles: Iterable[Role] | None = None, **fields: Any):
    """Create a user (without a password: one who signs in with API keys only)."""
    if User.objects.filter(username=username).exists():
        raise Conflict(f"a user named {username!r} exists")
    user = User(username=username, **fields)
    if password:
        _password_check(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if roles is not None:
        user_roles_set(user=user, roles=roles)
    return user


@transaction.atomic
def user_update(*, user, password: str | None = None, roles: Iterable[Role] | None = None, **fields: Any):
    """Change a user's fields, password or roles."""
    if "username" in fields and User.objects.filter(username=fields["username"]).exclude(pk=user.pk).exists():
        raise Conflict(f"a user named {fields['username']!r} exists")
    for name, value in fields.items():
        setattr(user, name, value)
    if password:
        _password_check(password, user)
        user.set_password(password)
    user.save()
    if roles is not None:
        user_roles_set(user=user, roles=roles)
    return user


@transaction.atomic
def admin_ensure(*, username: str = "admin") -> tuple[object, str | None, str | None]:
    """Create the first admin with a random password and an API key, once, holding
    the admin role. Returns (user, password, token); password and token are None if it
    existed."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None, None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(username=username, email="", password=password)
    admin_role = Role.objects.filter(name="admin").first()
    if admin_role is not None:
        RoleAssignment.objects.get_or_create(user=user, role=admin_role)
    _, token = api_key_create(user=user, name="created by `make up`")
    return user, password, token


# --- audit -----------------------------------------------------------------------------
# What a request has recorded by itself (a decrypt), so the audit middleware does not
# record the same act twice. Set by the middleware for the length of a request.
audit_recorded: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "audit_recorded", default=None
)


def actor_name(actor: Any) -> str:
    if actor is None:
        return ""
    if isinstance(actor, tokens.ScopedPrincipal):
        return f"{actor.kind}:{actor.subject_id}"
    return getattr(actor, "username", "") or str(actor)


def audit_record(
    *, actor: Any, verb: str, object_type: str = "", object_id: Any = "", source: str = "",
    outcome: str = "success", status_code: int | None = None, method: str = "", path: str = "",
    actor_label: str | None = None,
) -> AuditEvent | None:
    """Record who did what to which object. Never pass request bodies or secret
    values: the object's id or ref is all an audit event holds. An audit failure is
    logged, never raised into the caller's request."""
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    recorded = audit_recorded.get()
    if recorded is not None:
        recorded.append((verb, object_type or ""))
    try:
        return AuditEvent.objects.create(
            actor=user, actor_name=(actor_label if actor_label is not None else actor_name(actor))[:200],
            verb=verb[:32], object_type=(object_type or "")[:64], object_id=str(object_id or "")[:255],
            source=(source or "")[:64], outcome=outcome[:16], status_code=status_code, method=method[:8],
            path=path[:500],
        )
    except Exception:  # noqa: BLE001 - an audit write must not turn a request into a 500
        log.exception("could not record an audit event (%s %s)", verb, object_type)
        return None
