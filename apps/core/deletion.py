"""What deleting a row would take with it, found with Django's deletion collector, so a
lower app can refuse to delete something a higher app's definitions use without
importing the higher app."""

from __future__ import annotations

from django.db import models, router
from django.db.models.deletion import Collector


def definitions_affected(obj: models.Model, *, outside_pack: int | None = None) -> list[str]:
    """Pack content (rows of models with a `pack` field: rules, triggers, actions…)
    that deleting `obj` would delete or change through its foreign keys, other than
    `obj` itself, as sorted `"<ref> (<model>)"` strings. With `outside_pack`, only
    rows of other packs count. History rows (executions, events, enforcements) have no
    `pack` field and never count: they keep the refs they were made with."""
    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    found: set[str] = set()

    def note(model: type[models.Model], rows) -> None:
        if not any(field.name == "pack" for field in model._meta.concrete_fields):
            return
        for row in rows:
            if model is type(obj) and row.pk == obj.pk:
                continue
            if outside_pack is not None and row.pack_id == outside_pack:
                continue
            found.add(f"{getattr(row, 'ref', row.pk)} ({model._meta.verbose_name})")

    for model, rows in collector.data.items():
        note(model, rows)
    # Rows deleted in bulk without being loaded, and rows whose foreign key is set to
    # NULL (a queryset or a list of instances each).
    for queryset in collector.fast_deletes:
        note(queryset.model, queryset)
    for batches in collector.field_updates.values():
        for batch in batches:
            if hasattr(batch, "model"):
                note(batch.model, batch)
            else:
                for row in batch:
                    note(type(row), [row])
    return sorted(found)
