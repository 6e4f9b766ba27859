"""Settings shared by every environment. Every tunable is an ATTUNE_* environment
variable (or a line in an optional .env), read once here with django-environ."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

ATTUNE_HOME = Path(env.str("ATTUNE_HOME", default=str(BASE_DIR / "var"))).resolve()


def home_secret(name: str, nbytes: int = 32) -> str:
    """A secret generated once into ATTUNE_HOME, so the embedded default needs no setup
    and keeps its sessions and encrypted values across restarts."""
    path = ATTUNE_HOME / name
    if not path.exists():
        ATTUNE_HOME.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("ATTUNE_SECRET_KEY", default="") or home_secret("secret_key", 50)
ATTUNE_ENCRYPTION_KEY = env.str("ATTUNE_ENCRYPTION_KEY", default="") or home_secret("encryption_key")
# Previous master keys (comma-separated), still accepted for decrypting until
# `manage.py keys_rotate` has re-sealed everything under ATTUNE_ENCRYPTION_KEY.
ATTUNE_ENCRYPTION_KEY_OLD = env.list("ATTUNE_ENCRYPTION_KEY_OLD", default=[])

DEBUG = env.bool("ATTUNE_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ATTUNE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "apps.core",
    "apps.identity",
    "apps.keys",
    "apps.packs",
    "apps.executions",
    "apps.automation",
    "apps.workflows",
    "apps.notifications",
    "apps.dashboard",
    "attune",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.identity.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "attune.urls"
ASGI_APPLICATION = "attune.asgi.application"
WSGI_APPLICATION = "attune.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "ATTUNE_DATABASE_URL", default=f"sqlite:///{ATTUNE_HOME / 'attune.sqlite3'}"
    )
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the embedded database: WAL lets readers proceed during a
    # write, IMMEDIATE takes the write lock at BEGIN (so two writers queue on the busy
    # timeout instead of failing on lock upgrade).
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections: a worker handles hundreds of messages a second and a new
    # connection per message would cost more than the work. Health checks replace a
    # connection that died with a database restart.
    _db.setdefault("CONN_MAX_AGE", env.int("ATTUNE_DB_CONN_MAX_AGE", default=300))
    _db["CONN_HEALTH_CHECKS"] = True
# Channels' live-server test machinery needs a fixed test database name (channels#2176).
_db["TEST"] = {"NAME": env.str("ATTUNE_TEST_DATABASE_NAME", default="test_attune")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- broker, channel layer, cache ------------------------------------------------------
ATTUNE_EMBEDDED_REDIS_SOCKET = ATTUNE_HOME / "redis.sock"
_embedded_broker = f"redis+socket://{ATTUNE_EMBEDDED_REDIS_SOCKET}"
ATTUNE_BROKER_URL = env.str("ATTUNE_BROKER_URL", default="") or _embedded_broker
ATTUNE_BROKER_IS_EMBEDDED = ATTUNE_BROKER_URL == _embedded_broker


def _redis_url_from_broker(url: str) -> str:
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :]
    if url.startswith(("redis://", "rediss://")):
        return url
    return ""


ATTUNE_REDIS_URL = env.str("ATTUNE_REDIS_URL", default="") or _redis_url_from_broker(ATTUNE_BROKER_URL)

CELERY_BROKER_URL = ATTUNE_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
# The database is the ledger; Celery results are never read.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = False
# Claim, then work: a message is acknowledged when its task starts, and the task claims
# its row with a compare-and-set before anything else. A long action never holds an
# unacknowledged message, so broker visibility/consumer timeouts cannot redeliver it.
# Work the broker loses is re-dispatched from the database by the reaper.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("ATTUNE_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_DEFAULT_QUEUE = "attune.executor"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens inside request handlers and scheduler loops: when the broker is
# down, fail fast and leave the row for the reaper instead of blocking for minutes.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("ATTUNE_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("ATTUNE_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 30,
}
if ATTUNE_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ drops publishes silently under resource alarms unless confirms are on.
    CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] = True
else:
    # Redis: no unacked-message bookkeeping (two Redis transactions per message). The
    # database is the ledger: a message lost with its worker before the claim is
    # re-sent by the reaper (ATTUNE_REDISPATCH_AFTER), not by the broker after its
    # visibility timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS["ack_emulation"] = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes every database connection around each task unless this
# is set, which costs a new PostgreSQL connection per task. Workers keep theirs and
# attune/celery.py applies CONN_MAX_AGE and CONN_HEALTH_CHECKS before each task, as
# Django does per request.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TASK_SEND_SENT_EVENT = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

if ATTUNE_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [ATTUNE_REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- the platform ----------------------------------------------------------------------
ATTUNE_PORT = env.int("ATTUNE_PORT", default=8000)
ATTUNE_API_URL = env.str("ATTUNE_API_URL", default=f"http://127.0.0.1:{ATTUNE_PORT}")
ATTUNE_PACKS_DIRS = [
    Path(p).resolve() for p in env.list("ATTUNE_PACKS_DIRS", default=[str(BASE_DIR / "packs")])
]
# Packs uploaded through the API are unpacked here, one directory per pack; it is
# scanned after ATTUNE_PACKS_DIRS. The limits bound what one upload may unpack.
ATTUNE_PACKS_UPLOAD_DIR = Path(env.str("ATTUNE_PACKS_UPLOAD_DIR", default=str(ATTUNE_HOME / "packs"))).resolve()
ATTUNE_PACK_UPLOAD_MAX_BYTES = env.int("ATTUNE_PACK_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
ATTUNE_PACK_UPLOAD_MAX_FILE_BYTES = env.int("ATTUNE_PACK_UPLOAD_MAX_FILE_BYTES", default=10 * 1024 * 1024)
ATTUNE_PACK_UPLOAD_MAX_MEMBERS = env.int("ATTUNE_PACK_UPLOAD_MAX_MEMBERS", default=2000)
ATTUNE_ARTIFACTS_DIR = Path(env.str("ATTUNE_ARTIFACTS_DIR", default=str(ATTUNE_HOME / "artifacts")))
ATTUNE_RUNTIME_ENVS_DIR = Path(env.str("ATTUNE_RUNTIME_ENVS_DIR", default=str(ATTUNE_HOME / "runtime_envs")))

# Delivery guarantees (DESIGN.md §3). A running execution whose heartbeat is older than
# the lease is abandoned by the reaper; the worker fences itself after the same lease.
ATTUNE_HEARTBEAT_INTERVAL = env.float("ATTUNE_HEARTBEAT_INTERVAL", default=5.0)
ATTUNE_LEASE_TIMEOUT = env.float("ATTUNE_LEASE_TIMEOUT", default=30.0)
ATTUNE_REAPER_INTERVAL = env.float("ATTUNE_REAPER_INTERVAL", default=5.0)
ATTUNE_REDISPATCH_AFTER = env.float("ATTUNE_REDISPATCH_AFTER", default=30.0)

# Live updates (/ws/notifications/): whether status changes are published at all
# (off: the API and CLI polling still work, nothing is sent to Redis pub/sub), how long
# a connection may stay unauthenticated,
# and how often a connection's token or session is checked again.
# How long the executor may answer an action lookup from memory when it advances a
# workflow (a change made elsewhere reaches running workflows within this time).
ATTUNE_ACTION_CACHE_SECONDS = env.float("ATTUNE_ACTION_CACHE_SECONDS", default=1.0)
ATTUNE_LIVE_UPDATES = env.bool("ATTUNE_LIVE_UPDATES", default=True)
ATTUNE_WS_AUTH_TIMEOUT = env.float("ATTUNE_WS_AUTH_TIMEOUT", default=10.0)
ATTUNE_WS_REAUTH_INTERVAL = env.float("ATTUNE_WS_REAUTH_INTERVAL", default=30.0)
ATTUNE_SCHEDULER_TICK = env.float("ATTUNE_SCHEDULER_TICK", default=1.0)
ATTUNE_KILL_GRACE = env.float("ATTUNE_KILL_GRACE", default=5.0)
ATTUNE_DEFAULT_ACTION_TIMEOUT = env.int("ATTUNE_DEFAULT_ACTION_TIMEOUT", default=600)
ATTUNE_OUTPUT_MAX_BYTES = env.int("ATTUNE_OUTPUT_MAX_BYTES", default=1 << 20)
ATTUNE_OUTPUT_FLUSH_INTERVAL = env.float("ATTUNE_OUTPUT_FLUSH_INTERVAL", default=0.25)
ATTUNE_WEBHOOK_MAX_BODY = env.int("ATTUNE_WEBHOOK_MAX_BODY", default=1 << 20)

# --- auth and the API ------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/admin/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.identity.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # RBAC (docs/security.md): every view is authorised per resource type and verb,
    # and lists and details show only the rows of the packs the user may read.
    "DEFAULT_PERMISSION_CLASSES": ["apps.identity.permissions.RbacPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "apps.identity.filters.RbacFilterBackend",
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.LimitPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
# Login attempts per source address (DRF rate syntax: "20/minute").
ATTUNE_LOGIN_RATE = env.str("ATTUNE_LOGIN_RATE", default="20/minute")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=env.float("ATTUNE_JWT_ACCESS_HOURS", default=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.float("ATTUNE_JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    "ALGORITHM": "HS256",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Attune API",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a `status`: one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "ExecutionStatusEnum": "apps.executions.choices.Status",
        "WorkerStatusEnum": "apps.executions.choices.WorkerStatus",
        "EventStatusEnum": "apps.automation.choices.EventStatus",
        "EnforcementStatusEnum": "apps.automation.choices.EnforcementStatus",
    },
    # The schema and Swagger UI need a signed-in user (any role), not RBAC grants.
    "SERVE_PERMISSIONS": ["apps.identity.permissions.IsAuthenticatedUser"],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ATTUNE_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOG_LEVEL = env.str("ATTUNE_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
    },
}
