from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.identity.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a user and print it (it is shown only once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="created with manage.py api_key_create")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        _, token = api_key_create(user=user, name=name)
        self.stdout.write(token)
