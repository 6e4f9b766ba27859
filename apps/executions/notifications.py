"""Execution status changes and output chunks as live notifications (DESIGN.md §4).
The action ref, pack and user ride along where the announcer has them for free; the
receiving side looks up what is missing, so the hot path never queries for them."""

from __future__ import annotations

from typing import Any

from apps.core.broadcast import broadcast, notification


def on_status_changed(*, execution_id: int, status: str, previous: str, parent_id: int | None = None,
                      action_ref: str | None = None, user_id: int | None = None, **_: Any) -> None:
    payload = {"status": status, "previous": previous, "parent_id": parent_id}
    if action_ref:
        payload["action_ref"] = action_ref
    broadcast(notification(
        notification_type="execution.status_changed", entity_type="execution", entity_id=execution_id,
        payload=payload, user_id=user_id, pack=action_ref.split(".", 1)[0] if action_ref else None,
    ))


def output_written(*, execution_id: int, chunks: list[tuple[int, str, str]]) -> None:
    """Numbered chunks: a client that loaded `?after=<seq>` from the API follows from
    there, dropping what it has (no gap, no duplicate)."""
    for seq, stream, data in chunks:
        broadcast(notification(
            notification_type="execution.output", entity_type="execution", entity_id=execution_id,
            payload={"seq": seq, "stream": stream, "data": data},
        ))
