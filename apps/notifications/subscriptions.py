"""The subscribe protocol's filters (DESIGN.md §4): parsing, and whether a
notification matches one. Pure; authorisation is decided in `access`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Entity types that produce notifications, and the RBAC resource each belongs to.
# Inquiries and artifacts are listed so their subscriptions are valid today; they
# produce notifications once their apps exist.
RESOURCES = {
    "execution": "executions",
    "event": "events",
    "enforcement": "enforcements",
    "inquiry": "inquiries",
    "artifact": "artifacts",
}
NOTIFICATION_TYPES = {
    "execution.status_changed": "execution",
    "execution.output": "execution",
    "event.status_changed": "event",
    "enforcement.created": "enforcement",
    "inquiry.status_changed": "inquiry",
    "artifact.changed": "artifact",
}
# Output is a stream, not a status: it goes only to clients that follow it by name
# (an entity or the output notification type), not to "all" or an entity type.
_EXPLICIT_ONLY = {"execution.output"}


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Filter:
    kind: str  # all | entity_type | entity | user | notification_type
    entity_type: str | None = None
    entity_id: int | None = None
    user_id: int | None = None
    notification_type: str | None = None
    text: str = ""

    def matches(self, message: dict[str, Any]) -> bool:
        ntype = message["notification_type"]
        if self.kind == "notification_type":
            return ntype == self.notification_type
        if self.kind == "entity":
            return message["entity_type"] == self.entity_type and message["entity_id"] == self.entity_id
        if ntype in _EXPLICIT_ONLY:
            return False
        if self.kind == "all":
            return True
        if self.kind == "entity_type":
            return message["entity_type"] == self.entity_type
        return message.get("user_id") == self.user_id

    @property
    def resource(self) -> str | None:
        """The RBAC resource the filter reads, when it names one."""
        if self.entity_type:
            return RESOURCES[self.entity_type]
        if self.notification_type:
            return RESOURCES[NOTIFICATION_TYPES[self.notification_type]]
        return None


def _entity_type(name: str) -> str:
    if name not in RESOURCES:
        raise FilterError(f"unknown entity type {name!r}; expected one of {', '.join(sorted(RESOURCES))}")
    return name


def _int(value: str, what: str) -> int:
    if not value.isdigit():
        raise FilterError(f"{what} must be a number, got {value!r}")
    return int(value)


def parse(text: Any) -> Filter:
    """`all`, `entity_type:<t>`, `entity:<t>:<id>`, `user:<id>` or
    `notification_type:<n>`; a FilterError says what is wrong."""
    if not isinstance(text, str) or not text:
        raise FilterError("filter must be a non-empty string")
    if text == "all":
        return Filter("all", text=text)
    kind, _, rest = text.partition(":")
    if kind == "entity_type":
        return Filter(kind, entity_type=_entity_type(rest), text=text)
    if kind == "entity":
        entity_type, _, ident = rest.partition(":")
        return Filter(kind, entity_type=_entity_type(entity_type), entity_id=_int(ident, "entity id"), text=text)
    if kind == "user":
        return Filter(kind, user_id=_int(rest, "user id"), text=text)
    if kind == "notification_type":
        if rest not in NOTIFICATION_TYPES:
            raise FilterError(
                f"unknown notification type {rest!r}; expected one of {', '.join(sorted(NOTIFICATION_TYPES))}"
            )
        return Filter(kind, notification_type=rest, text=text)
    raise FilterError(
        f"unknown filter {text!r}; expected all, entity_type:<type>, entity:<type>:<id>, user:<id> "
        "or notification_type:<type>"
    )
