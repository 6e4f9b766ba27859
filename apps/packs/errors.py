from __future__ import annotations

from dataclasses import dataclass

from apps.core.errors import DomainError


@dataclass(frozen=True)
class LoadError:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.reason}"


class PackLoadError(DomainError):
    """A pack could not be registered; every error names the file and the field.
    Nothing of the pack was changed."""

    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
