"""Production: every role its own process on PostgreSQL and Redis/RabbitMQ. Refuses to
start with a missing secret or an unsafe default, and says which."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, DEBUG, env

_required = ["ATTUNE_SECRET_KEY", "ATTUNE_ENCRYPTION_KEY", "ATTUNE_DATABASE_URL", "ATTUNE_BROKER_URL"]
_missing = [name for name in _required if not env.str(name, default="")]
if _missing:
    raise ImproperlyConfigured(f"production settings need {', '.join(_missing)} to be set")
if DEBUG:
    raise ImproperlyConfigured("ATTUNE_DEBUG must be false in production")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("production needs PostgreSQL in ATTUNE_DATABASE_URL")
if len(env.str("ATTUNE_SECRET_KEY")) < 40:
    raise ImproperlyConfigured("ATTUNE_SECRET_KEY must be at least 40 characters")

SESSION_COOKIE_SECURE = env.bool("ATTUNE_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
