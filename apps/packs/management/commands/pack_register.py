from django.core.management.base import BaseCommand, CommandError

from apps.packs.errors import PackLoadError
from apps.packs.services import pack_register, packs_register_all


class Command(BaseCommand):
    help = "Register packs: the given pack directories, or every pack in ATTUNE_PACKS_DIRS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", help="pack directories (default: all in ATTUNE_PACKS_DIRS)")

    def handle(self, *args, paths: list[str], **options) -> None:
        if not paths:
            failed = 0
            for outcome in packs_register_all():
                if outcome.error:
                    failed += 1
                    self.stderr.write(f"{outcome.path}: not registered\n{outcome.error}")
                else:
                    self.stdout.write(self.style.SUCCESS(f"registered {outcome.pack.ref} ({outcome.path})"))
            if failed:
                raise CommandError(f"{failed} pack(s) could not be registered")
            return
        errors = []
        for path in paths:
            try:
                pack = pack_register(path=path)
            except PackLoadError as exc:
                errors.append(f"{path}: not registered\n{exc}")
                continue
            self.stdout.write(self.style.SUCCESS(f"registered {pack.ref} ({path})"))
        if errors:
            raise CommandError("\n".join(errors))
