"""`make up`: the whole platform on the embedded default, in one command."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.identity.services import admin_ensure
from apps.packs.services import packs_register_all
from attune import embedded
from attune.supervisor import Role, Supervisor

ACTION_QUEUES = ["runtime.shell", "runtime.python", "runtime.node", "runtime.native", "runtime.http"]


class Command(BaseCommand):
    help = "Start every role (broker, ASGI server, executor, action worker, scheduler); Ctrl-C stops them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.ATTUNE_PORT)
        parser.add_argument("--host", default=os.environ.get("ATTUNE_HOST", "127.0.0.1"))
        parser.add_argument("--action-threads", type=int, default=int(os.environ.get("ATTUNE_ACTION_THREADS", "8")))

    def handle(self, *args, port: int, host: str, action_threads: int, **options) -> None:
        home = settings.ATTUNE_HOME
        home.mkdir(parents=True, exist_ok=True)
        supervisor = Supervisor()
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "attune.settings.local"),
               "PYTHONUNBUFFERED": "1"}

        if settings.ATTUNE_BROKER_IS_EMBEDDED:
            sock = settings.ATTUNE_EMBEDDED_REDIS_SOCKET
            if sock.exists():
                sock.unlink()  # left behind by a run that was killed
            supervisor.add(Role("broker", embedded.redis_argv(sock, home), env=env, stop_last=True))
            if not embedded.wait_for_socket(sock):
                supervisor.stop()
                raise CommandError(f"the embedded broker did not start (socket {sock})")

        self.stdout.write("Preparing the database and packs…")
        call_command("migrate", interactive=False, verbosity=0)
        for outcome in packs_register_all():
            if outcome.error:
                self.stderr.write(f"pack {outcome.path.name} not registered:\n{outcome.error}")
            else:
                self.stdout.write(f"  pack {outcome.pack.ref} registered")
        _, password, token = admin_ensure()
        if password:
            self.stdout.write(self.style.SUCCESS(
                "\nCreated the admin user (shown once, keep them):\n"
                f"  username:  admin (role admin)\n  password:  {password}\n  API token: {token}\n"
                "Users, roles, API keys and sign-in: docs/security.md\n"
            ))

        celery = [python, "-m", "celery", "-A", "attune", "--quiet", "worker", "--without-gossip", "--without-mingle",
                  "--loglevel", "WARNING"]
        supervisor.add(Role("web", [python, "-m", "uvicorn", "attune.asgi:application", "--host", host,
                                    "--port", str(port), "--no-access-log", "--lifespan", "off"], env=env))
        supervisor.add(Role("executor", [*celery, "-Q", "attune.executor", "-P", "solo", "-n", "executor@%h"], env=env))
        supervisor.add(Role("actions", [*celery, "-Q", ",".join(ACTION_QUEUES), "-P", "threads",
                                        "-c", str(action_threads), "-n", "actions@%h"], env=env))
        supervisor.add(Role("scheduler", [python, str(settings.BASE_DIR / "manage.py"), "scheduler"], env=env))
        self.stdout.write(self.style.SUCCESS(
            f"\nAttune is up: API and admin on http://{host}:{port}/ (Ctrl-C stops everything)\n"
        ))
        code = supervisor.run()
        self.stdout.write("Attune stopped.")
        if code:
            raise CommandError("a role kept failing; see its output above")
