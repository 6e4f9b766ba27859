"""The embedded default: SQLite and the embedded Redis in ATTUNE_HOME, unless
ATTUNE_DATABASE_URL / ATTUNE_BROKER_URL point elsewhere."""

from .base import *  # noqa: F401,F403
