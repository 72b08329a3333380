"""PowerKAM settings: one module, configured by environment variables.

Safe defaults give the embedded mode (SQLite in ./var, debug off unless asked for).
Every variable is documented in README.md ("Configuration").
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("POWERKAM_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("POWERKAM_DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; in the embedded mode, a random key generated once and
    kept in the var directory (never in the repository)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        tmp = path.with_name(f"secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "powerkam.core",  # before django_tasks_db: core's db_worker (with a lease) replaces the stock one
    "django_tasks_db",
    "powerkam.org",
    "powerkam.customers",
    "powerkam.imports",
    "powerkam.billing",
    "powerkam.receivables",
    "powerkam.credit",
    "powerkam.consumption",
    "powerkam.service.tickets",
    "powerkam.service.visits",
    "powerkam.service.outages",
    "powerkam.service.surveys",
    "powerkam.pipeline",
    "powerkam.analytics",
    "powerkam.projects",
    "powerkam.scoring",
    "powerkam.kpis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "powerkam.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "powerkam.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "powerkam.org.middleware.TwoStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "powerkam.urls"
WSGI_APPLICATION = "powerkam.wsgi.application"

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
                "django.template.context_processors.i18n",
                "powerkam.core.context_processors.shell",
                "powerkam.org.context_processors.two_step",
            ],
            # money, kwh, wan_yuan, wan_kwh on every page without {% load %} (core/numbers.py).
            "builtins": ["powerkam.core.templatetags.pk_numbers"],
        },
    },
]

# Database: SQLite (WAL) embedded by default, PostgreSQL in production via DATABASE_URL.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'powerkam.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept per thread like PostgreSQL's: opening one costs its init PRAGMAs and an empty page cache
    # on every request (12-16 ms measured through gunicorn, docs/performance.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # temp_store=MEMORY: the statement journal that a write on a table with triggers opens (the
    # customer name's search grams) is kept in memory, not in a temporary file: 66 → 44 µs per
    # customer inserted; an import of 100,000 customers 26.4-28.0 → 25.1 s (docs/performance.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
                        "PRAGMA temp_store=MEMORY;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("POWERKAM_TEST_SQLITE") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT costs 10-600 ms on short queries with high cost estimates (paged lists
    # with per-row subqueries) and never pays off for this workload (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login safety: lock out after repeated failures (django-axes), every attempt logged.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# Chinese figures with thousands separators (powerkam/formats/zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["powerkam.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Uploads: imports and scanned contracts are bounded (the import checks its own limit).
POWERKAM_MAX_UPLOAD_BYTES = int(os.environ.get("POWERKAM_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Imports above this many rows run as a background job with a progress bar.
POWERKAM_IMPORT_INLINE_ROWS = int(os.environ.get("POWERKAM_IMPORT_INLINE_ROWS", "3000"))
POWERKAM_IMPORT_QUALITY_INLINE_ROWS = int(os.environ.get("POWERKAM_IMPORT_QUALITY_INLINE_ROWS", "10000"))
# Customers imports of at least this many rows on PostgreSQL check their new customers' data
# quality on a second connection beside the import (imports.services.QualityWriter).
POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS = int(os.environ.get("POWERKAM_IMPORT_PARALLEL_QUALITY_ROWS", "2000"))
# … and write their batches on a connection of their own, in a thread, while the next batch is
# checked (imports.services.ImportWriter).
POWERKAM_IMPORT_PARALLEL_WRITE_ROWS = int(os.environ.get("POWERKAM_IMPORT_PARALLEL_WRITE_ROWS", "2000"))
# How many data-quality writers (connections) such an import uses, taking its batches in turn.
POWERKAM_IMPORT_QUALITY_WRITERS = int(os.environ.get("POWERKAM_IMPORT_QUALITY_WRITERS", "2"))
# xlsx files of at least this many bytes have their sheet read by a forked process beside the
# import (imports.readers._start_reader); 0: never.
POWERKAM_IMPORT_SHEET_PROCESS_BYTES = int(os.environ.get("POWERKAM_IMPORT_SHEET_PROCESS_BYTES", "1000000"))
# Worker processes of the nightly consumption forecast job (0: one per CPU, at most 4).
POWERKAM_FORECAST_WORKERS = int(os.environ.get("POWERKAM_FORECAST_WORKERS", "0"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "powerkam.org.authentication.SessionAuthentication",
        "powerkam.org.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["powerkam.core.permissions.StaffPermission"],
    # A JSON body must be an object: a list or a bare string is a 400, not a view's AttributeError.
    "DEFAULT_PARSER_CLASSES": [
        "powerkam.core.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "powerkam.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "powerkam.core.scoped.ScopedFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "powerkam.core.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PowerKAM API",
    "DESCRIPTION": "Key-account CRM for power supply companies. All lists respect the caller's visibility scope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny" if env_bool("POWERKAM_PUBLIC_API_DOCS", False)
                          else "rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "powerkam.core.openapi.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StaffRoleEnum": "powerkam.org.models.Role",
        "ContactRoleEnum": "powerkam.customers.constants.ContactRole",
        "OutageStatusEnum": "powerkam.service.outages.constants.OutageStatus",
        "SurveyStatusEnum": "powerkam.service.surveys.constants.Status",
        "OutageChannelEnum": "powerkam.service.outages.constants.Channel",
        "SurveyChannelEnum": "powerkam.service.surveys.constants.Channel",
        "ProjectStageEnum": "powerkam.projects.constants.Stage",
        "ProjectStatusEnum": "powerkam.projects.constants.Status",
        "ProjectSideEnum": "powerkam.projects.constants.Side",
        "ContractorRoleEnum": "powerkam.projects.constants.ContractorRole",
        "TransformerActionEnum": "powerkam.projects.constants.TransformerAction",
        "ProjectEventKindEnum": "powerkam.projects.constants.EventKind",
        "ScoringTierEnum": "powerkam.scoring.models.TIER_CHOICES",
        "ProposalStatusEnum": "powerkam.scoring.constants.ProposalStatus",
        "ScoringModelStatusEnum": "powerkam.scoring.models.ScoringModel.Status",
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("POWERKAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Job workers' leases (powerkam.core.leases): a worker renews its heartbeat every HEARTBEAT
# seconds; a worker on another host whose heartbeat is older than LEASE seconds is gone (on the
# same host its process is checked at once); every worker looks for lost tasks every REAP seconds.
POWERKAM_JOB_HEARTBEAT_SECONDS = int(os.environ.get("POWERKAM_JOB_HEARTBEAT_SECONDS", "10"))
POWERKAM_JOB_LEASE_SECONDS = int(os.environ.get("POWERKAM_JOB_LEASE_SECONDS", "60"))
POWERKAM_JOB_REAP_SECONDS = int(os.environ.get("POWERKAM_JOB_REAP_SECONDS", "30"))

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "powerkam@localhost")
# Outbound messages (outage notices, surveys): links point here; SMS goes through this gateway.
# Unset, it follows HOST and PORT (the address `make run` serves on), so the links customers get
# in a first run open the server that actually runs; a wildcard bind address is shown as localhost.
_LINK_HOST = os.environ.get("HOST", "").strip() or "localhost"
if _LINK_HOST in ("0.0.0.0", "::", "[::]"):
    _LINK_HOST = "localhost"
POWERKAM_BASE_URL = (os.environ.get("POWERKAM_BASE_URL", "").strip()
                     or f"http://{_LINK_HOST}:{os.environ.get('PORT', '').strip() or '8000'}").rstrip("/")
POWERKAM_SMS_GATEWAY = os.environ.get("POWERKAM_SMS_GATEWAY", "powerkam.core.notify.LoggingSmsGateway")
POWERKAM_SURVEY_VALID_DAYS = int(os.environ.get("POWERKAM_SURVEY_VALID_DAYS", "14"))
# A contact is sent at most one satisfaction survey (and one exit survey) per this many minutes.
POWERKAM_SURVEY_DEDUPE_MINUTES = int(os.environ.get("POWERKAM_SURVEY_DEDUPE_MINUTES", "1440"))
OTP_TOTP_ISSUER = "PowerKAM"  # the name authenticator apps show for the two-step login code
# Send the exit survey automatically when a customer is closed (销户); "0" to send it by hand.
POWERKAM_EXIT_SURVEY_ON_CLOSE = os.environ.get("POWERKAM_EXIT_SURVEY_ON_CLOSE", "1") != "0"
# The 1:15 page flags a manager's portfolio "far above" when it holds more customers than this.
POWERKAM_PORTFOLIO_FAR_ABOVE = int(os.environ.get("POWERKAM_PORTFOLIO_FAR_ABOVE", "40"))

# Web security (issue #9 item 9; README "Configuration"). Behind HTTPS (POWERKAM_HTTPS=1): cookies
# only over HTTPS, HSTS, and the proxy's X-Forwarded-Proto tells Django the request was HTTPS.
POWERKAM_HTTPS = env_bool("POWERKAM_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = POWERKAM_HTTPS or env_bool("POWERKAM_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if POWERKAM_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("POWERKAM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_SSL_REDIRECT = env_bool("POWERKAM_SSL_REDIRECT", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts only from our own static files (no inline script, no eval); see core.middleware.
POWERKAM_CSP = os.environ.get("POWERKAM_CSP", "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",  # Redoc's search index runs in a worker it builds from a blob
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]))
# The OpenAPI schema and the API docs need a login unless this is on.
POWERKAM_PUBLIC_API_DOCS = env_bool("POWERKAM_PUBLIC_API_DOCS", False)

# The logging SMS gateway (the default until a real gateway is configured) writes every message
# to this file rather than the console, where a demo load would print over a thousand lines;
# POWERKAM_SMS_LOG="" sends them to the console instead.
POWERKAM_SMS_LOG = os.environ.get("POWERKAM_SMS_LOG", str(VAR_DIR / "log" / "sms.log")).strip()
if POWERKAM_SMS_LOG:
    Path(POWERKAM_SMS_LOG).parent.mkdir(parents=True, exist_ok=True)
    _SMS_HANDLER = {"class": "logging.handlers.RotatingFileHandler", "filename": POWERKAM_SMS_LOG,
                    "maxBytes": 10 * 1024 * 1024, "backupCount": 3, "encoding": "utf-8", "formatter": "stamped",
                    "delay": True}
else:
    _SMS_HANDLER = {"class": "logging.StreamHandler"}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"stamped": {"format": "%(asctime)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}, "sms": _SMS_HANDLER},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "powerkam.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "powerkam.sms": {"handlers": ["sms"], "level": "INFO", "propagate": False},
    },
}

PAGE_SIZE = 25
# A customer search counts its matches up to this many and shows "1,000+ customers" beyond
# (customers.paging; issue #11: the count must not grow with the data). 0 counts exactly.
POWERKAM_SEARCH_COUNT_CAP = int(os.environ.get("POWERKAM_SEARCH_COUNT_CAP", "1000"))
APP_NAME = _("PowerKAM")
