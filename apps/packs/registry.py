"""Pack content loaders, registered by the apps that own each kind of content, run in
FORMATS.md's load order: runtimes → triggers → actions → policies → rules → sensors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import LoadError
from .models import Pack

# Workflow graphs are checked right after the actions they use are loaded.
ORDER = {"runtimes": 10, "triggers": 20, "actions": 30, "workflows": 35, "policies": 40, "rules": 50, "sensors": 60}


@dataclass
class LoadContext:
    pack: Pack
    pack_dir: Path
    errors: list[LoadError] = field(default_factory=list)
    loaded: dict[str, set[str]] = field(default_factory=dict)

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.pack_dir.parent))
        except ValueError:
            return str(path)


class ContentLoader(Protocol):
    directory: str

    def load(self, ctx: LoadContext) -> None:
        """Upsert this kind of content from `ctx.pack_dir / directory`, prune what is
        gone, and append an error (file, field, reason) for every bad definition."""


_loaders: dict[str, ContentLoader] = {}


def register_loader(loader: ContentLoader) -> None:
    _loaders[loader.directory] = loader


def loaders() -> list[ContentLoader]:
    return sorted(_loaders.values(), key=lambda loader: ORDER.get(loader.directory, 100))


def definition_files(ctx: LoadContext, directory: str) -> list[Path]:
    folder = ctx.pack_dir / directory
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def pick(data: dict[str, Any], *names: str, default: Any = None) -> Any:
    """The first of several spellings of a field (ours first, then StackStorm's)."""
    for name in names:
        if name in data and data[name] is not None:
            return data[name]
    return default


def load_definitions(ctx: LoadContext, directory: str, upsert, prune) -> set[str]:
    """Read every definition file of `directory`; `upsert(path, data)` stores one and
    returns its ref, raising InvalidInput for a bad field; `prune(refs)` removes this
    pack's objects whose file is gone. Errors are collected, not raised, so one run
    reports every problem in the pack."""
    from django.db import IntegrityError, transaction

    from apps.core.errors import InvalidInput

    from .yamlfiles import read_mapping

    refs: set[str] = set()
    for path in definition_files(ctx, directory):
        name = ctx.relative(path)
        try:
            data = read_mapping(path)
            # A savepoint per file: a database error in one definition must not poison
            # the transaction the rest of the pack is loaded in.
            with transaction.atomic():
                ref = upsert(path, data)
        except InvalidInput as exc:
            ctx.errors.append(LoadError(name, exc.field, exc.reason))
            continue
        except IntegrityError as exc:
            ctx.errors.append(LoadError(name, "ref", f"conflicts with an existing definition ({exc})"))
            continue
        if ref in refs:
            ctx.errors.append(LoadError(name, "ref", f"{ref} is defined twice in this pack"))
        refs.add(ref)
    ctx.loaded[directory] = refs
    prune(refs)
    return refs
