"""ASGI entry point: HTTP (API, admin, webhooks, dashboard) and WebSocket (/ws/)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attune.settings.local")

# Django first: the routing below imports models.
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from apps.notifications.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": http_application, "websocket": websocket_application()})
