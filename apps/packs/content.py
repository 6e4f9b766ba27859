"""What creating, changing and deleting a pack's content through the API has in common,
whatever the content (actions in apps.executions, triggers and rules in
apps.automation): a ref taken is a Conflict, the ref and pack never change, changes
lock the row, and a delete keeps history but is refused while other definitions use
the object."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction

from apps.core.deletion import definitions_affected
from apps.core.errors import Conflict, InvalidInput, NotFound


def _named(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def content_create(model: type[models.Model], *, ref: str, fields: dict[str, Any], kind: str) -> Any:
    """Insert the object; Conflict when the ref is taken (also when a concurrent
    create took it first)."""
    if model.objects.filter(ref=ref).exists():
        raise Conflict(f"{_named(kind)} named {ref!r} already exists")
    try:
        with transaction.atomic():
            return model.objects.create(ref=ref, **fields)
    except IntegrityError:
        raise Conflict(f"{_named(kind)} named {ref!r} already exists") from None


def content_locked(model: type[models.Model], *, ref: str, kind: str) -> Any:
    """The object, its row locked for the caller's transaction; NotFound otherwise."""
    obj = model.objects.select_for_update().select_related("pack").filter(ref=ref).first()
    if obj is None:
        raise NotFound(f"no {kind} named {ref!r}")
    return obj


def content_keeps_its_name(obj: Any, data: dict[str, Any]) -> None:
    """A change may not rename the object or move it to another pack."""
    for name in ("ref", "name"):
        if name in data and data[name] not in (None, getattr(obj, name)):
            raise InvalidInput(name, "cannot be changed (create a new one instead)")
    if data.get("pack") not in (None, obj.pack.ref):
        raise InvalidInput("pack", "cannot be changed (create a new one instead)")


def content_delete(model: type[models.Model], *, ref: str, kind: str) -> None:
    """Delete the object; Conflict, naming them, while other definitions use it."""
    with transaction.atomic():
        obj = content_locked(model, ref=ref, kind=kind)
        users = definitions_affected(obj)
        if users:
            raise Conflict(f"{kind} {ref!r} is used by {', '.join(users)}; change or delete those first")
        obj.delete()
