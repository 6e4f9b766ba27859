"""ASGI entry point: HTTP (API, admin, webhooks) and, later, WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attune.settings.local")

application = get_asgi_application()
