from __future__ import annotations

from .models import Runtime


def runtime_for(name: str) -> Runtime | None:
    """The runtime a runner type names, by name or alias (case-insensitive)."""
    name = name.lower()
    runtime = Runtime.objects.filter(name=name).first()
    if runtime is not None:
        return runtime
    for candidate in Runtime.objects.all():
        if name in candidate.aliases:
            return candidate
    return None
