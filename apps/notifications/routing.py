"""The WebSocket application: origin check, session authentication, routes."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from .consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]


class _BrowserOriginValidator(OriginValidator):
    """Browsers always send Origin on a WebSocket handshake, so a page on another site
    is refused (its request would carry the user's session cookie). Clients that send
    no Origin are programs (the CLI), not a browser page, and authenticate by token."""

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def websocket_application():
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return _BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), allowed)
