"""Refs are `<pack>.<name>`; pack refs match `[a-z][a-z0-9_-]*`."""

from __future__ import annotations

import re

from .errors import InvalidInput

PACK_REF_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def split_ref(ref: str, *, field: str = "ref") -> tuple[str, str]:
    """Split `pack.name` into its parts, refusing anything else."""
    if not isinstance(ref, str) or "." not in ref:
        raise InvalidInput(field, f"{ref!r} is not a ref of the form <pack>.<name>")
    pack, name = ref.split(".", 1)
    if not PACK_REF_RE.match(pack):
        raise InvalidInput(field, f"pack {pack!r} must match [a-z][a-z0-9_-]*")
    if not NAME_RE.match(name):
        raise InvalidInput(field, f"name {name!r} may only contain letters, digits, '_', '-' and '.'")
    return pack, name


def qualify(name_or_ref: str, pack: str, *, field: str = "ref") -> str:
    """A bare name gets the pack prefix; a full ref must belong to that pack."""
    if "." in name_or_ref:
        ref_pack, _ = split_ref(name_or_ref, field=field)
        if ref_pack != pack:
            raise InvalidInput(field, f"{name_or_ref!r} belongs to pack {ref_pack!r}, not {pack!r}")
        return name_or_ref
    ref = f"{pack}.{name_or_ref}"
    split_ref(ref, field=field)
    return ref
