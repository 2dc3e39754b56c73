"""Podium's settings: one module, read from the environment (12-factor).

Every variable is documented in `.env.example`. Unset variables fall back to
the embedded defaults (SQLite, an in-process cache and channel layer), which
serve one process; `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and
Redis. Bad values fail loudly at start-up with ImproperlyConfigured.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean variable; anything but true/false/1/0/yes/no/on/off is an error."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")
    return raw in _TRUE


DEBUG = env_bool("DEBUG", default=False)

# --- Secrets ---------------------------------------------------------------
# `make run` and `make test` set PODIUM_DEV_SECRET=1 so a newcomer needs no
# configuration; anything else with DEBUG off must bring its own key.
_DEV_SECRET_KEY = "podium-development-key-not-for-production-use-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
USING_DEV_SECRET_KEY = not SECRET_KEY
if USING_DEV_SECRET_KEY:
    if not (DEBUG or env_bool("PODIUM_DEV_SECRET", default=False)):
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY; or, on a laptop, go through make, "
            "which uses the development key (make run, make superuser, make test)."
        )
    SECRET_KEY = _DEV_SECRET_KEY  # each server process says so when it starts (config.startup)
elif len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

# `make run` sets these: it prints where everything is once the server starts.
PODIUM_WELCOME = env_bool("PODIUM_WELCOME", default=False)
_host = env.str("HOST", default="127.0.0.1")
PODIUM_BASE_URL = f"http://{'localhost' if _host in ('0.0.0.0', '::') else _host}:{env.int('PORT', default=8000)}"  # noqa: S104

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-csrftoken",
    "x-request-id",
]

# --- Applications ----------------------------------------------------------
INSTALLED_APPS = [
    "config.admin_site.PodiumAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "games",
    "scores",
    "realtime",
]

MIDDLEWARE = [
    # Outermost: every response, static files and errors included, gets an id.
    "config.middleware.RequestIdMiddleware",
    "config.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.ApiErrorMiddleware",
    "config.middleware.ContentTypeMiddleware",
    # Sessions, Django's user and messages serve the admin and the pages
    # only: the API and the health checks skip them (config.middleware.SiteOnly).
    "config.middleware.SessionMiddleware",
    "config.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "config.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database --------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's own psycopg pool: under ASGI each request runs on a new thread,
    # so persistent per-thread connections (CONN_MAX_AGE > 0) exhaust the
    # server, and CONN_MAX_AGE=0 reconnects on every request.
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        # Waiting longer than this for a connection is an outage, not load.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=5.0),
    }
    _db["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    # Podium's prepared statements (config.prepared) are planned once, when
    # prepared: by default PostgreSQL plans each run again for its values
    # whenever it guesses that might pay, which for these costs as much as
    # the run. Statements that are not prepared (all the ORM's) are planned
    # for their values as always.
    _db["OPTIONS"]["options"] = f"{_db['OPTIONS'].get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock
    # at BEGIN so concurrent writers queue instead of failing mid-transaction.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL or SQLite.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits and the channel layer -------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="podium")
if REDIS_URL and not re.match(r"^rediss?://", REDIS_URL):
    raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")

# A Redis command that takes longer than this has failed: Podium answers from
# PostgreSQL instead. After REDIS_BREAKER_FAILURES such failures in a row
# the breaker (config.circuit) stops trying for REDIS_BREAKER_OPEN_SECONDS.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=0.04)
REDIS_BREAKER_FAILURES = env.int("REDIS_BREAKER_FAILURES", default=2)
REDIS_BREAKER_OPEN_SECONDS = env.float("REDIS_BREAKER_OPEN_SECONDS", default=2.0)
if REDIS_TIMEOUT <= 0 or REDIS_BREAKER_FAILURES < 1 or REDIS_BREAKER_OPEN_SECONDS <= 0:
    raise ImproperlyConfigured("REDIS_TIMEOUT, REDIS_BREAKER_FAILURES and REDIS_BREAKER_OPEN_SECONDS must be positive.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Every connection reports to, and obeys, the Redis circuit breaker.
                "CONNECTION_POOL_CLASS": "config.circuit.GuardedConnectionPool",
                "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT,
                "CONNECTION_POOL_KWARGS": {"max_connections": env.int("REDIS_POOL_MAX", default=50)},
            },
        }
    }
    # A cache that fails answers "miss" (logged) instead of failing the
    # request: PostgreSQL still has every answer.
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    # Not each one: the breaker logs when Redis goes and comes back.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: a group is a Redis channel, and a broadcast one
            # PUBLISH that reaches every process's hub (realtime.hub) at once.
            # JSON, so that a submission's own Lua script can publish its
            # score message in the same round trip (realtime.broadcast).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}],
                "prefix": f"{REDIS_KEY_PREFIX}:asgi",
                "serializer_format": "json",
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "podium",
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # django-ratelimit refuses a per-process cache because it cannot be shared
    # between workers. Without REDIS_URL Podium serves one process, so the
    # in-process cache is exactly right; with REDIS_URL this stays an error.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Realtime -------------------------------------------------------------------
# A socket whose server process died stops counting after this many seconds;
# live sockets are refreshed three times per period.
PRESENCE_TTL_SECONDS = env.float("PRESENCE_TTL_SECONDS", default=60.0)
if not 1 <= PRESENCE_TTL_SECONDS <= 3600:
    raise ImproperlyConfigured("PRESENCE_TTL_SECONDS must be between 1 and 3600.")
# Socket caps (CONTRACT §7): a signed-in user's sockets per game, and one
# client address's anonymous sockets over every game and the lobby.
WS_MAX_PER_USER = env.int("WS_MAX_PER_USER", default=10)
WS_MAX_PER_ADDRESS = env.int("WS_MAX_PER_ADDRESS", default=100)
if WS_MAX_PER_USER < 1 or WS_MAX_PER_ADDRESS < 1:
    raise ImproperlyConfigured("WS_MAX_PER_USER and WS_MAX_PER_ADDRESS must be at least 1.")
# Redis connections per process for presence (they are waited for, not failed, in a burst).
REALTIME_REDIS_POOL_MAX = env.int("REALTIME_REDIS_POOL_MAX", default=20)
# A burst of joins and leaves is announced at most this often per game and process.
PLAYER_COUNT_COALESCE_SECONDS = 0.25

# --- Accounts, passwords and tokens -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=15)
JWT_REFRESH_DAYS = env.int("JWT_REFRESH_DAYS", default=7)
if JWT_ACCESS_MINUTES < 1 or JWT_REFRESH_DAYS < 1:
    raise ImproperlyConfigured("JWT_ACCESS_MINUTES and JWT_REFRESH_DAYS must be positive.")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a password change revokes
    # every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "LEEWAY": 0,
}

# Cookie names carry no secret; the tokens in them are HttpOnly.
ACCESS_COOKIE_NAME = "podium_access"
REFRESH_COOKIE_NAME = "podium_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth/"

# --- Rate limits (django-ratelimit syntax, counted in the shared cache) -------
SCORE_RATE = env.str("SCORE_RATE", default="30/m")
LOGIN_RATE = env.str("LOGIN_RATE", default="10/m")
REGISTER_RATE = env.str("REGISTER_RATE", default="5/m")
for _name in ("SCORE_RATE", "LOGIN_RATE", "REGISTER_RATE"):
    if not re.fullmatch(r"\d+/\d*[smhd]", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must look like 30/m (count/period, period s, m, h or d).")
RATELIMIT_USE_CACHE = "default"
# When the shared cache cannot count (Redis down), let requests through and
# keep serving; the outage itself is logged and /readyz reports it.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = "rl:"

# --- Leaderboards -----------------------------------------------------------
# Days a finished day, week or month stays readable (?at=) after it ends;
# purge_past_periods deletes the entries of older ones.
PAST_PERIODS_DAYS = env.int("PAST_PERIODS_DAYS", default=400)
if PAST_PERIODS_DAYS < 1:
    raise ImproperlyConfigured("PAST_PERIODS_DAYS must be at least 1.")

# --- HTTP security ----------------------------------------------------------
MAX_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Reverse proxies (their addresses) trusted to name the client in X-Real-IP;
# deploy/serve's nginx on this host is one.
TRUSTED_PROXIES = frozenset(env.list("TRUSTED_PROXIES", default=[]))
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SAMESITE = "Lax"
JWT_COOKIE_SECURE = not DEBUG

# --- Static files: WhiteNoise serves them with DEBUG off too ----------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Files served at the site's root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "config" / "root"
# CORS is django-cors-headers' job, for static files too.
WHITENOISE_ALLOW_ALL_ORIGINS = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Django REST framework and the API conventions ---------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTBearerOrCookieAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["config.api.rendering.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsing.CamelCaseObjectParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.EnvelopePagination",
    "DEFAULT_FILTER_BACKENDS": ["config.api.pagination.SortFilter"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.JsonFirstNegotiation",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.EnvelopeAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.handle_exception",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 20,
    "DEFAULT_VERSIONING_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# `metadata` objects are the client's own: never re-cased in either direction.
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"ignore_fields": ("metadata",)}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Podium API",
    "DESCRIPTION": (
        "Game leaderboards and live presence. Every response is wrapped in the "
        "`{success, data}` / `{success, error}` envelope; keys are camelCase."
    ),
    "VERSION": "1.0.0",
    # 3.1: JSON Schema 2020-12, so that `null` is a value a strict validator
    # takes where the schema allows it (3.0's `nullable` beside a `$ref` is not).
    "OAS_VERSION": "3.1.0",
    # Relative: the API is wherever the document was fetched from.
    "SERVERS": [{"url": "/", "description": "The server this document is served from."}],
    "TAGS": [
        {"name": "auth", "description": "Accounts, sign-in and tokens."},
        {"name": "games", "description": "Games: create, read, change and archive them."},
        {"name": "scores", "description": "A game's scores: submit, list and moderate them."},
        {"name": "leaderboards", "description": "A game's rankings: one entry per player, their best."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"ScoreOrder": "games.models.ScoreOrder"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "config.api.schema.finish_schema",
    ],
}

# --- Logging: one JSON object per line, each with the request id ---------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "config.logging.JsonFormatter",
        }
    },
    "filters": {"server": {"()": "config.logging.ServerLogFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["server"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log replaces these (it carries the request id).
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        "uvicorn.access": {"level": "WARNING", "propagate": True},
        "uvicorn.error": {"level": "INFO", "propagate": True},
    },
}
