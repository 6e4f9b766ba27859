"""Re-seal every encrypted value under the current master key.

Rotation: put the new key in ATTUNE_ENCRYPTION_KEY and the old one in
ATTUNE_ENCRYPTION_KEY_OLD, restart, run this command; then drop the old key."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.core.crypto import reseal_all


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under ATTUNE_ENCRYPTION_KEY (after a key rotation)."

    def handle(self, *args, **options) -> None:
        for store, count in reseal_all().items():
            self.stdout.write(f"{store}: {count} re-encrypted")
