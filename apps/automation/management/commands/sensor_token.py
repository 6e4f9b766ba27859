from django.core.management.base import BaseCommand, CommandError

from apps.automation.services.sensors import sensor_token_issue
from apps.core.errors import NotFound


class Command(BaseCommand):
    help = ("Issue a token for a sensor run by hand (ATTUNE_API_TOKEN): it may only post events of the "
            "sensor's triggers, and replaces the sensor's previous token.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("ref")

    def handle(self, *args, ref: str, **options) -> None:
        try:
            self.stdout.write(sensor_token_issue(ref=ref))
        except NotFound as exc:
            raise CommandError(str(exc)) from None
