"""Extracting an uploaded pack archive (tar.gz) with an allow-list: regular files and
directories only, relative names without `..`, and limits on the member count, the
size of one file and the total size. Files are written by this module, never by
`tarfile.extract`, so nothing but what passed the checks reaches the disk, and every
write happens inside the fresh directory it is given."""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from apps.core.errors import InvalidInput

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # all files together, uncompressed
    max_file_bytes: int
    max_members: int


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput("file", reason)


def _safe_parts(name: str) -> tuple[str, ...]:
    """The member's path as parts, or a refusal for anything that could leave the
    destination (absolute, `..`, drive letters, backslashes, NUL)."""
    if not name or "\x00" in name or "\\" in name:
        raise _refuse(f"member {name!r} has an invalid name")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise _refuse(f"member {name!r} has an absolute path")
    parts = tuple(part for part in path.parts if part not in ("", "."))
    if ".." in parts:
        raise _refuse(f"member {name!r} points outside the archive (`..`)")
    if parts and ":" in parts[0]:
        raise _refuse(f"member {name!r} has an invalid name")
    return parts


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device file"
    if member.isfifo():
        return "a FIFO"
    return "not a regular file or directory"


def extract(source: IO[bytes], dest: Path, limits: Limits) -> None:
    """Extract the gzip-compressed tar `source` into the empty directory `dest`, or
    raise InvalidInput("file", reason) at the first member that breaks a rule (the
    caller removes `dest`)."""
    dest = dest.resolve()
    try:
        archive = tarfile.open(fileobj=source, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError):
        raise _refuse("is not a gzip-compressed tar archive") from None
    total = 0
    count = 0
    with archive:
        try:
            for member in archive:  # streamed: headers are read one at a time
                count += 1
                if count > limits.max_members:
                    raise _refuse(f"has more than {limits.max_members} members")
                parts = _safe_parts(member.name)
                if not parts:
                    if member.isdir():
                        continue  # the archive's own "./"
                    raise _refuse(f"member {member.name!r} has an invalid name")
                target = dest.joinpath(*parts)
                if member.isdir():
                    _mkdirs(dest, parts)
                elif member.isreg():
                    if member.size > limits.max_file_bytes:
                        raise _refuse(f"member {member.name!r} is larger than {limits.max_file_bytes} bytes")
                    _mkdirs(dest, parts[:-1])
                    total = _write(archive, member, target, total, limits)
                else:
                    raise _refuse(f"member {member.name!r} is {_kind(member)}; only files and directories are allowed")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise _refuse(f"is not a readable tar archive ({exc.__class__.__name__})") from None


def _mkdirs(dest: Path, parts: tuple[str, ...]) -> None:
    current = dest
    for part in parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            raise _refuse(f"{'/'.join(parts)!r} is both a file and a directory in the archive")
        current.mkdir(mode=0o755, exist_ok=True)


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path, total: int, limits: Limits) -> int:
    stream = archive.extractfile(member)
    if stream is None:
        raise _refuse(f"member {member.name!r} cannot be read")
    mode = 0o755 if member.mode & 0o100 else 0o644
    # O_EXCL: a name given twice is refused rather than overwritten; O_NOFOLLOW: never
    # through a link (none can exist here, as none is ever created; belt and braces).
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise _refuse(f"member {member.name!r} appears twice in the archive") from None
    written = 0
    with os.fdopen(fd, "wb") as out, stream:
        while chunk := stream.read(CHUNK):
            # Counted on the bytes actually written, not the header's claim.
            written += len(chunk)
            total += len(chunk)
            if written > limits.max_file_bytes:
                raise _refuse(f"member {member.name!r} is larger than {limits.max_file_bytes} bytes")
            if total > limits.max_bytes:
                raise _refuse(f"unpacks to more than {limits.max_bytes} bytes")
            out.write(chunk)
    os.chmod(target, mode)
    return total
