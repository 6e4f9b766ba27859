"""The built-in roles, as code. They are (re)made after every `migrate` and after a
database flush (both send post_migrate), so they exist on a fresh database, after a
test empties one, and with their current grants after an upgrade."""

from __future__ import annotations

CONTENT = ["actions", "runtimes", "triggers", "sensors", "rules", "events", "enforcements", "executions",
           "workflows", "keys"]
READABLE = ["packs", *CONTENT, "workers"]
WRITES = ["create", "update", "delete", "execute", "cancel", "respond"]

BUILTIN: dict[str, tuple[str, list[list[str]]]] = {
    "admin": ("Everything, everywhere: users, roles, API keys of all users, the audit log.", [["*", "*"]]),
    "operator": (
        "Reads everything but users, roles and the audit log; creates, changes, runs, cancels and "
        "answers packs' content; decrypts keys; creates and revokes their own API keys.",
        [["read", r] for r in READABLE]
        + [[verb, r] for r in CONTENT for verb in WRITES]
        + [["update", "packs"], ["decrypt", "keys"], ["read", "api_keys"], ["create", "api_keys"],
           ["delete", "api_keys"]],
    ),
    "viewer": (
        "Reads everything but users, roles and the audit log; changes nothing, decrypts nothing.",
        [["read", r] for r in READABLE] + [["read", "api_keys"]],
    ),
}


def roles_ensure_builtin(**_) -> None:
    """Create or correct the built-in roles (a post_migrate receiver)."""
    from .models import Role

    for name, (description, grants) in BUILTIN.items():
        Role.objects.update_or_create(
            name=name, defaults={"description": description, "grants": grants, "packs": [], "builtin": True}
        )
