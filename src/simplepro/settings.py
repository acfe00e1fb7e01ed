"""The one settings module. Everything that varies between installations comes from the
environment (see docs/configuration.md); secrets may come from `NAME_FILE` files.

Two modes share this file: `embedded` (the default: SQLite, database-backed cache, secrets
generated into the data folder) and `production` (PostgreSQL, Redis, secrets supplied by the
operator and validated by `simplepro check-deploy`, which also runs at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers

from simplepro import __version__
from simplepro.core.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_json,
    env_list,
    env_secret,
    env_str,
    generated_secret,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VERSION = __version__

SIMPLEPRO_ENV = env_str("SIMPLEPRO_ENV", "embedded").lower()
if SIMPLEPRO_ENV not in {"embedded", "production"}:
    raise ConfigurationError(
        f"SIMPLEPRO_ENV={SIMPLEPRO_ENV!r}: use 'embedded' (default) or 'production'"
    )
PRODUCTION = SIMPLEPRO_ENV == "production"

DATA_DIR = Path(env_str("SIMPLEPRO_DATA_DIR", "data")).resolve()
SECRETS_DIR = DATA_DIR / "secrets"
MEDIA_ROOT = DATA_DIR / "media"
# Documents that are never served as static files (sent quotes): only through permission checks.
PRIVATE_FILES_ROOT = DATA_DIR / "files"
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ConfigurationError(
        f"SIMPLEPRO_DATA_DIR={DATA_DIR} cannot be created: {exc.strerror}"
    ) from None
MEDIA_URL = "/media/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATIC_URL = "/static/"

DEBUG = env_bool("SIMPLEPRO_DEBUG", False)


def _secret(name: str, file_name: str, make: Callable[[], str] | None = None) -> str:
    """Operator-supplied secret; in embedded mode generated once into the data folder."""
    value = env_secret(name)
    if value or PRODUCTION:
        return value
    return generated_secret(SECRETS_DIR, file_name, make=make)


def _new_vapid_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def _new_document_seal() -> str:
    from simplepro.core.seal_keys import new_seal_pem

    return new_seal_pem()


# An empty SECRET_KEY in production is reported by check-deploy (simplepro.E002) and blocks
# start-up; it is never replaced by a default.
SECRET_KEY = _secret("SIMPLEPRO_SECRET_KEY", "secret_key")
# Previous secret keys, still accepted for what they signed (sessions, CSRF, password-reset and
# quote links) so the key can be rotated without signing anyone out (docs/operations/secrets.md).
_fallbacks: Any = env_json("SIMPLEPRO_SECRET_KEY_FALLBACKS", [])
if not (isinstance(_fallbacks, list) and all(isinstance(k, str) and k for k in _fallbacks)):
    raise ConfigurationError(
        'SIMPLEPRO_SECRET_KEY_FALLBACKS must be a JSON list of keys: ["<previous secret key>"]'
    )
SECRET_KEY_FALLBACKS: list[str] = _fallbacks

_jwt_keys: Any = env_json("SIMPLEPRO_JWT_KEYS", None)
if _jwt_keys is None and not PRODUCTION:
    _jwt_keys = [{"kid": "embedded-1", "secret": generated_secret(SECRETS_DIR, "jwt_key")}]
if _jwt_keys is not None and not (
    isinstance(_jwt_keys, list)
    and all(isinstance(k, dict) and {"kid", "secret"} <= k.keys() for k in _jwt_keys)
):
    raise ConfigurationError(
        'SIMPLEPRO_JWT_KEYS must be a JSON list of {"kid": ..., "secret": ...} objects'
    )
JWT_KEYS: list[dict[str, str]] = [
    {"kid": str(k["kid"]), "secret": str(k["secret"])} for k in (_jwt_keys or [])
]
ACCESS_TOKEN_TTL_SECONDS = env_int("SIMPLEPRO_ACCESS_TOKEN_TTL", 15 * 60)
REFRESH_TOKEN_TTL_SECONDS = env_int("SIMPLEPRO_REFRESH_TOKEN_TTL", 14 * 24 * 3600)

ALLOWED_HOSTS = env_list(
    "SIMPLEPRO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env_list("SIMPLEPRO_CSRF_TRUSTED_ORIGINS")
TRUSTED_PROXIES = env_list("SIMPLEPRO_TRUSTED_PROXIES")
CORS_ALLOWED_ORIGINS = env_list("SIMPLEPRO_CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
# The lead form's key travels in a header of its own; the sites of each form are allowed on
# the public lead endpoint by simplepro.sales.cors, from the database.
CORS_ALLOW_HEADERS = (*cors_default_headers, "x-simplepro-form", "idempotency-key", "x-request-id")
PUBLIC_URL = env_str("SIMPLEPRO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Security headers and cookies -------------------------------------------------------
SECURE_COOKIES = env_bool("SIMPLEPRO_SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SIMPLEPRO_SESSION_AGE", 12 * 3600)
SESSION_COOKIE_NAME = "simplepro_session"
CSRF_COOKIE_NAME = "simplepro_csrf"
SECURE_HSTS_SECONDS = env_int("SIMPLEPRO_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# TLS ends at the reverse proxy; it tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_SSL_REDIRECT = env_bool("SIMPLEPRO_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^api/health", r"^metrics$"]

MAX_JSON_BODY_BYTES = env_int("SIMPLEPRO_MAX_JSON_BODY", 1024 * 1024)
# Uploads (documents, photos): larger is 413 before anything is read. Keep nginx's
# client_max_body_size at least this large.
MAX_UPLOAD_BYTES = env_int("SIMPLEPRO_MAX_UPLOAD", 25 * 1024 * 1024)
# Share links opened from one address: every try counts, right password or wrong.
SHARE_RATE_LIMITS = env_str("SIMPLEPRO_SHARE_RATE_LIMITS", "10/60,30/3600")
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_JSON_BODY_BYTES, 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_htmx",
    "simplepro.core",
    "simplepro.accounts",
    "simplepro.audit",
    "simplepro.customers",
    "simplepro.estimates",
    "simplepro.jobs",
    "simplepro.ops",
    "simplepro.notifications",
    "simplepro.messaging",
    "simplepro.sales",
    "simplepro.partners",
    "simplepro.realtime",
    "simplepro.documents",
    "simplepro.paperwork",
]

MIDDLEWARE = [
    # Outermost: every response, errors included, gets a request id, a log line and metrics.
    "simplepro.core.middleware.RequestContextMiddleware",
    # Health and /metrics answer before sessions, auth and rate limits are touched.
    "simplepro.core.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "simplepro.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "simplepro.core.middleware.BodySizeLimitMiddleware",
    "simplepro.accounts.middleware.ApiRateLimitMiddleware",
    "simplepro.core.idempotency.IdempotencyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simplepro.accounts.middleware.WebSessionMiddleware",
    "simplepro.accounts.middleware.CompanyTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "simplepro.urls"
ASGI_APPLICATION = "simplepro.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "simplepro.core.context_processors.navigation",
                "simplepro.ops.context_processors.backup_alarms",
                "simplepro.notifications.context_processors.bell",
            ],
        },
    },
]
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Serve straight from the package in every mode: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- File storage (docs/storage.md) -------------------------------------------------------------
# Two stores: "default" (the company logo and other media, served by URL) and "private" (quotes,
# documents, photos, signed PDFs: only through permission checks, never overwritten). The embedded
# default keeps both in the data folder; with a bucket they are objects in S3 (AWS S3, MinIO, …)
# under "media/" and "files/", and the web instances need no shared volume.
FILES_S3_BUCKET = env_str("SIMPLEPRO_FILES_S3_BUCKET")
FILES_S3_ENDPOINT_URL = env_str("SIMPLEPRO_FILES_S3_ENDPOINT_URL")
FILES_S3_REGION = env_str("SIMPLEPRO_FILES_S3_REGION", "us-east-1")
FILES_S3_ACCESS_KEY_ID = env_secret("SIMPLEPRO_FILES_S3_ACCESS_KEY_ID")
FILES_S3_SECRET_ACCESS_KEY = env_secret("SIMPLEPRO_FILES_S3_SECRET_ACCESS_KEY")
# How long a link to a media object (the logo) stays valid.
FILES_S3_URL_SECONDS = env_int("SIMPLEPRO_FILES_S3_URL_SECONDS", 3600)


def _s3_storage(location: str) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FILES_S3_BUCKET,
            "location": location,
            "endpoint_url": FILES_S3_ENDPOINT_URL or None,
            "region_name": FILES_S3_REGION,
            # Empty means the instance's own role or the usual AWS_* variables.
            "access_key": FILES_S3_ACCESS_KEY_ID or None,
            "secret_key": FILES_S3_SECRET_ACCESS_KEY or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": FILES_S3_URL_SECONDS,
            "signature_version": "s3v4",
            "addressing_style": "path" if FILES_S3_ENDPOINT_URL else "auto",
        },
    }


STORAGES: dict[str, dict[str, Any]] = {
    "default": _s3_storage("media")
    if FILES_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": _s3_storage("files")
    if FILES_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL)
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "simplepro.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE: writers queue on the lock instead of failing mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Under ASGI every request runs in a fresh thread, so Django's per-thread persistent
    # connections are never reused (and leak until max_connections is hit): a per-process
    # psycopg pool is the only way to reuse connections. Checked on checkout, so a
    # PostgreSQL restart costs no failed requests.
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = True  # with a pool: check each connection on checkout
    _db.setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": 5,
            "pool": {
                "min_size": 1,
                "max_size": env_int("SIMPLEPRO_DB_POOL_SIZE", 8),
                "timeout": 5,  # seconds to wait for a free connection, then 503
            },
        }
    )
DATABASES = {"default": _db}

# --- Cache, sessions, rate-limit counters -----------------------------------------------
REDIS_URL = env_secret("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "simplepro.core.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "simplepro",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Database-backed so every worker process shares it (never per-process memory).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "simplepro_cache",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Device sessions between calls (accounts.session_cache): Redis, or nothing (a cache table
# would cost the query it saves).
CACHES["auth"] = (
    dict(CACHES["default"])
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
)

# --- Real time (WebSockets at /ws/, simplepro.realtime; docs/operations/realtime.md) ------
# Off by itself when `serve --workers N` has N > 1 and no Redis: the in-memory layer cannot
# carry an event from one worker to a socket held by another. Pages still work by reload.
REALTIME_ENABLED = env_bool("SIMPLEPRO_REALTIME", True)
# Seconds between heartbeats on an idle socket: below nginx's proxy_read_timeout (1 h on /ws/)
# and below the idle timeouts of common load balancers (60 s).
REALTIME_HEARTBEAT_SECONDS = env_int("SIMPLEPRO_REALTIME_HEARTBEAT", 25)
# How long every user's events stay replayable for a reconnecting client (at least 24 h).
REALTIME_OUTBOX_HOURS = max(24, env_int("SIMPLEPRO_REALTIME_OUTBOX_HOURS", 48))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout, the same 5 s channels-redis
                # blocks for in BZPOPMIN: under load the reply came just after the timeout
                # and every socket of the instance dropped (bench/realtime.py fanout).
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}
                ],
                "prefix": f"{env_str('SIMPLEPRO_TASK_QUEUE', 'simplepro')}:ws",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Tiers "count/seconds", applied per user (per IP when anonymous) on every /api call.
API_RATE_LIMITS = env_str("SIMPLEPRO_RATE_LIMITS", "10/1,50/10,200/60")
LOGIN_FAILURES_PER_ACCOUNT = env_int("SIMPLEPRO_LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_IP = env_int("SIMPLEPRO_LOGIN_FAILURES_PER_IP", 20)
# Namespace of the counters in Redis (tests give each test its own).
RATE_LIMIT_KEY_PREFIX = "simplepro:rl:"

# --- Passwords --------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# --- E-mail -----------------------------------------------------------------------------
SMTP_HOST = env_str("SIMPLEPRO_SMTP_HOST")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = env_int("SIMPLEPRO_SMTP_PORT", 587)
    EMAIL_HOST_USER = env_str("SIMPLEPRO_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_secret("SIMPLEPRO_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("SIMPLEPRO_SMTP_STARTTLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("SIMPLEPRO_EMAIL_FROM", "SimplePro <no-reply@localhost>")

# --- Messages ----------------------------------------------------------------------------
# Per person: messages in count/seconds windows (a flood is refused with 429).
MESSAGE_RATE_LIMITS = env_str("SIMPLEPRO_MESSAGE_RATE_LIMITS", "20/10,600/3600")
# Where customers' e-mail replies arrive (`simplepro receive-mail` listens for it): replies go
# to local+<thread token>@domain. Empty: customer e-mails carry no reply address of ours.
INBOUND_EMAIL = env_str("SIMPLEPRO_INBOUND_EMAIL")

# --- Sales: the public lead form -------------------------------------------------------
# Leads per sender address and per form, in count/seconds windows: a flood is refused with
# 429 before anything is written (docs/sales-web-form.md).
LEAD_RATE_LIMITS = env_str("SIMPLEPRO_LEAD_RATE_LIMITS", "5/60,20/3600")
LEAD_FORM_RATE_LIMITS = env_str("SIMPLEPRO_LEAD_FORM_RATE_LIMITS", "60/60,2000/86400")
# The optional challenge on the form: "" (off), "turnstile" or "hcaptcha"; the widget's site
# key (public, put in the form page) and the secret that verifies its tokens. _URL overrides
# the provider's verification address (a proxy, or a local server in tests).
LEAD_CHALLENGE = env_str("SIMPLEPRO_LEAD_CHALLENGE")
if LEAD_CHALLENGE not in ("", "turnstile", "hcaptcha"):
    raise ConfigurationError(
        f"SIMPLEPRO_LEAD_CHALLENGE={LEAD_CHALLENGE!r}: use turnstile, hcaptcha, or leave it unset"
    )
LEAD_CHALLENGE_SITE_KEY = env_str("SIMPLEPRO_LEAD_CHALLENGE_SITE_KEY")
LEAD_CHALLENGE_SECRET = env_secret("SIMPLEPRO_LEAD_CHALLENGE_SECRET")
LEAD_CHALLENGE_URL = env_str("SIMPLEPRO_LEAD_CHALLENGE_URL")

# --- Web push ---------------------------------------------------------------------------
# The VAPID key pair's private half (PEM, P-256) that signs push messages. Embedded mode:
# generated into the data folder. Production: unset means push is off (check-deploy says so).
VAPID_PRIVATE_KEY = _secret("SIMPLEPRO_VAPID_PRIVATE_KEY", "vapid_private_key.pem", _new_vapid_key)
# Who push services contact about our messages (a mailto: or https: address).
VAPID_SUBJECT = env_str(
    "SIMPLEPRO_VAPID_SUBJECT", "mailto:" + DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
)

# --- Document seal ----------------------------------------------------------------------
# The key and certificate (one PEM) that seal signed documents (docs/signatures.md). Embedded
# mode: a self-signed one generated into the data folder. Production: unset means e-signing is
# off (check-deploy says so); supply the company's own.
DOCUMENT_SEAL = _secret("SIMPLEPRO_DOCUMENT_SEAL", "document_seal.pem", _new_document_seal)

# --- SMS (Twilio) -------------------------------------------------------------------------
# All three set: SMS on. Any missing: SMS off (the settings page and check-deploy say so).
TWILIO_ACCOUNT_SID = env_str("SIMPLEPRO_TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_secret("SIMPLEPRO_TWILIO_AUTH_TOKEN")
# The sending number in E.164 (+15551234567) or a messaging service id (MG…).
TWILIO_FROM = env_str("SIMPLEPRO_TWILIO_FROM")
# Only for a regional gateway or a local server playing Twilio's API in the tests.
TWILIO_API_URL = env_str("SIMPLEPRO_TWILIO_API_URL")

# --- Metrics ----------------------------------------------------------------------------
METRICS_TOKEN = env_secret("SIMPLEPRO_METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("SIMPLEPRO_METRICS_ALLOWED_IPS")

# --- Time and language ------------------------------------------------------------------
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

# --- Logging: one JSON object per line on stdout ---------------------------------------
LOG_LEVEL = env_str("SIMPLEPRO_LOG_LEVEL", "INFO").upper()
LOGGING_CONFIG = "simplepro.core.logging.configure"
LOGGING: dict[str, Any] = {"level": LOG_LEVEL}

# --- Task queue and schedules (simplepro.ops) ----------------------------------------------
# Several SimplePro sites may share one Redis: each needs its own queue name.
TASK_QUEUE_NAME = env_str("SIMPLEPRO_TASK_QUEUE", "simplepro")
# Five-field cron expressions, in UTC; `simplepro scheduler` enqueues each task when due.
SCHEDULES = {
    "SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES": env_str(
        "SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES", "10 0 * * *"
    ),
    # The nightly backup, and the weekly full verification of the newest one.
    "SIMPLEPRO_SCHEDULE_BACKUP": env_str("SIMPLEPRO_SCHEDULE_BACKUP", "30 2 * * *"),
    "SIMPLEPRO_SCHEDULE_BACKUP_VERIFY": env_str("SIMPLEPRO_SCHEDULE_BACKUP_VERIFY", "0 4 * * 0"),
    # How often backup problems are looked for, to e-mail administrators when one appears.
    "SIMPLEPRO_SCHEDULE_BACKUP_WATCH": env_str("SIMPLEPRO_SCHEDULE_BACKUP_WATCH", "15 * * * *"),
    # Hourly: from 5 pm company time, crews are reminded of tomorrow's jobs (once each).
    "SIMPLEPRO_SCHEDULE_SHIFT_REMINDERS": env_str(
        "SIMPLEPRO_SCHEDULE_SHIFT_REMINDERS", "0 * * * *"
    ),
    # Real-time events older than the replay window are pruned from the outbox.
    "SIMPLEPRO_SCHEDULE_REALTIME_PRUNE": env_str("SIMPLEPRO_SCHEDULE_REALTIME_PRUNE", "40 * * * *"),
    "SIMPLEPRO_SCHEDULE_CUSTOMER_REMINDERS": env_str(
        "SIMPLEPRO_SCHEDULE_CUSTOMER_REMINDERS", "5 * * * *"
    ),
    # Sales: delayed follow-up steps the queue lost and no-activity rules; task reminders;
    # the 08:00 summaries and the quote reminders (each sent at its company-time hour);
    # opportunities gone quiet.
    "SIMPLEPRO_SCHEDULE_FOLLOW_UPS": env_str("SIMPLEPRO_SCHEDULE_FOLLOW_UPS", "*/5 * * * *"),
    "SIMPLEPRO_SCHEDULE_SALES_REMINDERS": env_str(
        "SIMPLEPRO_SCHEDULE_SALES_REMINDERS", "*/10 * * * *"
    ),
    "SIMPLEPRO_SCHEDULE_SALES_MORNING": env_str("SIMPLEPRO_SCHEDULE_SALES_MORNING", "2 * * * *"),
    "SIMPLEPRO_SCHEDULE_STALE_OPPORTUNITIES": env_str(
        "SIMPLEPRO_SCHEDULE_STALE_OPPORTUNITIES", "20 */6 * * *"
    ),
}

# --- Backups (simplepro backup; simplepro.ops.backup) ----------------------------------------
BACKUP_DIR = Path(env_str("SIMPLEPRO_BACKUP_DIR") or DATA_DIR / "backups")
# age public keys (age1…) backups are encrypted to; the embedded default makes its own.
BACKUP_RECIPIENTS = env_list("SIMPLEPRO_BACKUP_RECIPIENTS")
# The age identity that opens them: needed only to restore, fully verify or drill.
BACKUP_IDENTITY_FILE = env_str("SIMPLEPRO_BACKUP_IDENTITY_FILE")
# Retention (`simplepro backup prune`, run after each scheduled backup): the newest backup of
# each of the last N days, M weeks and K months; never the newest verified one.
BACKUP_KEEP_DAILY = env_int("SIMPLEPRO_BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = env_int("SIMPLEPRO_BACKUP_KEEP_WEEKLY", 4)
BACKUP_KEEP_MONTHLY = env_int("SIMPLEPRO_BACKUP_KEEP_MONTHLY", 6)
# The off-site copy: every backup is also uploaded to this S3 bucket (AWS S3, MinIO, …). Use a
# bucket and credentials of its own, never the live file store's: whoever can delete the live
# files must not be able to delete their backups.
BACKUP_S3_BUCKET = env_str("SIMPLEPRO_BACKUP_S3_BUCKET")
BACKUP_S3_PREFIX = env_str("SIMPLEPRO_BACKUP_S3_PREFIX", "simplepro/")
BACKUP_S3_ENDPOINT_URL = env_str("SIMPLEPRO_BACKUP_S3_ENDPOINT_URL")
BACKUP_S3_REGION = env_str("SIMPLEPRO_BACKUP_S3_REGION", "us-east-1")
BACKUP_S3_ACCESS_KEY_ID = env_secret("SIMPLEPRO_BACKUP_S3_ACCESS_KEY_ID")
BACKUP_S3_SECRET_ACCESS_KEY = env_secret("SIMPLEPRO_BACKUP_S3_SECRET_ACCESS_KEY")
# With the off-site copy on, how many of the newest backups also stay in SIMPLEPRO_BACKUP_DIR
# (0: as many as the retention policy keeps). The folder is where backups are written first.
BACKUP_LOCAL_KEEP = env_int("SIMPLEPRO_BACKUP_LOCAL_KEEP", 0)
