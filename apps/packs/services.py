"""Registering packs from directories."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core import schemas, signals
from apps.core.errors import InvalidInput
from apps.core.refs import PACK_REF_RE

from .errors import LoadError, PackLoadError
from .models import Pack
from .registry import LoadContext, loaders, pick
from .yamlfiles import read_mapping

log = logging.getLogger(__name__)

_SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)*$")


def _manifest(pack_dir: Path) -> dict[str, Any]:
    manifest = pack_dir / "pack.yaml"
    if not manifest.is_file():
        raise PackLoadError([LoadError(str(manifest), "", "not found: a pack directory needs a pack.yaml")])
    try:
        data = read_mapping(manifest)
        ref = str(pick(data, "ref", "name", default=""))
        if not PACK_REF_RE.match(ref):
            raise InvalidInput("ref", f"{ref!r} must match [a-z][a-z0-9_-]*")
        version = str(data.get("version", "0.1.0"))
        if not _SEMVER_RE.match(version):
            raise InvalidInput("version", f"{version!r} is not a semantic version such as 1.0.0")
        conf_schema = data.get("conf_schema") or data.get("config_schema") or {}
        schemas.check_schema(conf_schema, field="conf_schema")
        config = data.get("config") or {}
        if not isinstance(config, dict):
            raise InvalidInput("config", "must be a mapping")
        for name in ("tags", "keywords"):
            if data.get(name) is not None and not isinstance(data[name], list):
                raise InvalidInput(name, "must be a list")
    except InvalidInput as exc:
        raise PackLoadError([LoadError(f"{pack_dir.name}/pack.yaml", exc.field, exc.reason)]) from None
    data["ref"], data["version"], data["conf_schema"], data["config"] = ref, version, conf_schema, config
    return data


def pack_register(*, path: str | Path) -> Pack:
    """Register (or re-register) the pack in `path`: an upsert by ref of everything it
    defines, removing what its files no longer define. All or nothing: on any error
    nothing changes and PackLoadError lists every problem with its file and field."""
    pack_dir = Path(path).resolve()
    data = _manifest(pack_dir)
    with transaction.atomic():
        pack, _ = Pack.objects.update_or_create(
            ref=data["ref"],
            defaults={
                "label": str(data.get("label") or data["ref"]),
                "description": str(data.get("description") or ""),
                "version": data["version"],
                "author": str(data.get("author") or ""),
                "email": str(data.get("email") or ""),
                "conf_schema": data["conf_schema"],
                "config": schemas.apply_defaults(data["conf_schema"], data["config"]),
                "tags": list(data.get("tags") or data.get("keywords") or []),
                "system": bool(data.get("system", False)),
                "enabled": bool(data.get("enabled", True)),
                "path": str(pack_dir),
            },
        )
        ctx = LoadContext(pack=pack, pack_dir=pack_dir)
        for loader in loaders():
            loader.load(ctx)
        if ctx.errors:
            raise PackLoadError(ctx.errors)
        signals.emit("pack.registered", pack=pack)
    log.info("registered pack %s from %s", pack.ref, pack_dir)
    return pack


@dataclass
class RegisterOutcome:
    path: Path
    pack: Pack | None
    error: PackLoadError | None


def pack_dirs() -> list[Path]:
    """Every pack directory under ATTUNE_PACKS_DIRS, the core pack first."""
    found: list[Path] = []
    for root in settings.ATTUNE_PACKS_DIRS:
        if root.is_dir():
            found.extend(sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file()))
    return sorted(found, key=lambda p: (p.name != "core", p.name))


def packs_register_all() -> list[RegisterOutcome]:
    """Register every pack in ATTUNE_PACKS_DIRS; a broken pack is reported, not fatal."""
    outcomes = []
    for pack_dir in pack_dirs():
        try:
            outcomes.append(RegisterOutcome(pack_dir, pack_register(path=pack_dir), None))
        except PackLoadError as exc:
            outcomes.append(RegisterOutcome(pack_dir, None, exc))
    return outcomes
