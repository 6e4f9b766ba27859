"""Registering packs from directories, uploading and uninstalling them."""

from __future__ import annotations

import fcntl
import logging
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core import schemas, signals
from apps.core.deletion import definitions_affected
from apps.core.errors import Conflict, InvalidInput, NotFound
from apps.core.refs import PACK_REF_RE

from . import archives
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


def pack_roots() -> list[Path]:
    """The directories scanned for packs: ATTUNE_PACKS_DIRS, then the upload directory."""
    roots = list(settings.ATTUNE_PACKS_DIRS)
    if settings.ATTUNE_PACKS_UPLOAD_DIR not in roots:
        roots.append(settings.ATTUNE_PACKS_UPLOAD_DIR)
    return roots


def pack_dirs() -> list[Path]:
    """Every pack directory under the scanned directories, the core pack first (hidden
    directories, such as an upload being unpacked, are skipped)."""
    found: list[Path] = []
    for root in pack_roots():
        if root.is_dir():
            found.extend(sorted(
                p for p in root.iterdir() if not p.name.startswith(".") and (p / "pack.yaml").is_file()
            ))
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


def pack_dir_for(*, path: str | None = None, ref: str | None = None) -> Path:
    """The pack directory a register request names: a `path` inside one of the scanned
    directories, or the `ref` of an installed pack or of a pack directory found there."""
    if path:
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = settings.BASE_DIR / candidate
        candidate = candidate.resolve()
        if not any(root == candidate.parent for root in pack_roots()):
            raise InvalidInput("path", "must be a pack directory directly inside ATTUNE_PACKS_DIRS or the upload directory")
        if not (candidate / "pack.yaml").is_file():
            raise InvalidInput("path", f"{candidate} holds no pack.yaml")
        return candidate
    installed = Pack.objects.filter(ref=ref).values_list("path", flat=True).first()
    if installed and (Path(installed) / "pack.yaml").is_file():
        return Path(installed)
    for candidate in pack_dirs():
        if candidate.name == ref:
            return candidate
    raise InvalidInput("ref", f"no pack directory for {ref!r} in the scanned directories")


def _upload_limits() -> archives.Limits:
    return archives.Limits(
        max_bytes=settings.ATTUNE_PACK_UPLOAD_MAX_BYTES,
        max_file_bytes=settings.ATTUNE_PACK_UPLOAD_MAX_FILE_BYTES,
        max_members=settings.ATTUNE_PACK_UPLOAD_MAX_MEMBERS,
    )


def _unpacked_root(staging: Path) -> Path:
    if (staging / "pack.yaml").is_file():
        return staging
    entries = list(staging.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "pack.yaml").is_file():
        return entries[0]
    raise InvalidInput("file", "holds no pack.yaml, neither at its top nor in its one top-level directory")


def pack_upload(*, file: Any) -> Pack:
    """Install (or upgrade) a pack from an uploaded tar.gz: unpack it with the
    allow-list extractor into a fresh hidden directory of the upload directory,
    validate it, move it to `<upload dir>/<ref>` and register it. All or nothing: a
    refused archive or a pack that does not load leaves no file and no row behind,
    and an earlier upload of the same pack is put back as it was.

    A pack installed from ATTUNE_PACKS_DIRS (the core pack among them) cannot be
    replaced by an upload (Conflict)."""
    limits = _upload_limits()
    size = getattr(file, "size", None)
    if size is not None and size > limits.max_bytes:
        raise InvalidInput("file", f"is larger than {limits.max_bytes} bytes")
    upload_dir = settings.ATTUNE_PACKS_UPLOAD_DIR
    upload_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=upload_dir))
    backup: Path | None = None
    # Two uploads of the same pack at once would each move the other's directory
    # away: the move and the registration happen under one lock of the upload
    # directory (uploads are unpacked on this host's disk, so a file lock suffices).
    lock = open(upload_dir / ".lock", "a")  # noqa: SIM115 - closed in finally
    try:
        archives.extract(file, staging, limits)
        fcntl.flock(lock, fcntl.LOCK_EX)
        root = _unpacked_root(staging)
        ref = _manifest(root)["ref"]
        target = upload_dir / ref
        existing = Pack.objects.filter(ref=ref).first()
        if existing is not None and Path(existing.path) != target:
            raise Conflict(f"pack {ref!r} is installed from {existing.path}; an upload cannot replace it")
        if target.exists():
            backup = upload_dir / f".replaced-{ref}-{uuid.uuid4().hex[:8]}"
            target.rename(backup)
        root.rename(target)
        try:
            pack = pack_register(path=target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            if backup is not None:
                backup.rename(target)
                backup = None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
        lock.close()  # releases the flock
    return pack


def pack_uninstall(*, ref: str) -> None:
    """Remove a pack: its actions, runtimes, triggers, rules and workflow graphs.
    Execution, event and enforcement history stays (those rows keep the refs they
    were made with). The core pack cannot be removed, nor a pack whose triggers or
    actions rules of other packs use (Conflict naming them). An uploaded pack's
    directory is deleted once the rows are gone."""
    pack = Pack.objects.filter(ref=ref).first()
    if pack is None:
        raise NotFound(f"no pack named {ref!r}")
    if pack.ref == "core":
        raise Conflict("the core pack ships with the platform and cannot be uninstalled")
    with transaction.atomic():
        pack = Pack.objects.select_for_update().get(pk=pack.pk)
        dependents = definitions_affected(pack, outside_pack=pack.pk)
        if dependents:
            raise Conflict(f"pack {ref!r} is used by {', '.join(dependents)}; remove or change those first")
        path = Path(pack.path) if pack.path else None
        pack.delete()
        signals.emit("pack.uninstalled", ref=ref)
        if path is not None and path.parent == settings.ATTUNE_PACKS_UPLOAD_DIR:
            transaction.on_commit(lambda: shutil.rmtree(path, ignore_errors=True))
    log.info("uninstalled pack %s", ref)


def pack_content_ref(*, data: dict[str, Any], kind: str) -> tuple[Pack, str]:
    """The pack and the full ref a create request names, by `ref` (`<pack>.<name>`) or
    by `pack` and `name`; InvalidInput naming the field otherwise."""
    from apps.core.refs import split_ref

    given_ref, pack_ref, name = data.get("ref"), data.get("pack"), data.get("name")
    if given_ref:
        pack_ref_of_ref, name = split_ref(str(given_ref))
        if pack_ref and pack_ref != pack_ref_of_ref:
            raise InvalidInput("ref", f"{given_ref!r} belongs to pack {pack_ref_of_ref!r}, not {pack_ref!r}")
        pack_ref = pack_ref_of_ref
    if not pack_ref:
        raise InvalidInput("pack", f"is required (or a ref of the form <pack>.<name>) to create {kind}")
    if not name:
        raise InvalidInput("name", f"is required (or a ref of the form <pack>.<name>) to create {kind}")
    pack = Pack.objects.filter(ref=str(pack_ref)).first()
    if pack is None:
        raise InvalidInput("pack", f"no pack named {pack_ref!r}")
    ref = f"{pack.ref}.{name}"
    split_ref(ref, field="name")
    return pack, ref
