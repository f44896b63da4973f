"""cogest settings: one module, read from the environment, safe defaults for a newcomer.

With nothing set, cogest runs on SQLite under ``var/`` with Celery's filesystem broker (no
server needed). ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
``COGEST_ENV=production`` turns on the hardened mode that passes ``manage.py check --deploy``.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("COGEST_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

COGEST_ENV = env.str("COGEST_ENV", default="development")
PRODUCTION = COGEST_ENV == "production"
if COGEST_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("COGEST_ENV must be 'development' or 'production'.")

DEV_SECRET_KEY = "django-insecure-cogest-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else DEV_SECRET_KEY)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("Production mode needs a real SECRET_KEY (50+ random characters).")

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_celery_beat",
    "cogest",
    "cmdb",
    "tickets",
    "sla",
    "escalation",
]

MIDDLEWARE = [
    "cogest.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cogest.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cogest.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cogest.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cogest.urls"
WSGI_APPLICATION = "cogest.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cogest.context_processors.shell",
                "escalation.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "cogest.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker and beat write beside the web process: WAL and an immediate write lock keep
    # "database is locked" away (see shared/ENVIRONMENT.md).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real worker process started by a test can open the test database;
    # one per test run (pid), so concurrent runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-cogest-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server: psycopg then prepares a statement it runs repeatedly on a
    # connection (the ticket list, the token lookup) and PostgreSQL plans it once, not per
    # request — planning the list's query costs more than running it.
    # (Behind a transaction-pooling PgBouncer, set DATABASE_PREPARE_THRESHOLD= to turn it off.)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("server_side_binding", True)
    _prepare = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    _options.setdefault("prepare_threshold", int(_prepare) if _prepare.isdigit() else None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _next_redis_db(url: str) -> str:
    """The cache lives in the Redis database after the broker's, so clearing it never drops
    queued jobs (redis://host:6379/0 → redis://host:6379/1)."""
    base, _slash, db = url.rstrip("/").rpartition("/")
    return f"{base}/{int(db) + 1}" if db.isdigit() and base.count("/") >= 2 else f"{url}/1"


CACHE_URL = env.str("CACHE_URL", default=_next_redis_db(REDIS_URL) if REDIS_URL else "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cogest",
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
CELERY_PROCESSED_DIR = VAR_DIR / "celery" / "processed"
CELERY_CONTROL_DIR = VAR_DIR / "celery" / "control"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
    # max_retries=0: a publish with Redis down fails at once (the job waits in the outbox)
    # instead of stalling the web request for seconds; workers reconnect on their own policy.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
else:
    for folder in (CELERY_QUEUE_DIR, CELERY_PROCESSED_DIR, CELERY_CONTROL_DIR):
        folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(CELERY_PROCESSED_DIR),
        # Broadcasts (worker control) too, or kombu writes a ./control folder wherever it runs.
        "control_folder": str(CELERY_CONTROL_DIR),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat stores these rows with django-celery-beat on start; admins tune them in the Django admin.
CELERY_BEAT_SCHEDULE = {
    "audit-verify-chain": {
        "task": "cogest.tasks.audit_verify_task",
        "schedule": 60 * 60 * 6,
    },
    "outbox-flush": {
        "task": "cogest.tasks.outbox_flush_task",
        "schedule": 60,
    },
    "grants-expire": {
        "task": "cogest.tasks.grants_expire_task",
        "schedule": 60,
    },
    "tickets-autoclose": {
        "task": "tickets.tasks.ticket_autoclose_task",
        "schedule": 60 * 15,
    },
    "axes-expire-old-attempts": {
        "task": "cogest.tasks.login_attempts_cleanup_task",
        "schedule": 60 * 60 * 24,
    },
    # Timed escalation (SPEC 2.5): unassigned for, no update for, handoff not accepted within.
    "escalation-sweep": {
        "task": "escalation.tasks.escalation_sweep_task",
        "schedule": 60,
    },
    # Outbound webhooks whose retry job was lost (a broker outage): sent again once due.
    "webhook-retry-sweep": {
        "task": "escalation.tasks_webhooks.webhook_retry_sweep_task",
        "schedule": 60,
    },
    # KPI reviews (SPEC 2.6): each active engagement's last finished period, prepared and
    # announced to both owners (idempotent; daily so periods not starting on the 1st are met).
    "sla-prepare-kpi-reviews": {
        "task": "sla.tasks.prepare_kpi_reviews",
        "schedule": crontab(minute=30, hour=5),
    },
    # Runbooks (SPEC 2.6): a review task for each runbook whose review date has come (once).
    "cmdb-runbook-reviews": {
        "task": "cmdb.tasks_runbooks.runbook_review_tasks_task",
        "schedule": crontab(minute=15, hour=5),
    },
    # SLA timers (SPEC 2.4): reads only the clocks whose warning or breach is due.
    "sla-sweep": {
        "task": "sla.tasks.sla_sweep_task",
        "schedule": env.int("SLA_SWEEP_SECONDS", default=60),
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for a username from one IP,
# that pair is locked for AXES_COOLOFF_TIME hours; every failure and lockout is audited.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cogest.api.views.lockout_response"  # JSON for the API, a page for people
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "cogest" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Madrid")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cogest <cogest@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people open cogest at: links in emails and chat posts.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Outbound posts (chat channels, webhooks) to private, loopback or link-local addresses are
# refused unless allowed here (they could reach internal services: SSRF).
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)
OUTBOUND_TIMEOUT_SECONDS = env.float("OUTBOUND_TIMEOUT_SECONDS", default=5.0)
# Attempts of a webhook delivery before it is marked failed (backoff 30 s, 60 s, 120 s… ≤ 1 h).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cogest.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "cogest.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "cogest.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cogest.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "20/min"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cogest API",
    "DESCRIPTION": "Co-managed ITSM: tickets, CMDB, SLAs and escalation shared by an internal IT "
    "team and its providers.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from the drf-spectacular-sidecar package: the docs work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, whatever the field is called (status, kind... recur across apps).
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.choices.Status",
        "HandoffStatusEnum": "tickets.choices.HandoffStatus",
        "ImpactUrgencyEnum": "tickets.choices.Level",
        "TicketLinkKindEnum": "tickets.choices.LinkKind",
        "SlaClockKindEnum": "tickets.api.serializers.SLA_KINDS",
        "AccessGrantKindEnum": "cogest.models.grants.GrantKind",
        "OrganizationKindEnum": "cogest.choices.OrganizationKind",
        "RunbookKindEnum": "cmdb.choices.RunbookKind",
        "CIProposalStatusEnum": "cmdb.choices.ProposalStatus",
        "CIStatusEnum": "cmdb.choices.CIStatus",
        "FunctionalAreaEnum": "cogest.choices.FunctionalArea",
        "CIRelationTypeEnum": "cmdb.choices.RelationType",
        "TicketTypeEnum": "tickets.choices.TicketType",
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Product settings -----------------------------------------------------------------------
COGEST_INSTANCE_NAME = env.str("COGEST_INSTANCE_NAME", default="cogest")
# bench/run.py sets it: mounts bare comparison views (bench/bare.py) that check no permission.
COGEST_BENCH = env.bool("COGEST_BENCH", default=False)
TICKET_REOPEN_DAYS = env.int("TICKET_REOPEN_DAYS", default=7)
# CMDB imports (issue 5): file size, rows per file, rows per chunk written together.
CMDB_IMPORT_MAX_BYTES = env.int("CMDB_IMPORT_MAX_MB", default=20) * 1024 * 1024
CMDB_IMPORT_MAX_ROWS = env.int("CMDB_IMPORT_MAX_ROWS", default=50_000)
CMDB_IMPORT_CHUNK_ROWS = 500
ACCESS_GRANT_MAX_DAYS = env.int("ACCESS_GRANT_MAX_DAYS", default=30)
COMMENT_MAX_CHARS = 20_000
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=[
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "txt",
        "log",
        "csv",
        "json",
        "xml",
        "yaml",
        "yml",
        "zip",
        "gz",
        "7z",
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "ods",
        "eml",
        "msg",
        "pcap",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
