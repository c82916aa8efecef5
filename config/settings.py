"""Calmdesk settings: everything comes from environment variables with safe embedded defaults.

Embedded default (no other service): SQLite in WAL mode, Huey on SQLite, in-process cache and
channel layer, mail written to files under ``var/mail``. Scaled out: set ``DATABASE_URL``
(PostgreSQL), ``REDIS_URL`` (Huey queue, cache, rate limits, channel layer) and ``EMAIL_URL``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CALMDESK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.smart_cast = False

TESTING = env.bool("CALMDESK_TESTING", default="pytest" in sys.modules)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    from_env = env.str("SECRET_KEY", default="")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL, used in links that leave the site (emails, tracking links, API answers).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "channels",
    "anymail",
    "calmdesk.core",
    "calmdesk.accounts",
    "calmdesk.customers",
    "calmdesk.tickets",
    "calmdesk.routing",
    "calmdesk.sla",
    "calmdesk.staffing",
    "calmdesk.replies",
    "calmdesk.inbox",
    "calmdesk.conversations",
    "calmdesk.mail",
    "calmdesk.chat",
    "calmdesk.messaging",
    "calmdesk.phone",
    "calmdesk.incidents",
    "calmdesk.reporting",
    "calmdesk.realtime",
    "calmdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The crisis page and its feed from the cache, before sessions, auth and CSRF run.
    "calmdesk.incidents.middleware.CrisisPageCacheMiddleware",
    # Site-only: sessions, CSRF, the user, messages and HTMX let /api/ through untouched (the
    # API is stateless JSON with bearer tokens; calmdesk/core/middleware.py).
    "calmdesk.core.middleware.SiteSessionMiddleware",
    "calmdesk.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "calmdesk.core.middleware.SiteCsrfViewMiddleware",
    "calmdesk.core.middleware.SiteAuthenticationMiddleware",
    "calmdesk.core.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "calmdesk.core.middleware.SiteHtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "calmdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "calmdesk.core.context_processors.calmdesk",
                "calmdesk.incidents.context_processors.crisis_banner",
            ],
            "builtins": ["calmdesk.core.templatetags.calmdesk"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'calmdesk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: concurrent writers queue instead of failing with
    # "database is locked"; NORMAL sync is durable in WAL mode across application crashes.
    # Django's backend plus the writer gate (calmdesk/core/sqlite/gate.py): writers take turns
    # within a fraction of a millisecond instead of SQLite's busy-wait sleeps of 1, 2, 5 … ms.
    if env.bool("SQLITE_WRITER_GATE", default=True):
        DATABASES["default"]["ENGINE"] = "calmdesk.core.sqlite"
        # The test database stays in memory (pytest-django recognises only Django's engine).
        DATABASES["default"].setdefault("TEST", {"NAME": ":memory:"})
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
# Persistent connections on both databases. On SQLite too: a new connection re-reads the whole
# schema and re-runs the PRAGMAs, which made a request three times dearer (docs/performance.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: queue, cache, rate limits, channel layer ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and TESTING:
    # Each parallel test worker gets its own Redis database: cache.clear() flushes a whole
    # database, and cached per-team figures must not leak between workers' test databases.
    from urllib.parse import urlsplit, urlunsplit

    _worker = env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw") or "0"
    _parts = urlsplit(REDIS_URL)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{1 + int(_worker) % 15}"))

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="calmdesk"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=TESTING)
# Parallel test workers (pytest-xdist) each get their own queue.
_HUEY_NAME = (
    "calmdesk-test-" + env.str("PYTEST_XDIST_WORKER", default="0") if TESTING else "calmdesk"
)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.str("HUEY_NAME", default=_HUEY_NAME),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "immediate_use_memory": False,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=4), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": _HUEY_NAME,
        "filename": str(VAR_DIR / f"{_HUEY_NAME}.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        # An idle SQLite queue is polled at least every second (Huey's default backs off to
        # 10 s), so a request accepted after a quiet spell is filed within a second or two.
        "consumer": {
            "workers": env.int("HUEY_WORKERS", default=2),
            "worker_type": "thread",
            "max_delay": 1.0,
        },
    }

# --- Mail -----------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Embedded default: every outgoing mail is written to a file under var/mail.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Calmdesk <help@calmdesk.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
SMS_URL = env.str("SMS_URL", default=f"file://{VAR_DIR / 'sms'}")  # calmdesk.core.sms

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:queue"
LOGOUT_REDIRECT_URL = "accounts:login"
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fa", _("Persian")),
    ("tr", _("Turkish")),
    ("lt", _("Lithuanian")),
]
LOCALE_PATHS = [BASE_DIR / "calmdesk" / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "calmdesk.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
)

# --- Calmdesk -------------------------------------------------------------------------------
CALMDESK = {
    # Attachments on the public form and replies.
    "ATTACHMENT_MAX_BYTES": env.int("CALMDESK_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024),
    "ATTACHMENT_MAX_FILES": env.int("CALMDESK_ATTACHMENT_MAX_FILES", default=5),
    "ATTACHMENT_EXTENSIONS": env.list(
        "CALMDESK_ATTACHMENT_EXTENSIONS",
        default=[
            "pdf",
            "png",
            "jpg",
            "jpeg",
            "gif",
            "webp",
            "txt",
            "csv",
            "doc",
            "docx",
            "xls",
            "xlsx",
            "odt",
            "heic",
        ],
    ),
    # Public intake flood control: submissions per client IP per window.
    "INTAKE_RATE_LIMIT": env.int("CALMDESK_INTAKE_RATE_LIMIT", default=20),
    "INTAKE_RATE_WINDOW_SECONDS": env.int("CALMDESK_INTAKE_RATE_WINDOW", default=600),
    # Autoresponder: at most this many acknowledgements to one address per hour.
    "AUTORESPONDER_MAX_PER_HOUR": env.int("CALMDESK_AUTORESPONDER_MAX_PER_HOUR", default=3),
    # Expected wait: padding factor and the history window for team throughput.
    "WAIT_PADDING": env.float("CALMDESK_WAIT_PADDING", default=1.25),
    "WAIT_HISTORY_DAYS": env.int("CALMDESK_WAIT_HISTORY_DAYS", default=7),
    # Outbox delivery retries (attempt n waits BACKOFF * 2**n seconds, capped).
    "OUTBOX_MAX_ATTEMPTS": env.int("CALMDESK_OUTBOX_MAX_ATTEMPTS", default=8),
    "OUTBOX_BACKOFF_SECONDS": env.int("CALMDESK_OUTBOX_BACKOFF", default=30),
    # Behind a reverse proxy: how many proxies to trust in X-Forwarded-For (0 = use REMOTE_ADDR).
    "TRUSTED_PROXY_COUNT": env.int("CALMDESK_TRUSTED_PROXY_COUNT", default=0),
    # Largest JSON body the API accepts (413 beyond).
    "API_MAX_BODY_BYTES": env.int("CALMDESK_API_MAX_BODY_BYTES", default=1024 * 1024),
}
# Phone and callbacks (defaults and meaning in calmdesk/phone/conf.py): CALMDESK_<NAME>.
for _name in (
    "CALLBACK_MAX_DAYS_AHEAD",
    "CALLBACK_MIN_WINDOW_MINUTES",
    "CALLBACK_MAX_WINDOW_HOURS",
    "CALLBACK_MAX_ATTEMPTS",
    "CALLBACK_CALLING_GRACE_MINUTES",
    "CALLBACK_RATE_LIMIT",
    "CALLBACK_RATE_WINDOW_SECONDS",
    "PHONE_FINALIZE_DELAY_SECONDS",
    "PHONE_WEBHOOK_MAX_BYTES",
    "PHONE_EVENT_MAX_AGE_HOURS",
    "PHONE_EVENT_MAX_FUTURE_SECONDS",
):
    if f"CALMDESK_{_name}" in os.environ:
        CALMDESK[_name] = env.int(f"CALMDESK_{_name}")

# Email in (docs/channels-mail.md, docs/channels-mail-transports.md).
MAIL_MAX_MESSAGE_BYTES = env.int("MAIL_MAX_MESSAGE_BYTES", default=50 * 1024 * 1024)
MAIL_MAX_ATTACHMENT_BYTES = env.int("MAIL_MAX_ATTACHMENT_BYTES", default=25 * 1024 * 1024)
MAIL_MAX_TOTAL_ATTACHMENT_BYTES = env.int(
    "MAIL_MAX_TOTAL_ATTACHMENT_BYTES", default=50 * 1024 * 1024
)
MAIL_LOOP_MAX_PER_HOUR = env.int("MAIL_LOOP_MAX_PER_HOUR", default=20)
MAIL_IMAP_TIMEOUT = env.int("MAIL_IMAP_TIMEOUT", default=30)
MAIL_IMAP_BATCH = env.int("MAIL_IMAP_BATCH", default=100)
MAIL_IMAP_CA_FILE = env.str("MAIL_IMAP_CA_FILE", default="")
MAIL_SMTPD_HOSTNAME = env.str("MAIL_SMTPD_HOSTNAME", default="")
# Provider inbound webhooks (django-anymail): refused until ANYMAIL_WEBHOOK_SECRET is set.
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "BREVO_API_KEY": env.str("BREVO_API_KEY", default=""),
}

# Live chat (docs/channels-chat.md).
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=2000)
CHAT_RATE_LIMIT = env.int("CHAT_RATE_LIMIT", default=20)
CHAT_RATE_WINDOW_SECONDS = env.int("CHAT_RATE_WINDOW_SECONDS", default=60)
CHAT_LEFT_AFTER_MINUTES = env.int("CHAT_LEFT_AFTER_MINUTES", default=3)
CHAT_AGENT_ONLINE_MINUTES = env.int("CHAT_AGENT_ONLINE_MINUTES", default=3)
CHAT_DEMO = env.bool("CHAT_DEMO", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # aiosmtpd logs every SMTP connection at INFO; the receiver logs what it stores.
        "mail.log": {"level": "WARNING"},
        # One line per provider API call (messaging, phone_simulate) is too chatty at INFO.
        "httpx": {"level": "WARNING"},
    },
}

# The crisis pages are /crisis and /crisis/<slug>: their routes begin with a slash on purpose.
SILENCED_SYSTEM_CHECKS = ["urls.W002"]
