"""Domain errors raised by services; the API turns them into HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a request the platform refuses, with a message fit for the user."""

    status_code = 400


class InvalidInput(DomainError):
    """Bad input: `field` names where (a dotted path), `reason` says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409
