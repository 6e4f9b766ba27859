"""The built-in roles as they were first made. apps/identity/roles.py holds the current
definitions and applies them after every migrate (post_migrate)."""

from django.db import migrations

CONTENT = ["actions", "runtimes", "triggers", "sensors", "rules", "events", "enforcements", "executions",
           "workflows", "keys"]
READABLE = ["packs", *CONTENT, "workers"]
WRITES = ["create", "update", "delete", "execute", "cancel", "respond"]

BUILTIN = {
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


def create(apps, schema_editor):
    Role = apps.get_model("identity", "Role")
    for name, (description, grants) in BUILTIN.items():
        Role.objects.update_or_create(
            name=name, defaults={"description": description, "grants": grants, "packs": [], "builtin": True}
        )


def remove(apps, schema_editor):
    apps.get_model("identity", "Role").objects.filter(name__in=BUILTIN, builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_roles_and_audit")]
    operations = [migrations.RunPython(create, remove)]
