"""Settings shared by every run mode.

Every value that differs between machines is read from the environment; the defaults
are the embedded mode (SQLite, eager Celery, mail and SMS to a local folder), so a fresh
clone runs with nothing else installed.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from config.beat import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

ENVIRONMENT = env("RECOURSE_ENV", default="local")
SECRET_KEY = env("SECRET_KEY", default="embedded-mode-only-not-secret-3f9a1c7e2b")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Days after a decision's notice during which the borrower may appeal it (DESIGN.md defaults).
APPEAL_WINDOW_DAYS = env.int("APPEAL_WINDOW_DAYS", default=60)
# Data rights (accounts.rights): decisions, notices, appeals and their inputs are kept this many
# months after the newest of them (Reg B 1002.12(b): at least 25; a system check refuses less),
# then personal details and evidence files are removed. A copy of a borrower's data can be
# downloaded for this many hours. The PDF copy is drawn in the first of these fonts that exists.
PERSONAL_DATA_RETENTION_MONTHS = env.int("PERSONAL_DATA_RETENTION_MONTHS", default=25)
DATA_EXPORT_TTL_HOURS = env.int("DATA_EXPORT_TTL_HOURS", default=72)
DATA_EXPORT_PDF_FONTS = env.list(
    "DATA_EXPORT_PDF_FONTS",
    default=[
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ],
)
# Days after a denial's notice during which the borrower may ask for a second review.
APPEAL_SECOND_REVIEW_WINDOW_DAYS = env.int("APPEAL_SECOND_REVIEW_WINDOW_DAYS", default=14)
# After a denial a closing line closes no earlier than this many days after the borrower is told.
APPEAL_DENIAL_CLOSURE_NOTICE_DAYS = env.int("APPEAL_DENIAL_CLOSURE_NOTICE_DAYS", default=7)
# Whether the lender reports our credit-line decisions to the credit bureau (what the borrower
# is told about their credit report when a decision was our error).
CREDIT_DECISIONS_REPORTED_TO_BUREAU = env.bool("CREDIT_DECISIONS_REPORTED_TO_BUREAU", default=False)
# Days the borrower is given to answer a request for more information.
APPEAL_INFO_RESPONSE_DAYS = env.int("APPEAL_INFO_RESPONSE_DAYS", default=7)
# A second review is decided within this many days of the borrower's request.
APPEAL_SECOND_REVIEW_DECISION_DAYS = env.int("APPEAL_SECOND_REVIEW_DECISION_DAYS", default=15)
# The desk asks to confirm a reply to the borrower that looks like an internal remark
# ("TODO", "internal", an @mention, another staff member's name…: appeals/desk/remarks.py).
DESK_CONFIRM_INTERNAL_LOOKING_REPLIES = env.bool(
    "DESK_CONFIRM_INTERNAL_LOOKING_REPLIES", default=False
)
# A reminder this many days before the borrower's reply deadline.
APPEAL_REPLY_REMINDER_DAYS = env.int("APPEAL_REPLY_REMINDER_DAYS", default=2)
# Evidence files: per-file size cap and number of files per appeal.
APPEAL_EVIDENCE_MAX_BYTES = env.int("APPEAL_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
APPEAL_EVIDENCE_MAX_FILES = env.int("APPEAL_EVIDENCE_MAX_FILES", default=10)
# Appeals a borrower may start (django-ratelimit syntax, counted in the shared cache).
APPEAL_CREATE_RATE = env("APPEAL_CREATE_RATE", default="5/h")
# Throttles per client address (django-ratelimit syntax; they fail open without the cache).
SIGN_IN_RATE_PER_ADDRESS = env("SIGN_IN_RATE_PER_ADDRESS", default="30/10m")
PASSWORD_RESET_RATE_PER_ADDRESS = env("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env("PASSWORD_RESET_RATE_PER_EMAIL", default="3/h")
# Behind a reverse proxy: the header it sets (e.g. HTTP_X_FORWARDED_FOR), how many proxies
# stand in front, and their addresses; empty = REMOTE_ADDR is the client.
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default="")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=[])
CREDIT_REEVALUATION_DEBOUNCE_SECONDS = env.int("CREDIT_REEVALUATION_DEBOUNCE_SECONDS", default=60)
# Line ids per task of a fan-out (the nightly run, staff requests).
CREDIT_REEVALUATION_CHUNK_SIZE = env.int("CREDIT_REEVALUATION_CHUNK_SIZE", default=1000)
# What would change each adverse decision, computed when it is made (docs/credit-policy.md).
CREDIT_COUNTERFACTUALS = env.bool("CREDIT_COUNTERFACTUALS", default=True)

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",
    "csp",
    "anymail",
    "jobs",
    "audit",
    "accounts",
    "notifications",
    "credit",
    "appeals",
    "webhooks",
]

MIDDLEWARE = [
    # Request latency and counts for /metrics (django-prometheus): first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.middleware.BorrowerTimezoneMiddleware",
    "accounts.middleware.ConsentGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before a request reuses it, so after a database restart the
# first request gets a new connection instead of the dead one (config.errors answers 503 while
# the database is down).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database host fails a request in seconds rather than hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run waits for a writer's lock (seconds) instead of failing at once with
    # "database is locked" when two requests (e.g. a double tap) write together.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "timeout", env.int("SQLITE_BUSY_TIMEOUT", default=20)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://recourse"),
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses a locked-out username/IP before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrPhoneBackend",
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
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Login throttling (django-axes): five wrong passwords for one account, from any address and
# under any spelling of its name, lock it for fifteen minutes. Attempts per client address are
# rate-limited separately (SIGN_IN_RATE_PER_ADDRESS).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
# Counted per account: "LI.WEI@…", "+8613800001001" and "138 0000 1001" are one person.
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "config.ratelimits.client_address"
# axes.W006 asks for the address among the lock's keys. A lock per address after five
# failures would shut out everyone behind one carrier NAT; addresses get their own, larger
# throttle instead (SIGN_IN_RATE_PER_ADDRESS, accounts.throttles).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The API gets the JSON error shape instead of the lockout page.
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

# Pages a signed-in borrower reaches before accepting the policies in force (accounts.consent):
# the consent page, signing out, the language, Help and a support request to reach a person.
# The API has its own check (accounts.permissions.PoliciesAccepted).
CONSENT_GATE_EXEMPT_PATHS = (
    "/consent/",
    "/policies/",
    "/logout/",
    "/language/",
    "/help/",
    "/appeals/support/",
    # a copy of one's data, and deleting the account, without accepting a new version first
    "/settings/data/",
    "/api/",
    "/admin/",
    "/static/",
    "/healthz",
    "/metrics",
)
LANGUAGE_COOKIE_NAME = "recourse_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Development and tests serve straight from the finders; production collects to STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Private uploads (appeal evidence) live outside any URL the web server maps.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "outbox" / "email"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Recourse <no-reply@recourse.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {}

SESSION_COOKIE_HTTPONLY = True
# Staff are signed out after this long without a request (accounts.middleware).
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content security policy: nothing inline, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    # Bearer first: DRF answers an anonymous call with the first authenticator's challenge,
    # so it is 401 with `WWW-Authenticate: Bearer`, not a bare 403 (session has no challenge).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A borrower who has not accepted the policies in force gets 403 `consent_required`.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.PoliciesAccepted",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ErrorDocumentingAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recourse API",
    "DESCRIPTION": "Credit-line explanations, appeals and notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. With no broker configured, tasks run eagerly in process (the embedded mode);
# services queue them with transaction.on_commit, so "eager" still means "after commit".
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang when the broker is down: publishing gives up quickly and
# the outbox relay re-queues whatever was not sent.
# A task runs at most 10 minutes (the longest, a chunk of the nightly re-evaluation, takes
# seconds); the broker hands an unacknowledged task to another worker 15 minutes after a
# worker took it, so a killed worker strands its task for 15 minutes, not Redis' default hour.
# No countdown or retry delay may exceed the visibility timeout (it would run twice).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# Policy campaigns: lines per chunk (each chunk writes its decisions and notices in one
# transaction), and how long a running campaign may go without progress before the sweep
# decides its worker was lost and resumes it.
CREDIT_CAMPAIGN_CHUNK_SIZE = env.int("CREDIT_CAMPAIGN_CHUNK_SIZE", default=500)
CREDIT_CAMPAIGN_STALL_SECONDS = env.int("CREDIT_CAMPAIGN_STALL_SECONDS", default=120)
# A running evaluation batch none of whose chunks checked in for longer than the hard time
# limit or the visibility timeout (whichever is longer) plus this margin has lost its
# missing chunks (killed at the hard limit): the sweep fails them and supervisors are told.
# A campaign, correction or shadow run without progress for as long, though resumed, fails.
CREDIT_CHUNK_SILENCE_MARGIN = env.int("CREDIT_CHUNK_SILENCE_MARGIN", default=300)
# A campaign task runs chunks for this long, then hands over to a fresh task.
CREDIT_CAMPAIGN_TASK_SECONDS = env.float("CREDIT_CAMPAIGN_TASK_SECONDS", default=30.0)
# The circuit breaker: a campaign is held for a supervisor when it would change more than
# this share of all lines, or more than this multiple of the trailing 30-day adverse rate;
# never when it changes fewer lines than the minimum.
CREDIT_BREAKER_ABSOLUTE_SHARE = env.float("CREDIT_BREAKER_ABSOLUTE_SHARE", default=0.05)
CREDIT_BREAKER_MULTIPLE = env.float("CREDIT_BREAKER_MULTIPLE", default=3.0)
CREDIT_BREAKER_MIN_LINES = env.int("CREDIT_BREAKER_MIN_LINES", default=100)

# The appeals report flags a reason code for the risk team when at least this many decided
# appeals cited it and its overturn rate is this multiple of, and this margin above, the rate
# of the appeals that did not.
APPEAL_REPORT_FLAG_MIN_APPEALS = env.int("APPEAL_REPORT_FLAG_MIN_APPEALS", default=20)
APPEAL_REPORT_FLAG_MULTIPLE = env.float("APPEAL_REPORT_FLAG_MULTIPLE", default=2.0)
APPEAL_REPORT_FLAG_MARGIN = env.float("APPEAL_REPORT_FLAG_MARGIN", default=0.10)

# Risk tips (opt-in): at most one per borrower in this many days; the topic changes each period.
CREDIT_TIPS_PERIOD_DAYS = env.int("CREDIT_TIPS_PERIOD_DAYS", default=30)

LOG_FORMAT = env("LOG_FORMAT", default="text")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    # No email, phone or ID number reaches a log line (config/log_privacy.py).
    "filters": {"personal_data": {"()": "config.log_privacy.PersonalDataFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Notifications (notifications/): outbox, channels, delivery. See docs/notifications.md.
NOTIFICATIONS_SMS_BACKEND = env(
    "NOTIFICATIONS_SMS_BACKEND", default="notifications.sms.FileSmsBackend"
)
NOTIFICATIONS_SMS_FILE_PATH = env(
    "NOTIFICATIONS_SMS_FILE_PATH", default=str(VAR_DIR / "outbox" / "sms")
)
NOTIFICATIONS_SMS_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_SMS_TIMEOUT_SECONDS", default=10.0)
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_BASE = env("TWILIO_API_BASE", default="https://api.twilio.com")
# Routing by number prefix: {"+86": "notifications.sms_alibaba.AlibabaSmsBackend"}; a number
# no prefix matches goes through NOTIFICATIONS_SMS_BACKEND.
NOTIFICATIONS_SMS_ROUTES = env.json("NOTIFICATIONS_SMS_ROUTES", default={})
# Alibaba Cloud SMS (notifications/sms_alibaba.py): pre-approved templates, one code per SMS
# event ({"credit.closed": "SMS_4711", ...}); each event declares its template's parameters
# (sms_params in its app's notices.py). `manage.py check` refuses a missing code.
ALIBABA_SMS_ACCESS_KEY_ID = env("ALIBABA_SMS_ACCESS_KEY_ID", default="")
ALIBABA_SMS_ACCESS_KEY_SECRET = env("ALIBABA_SMS_ACCESS_KEY_SECRET", default="")
ALIBABA_SMS_SIGN_NAME = env("ALIBABA_SMS_SIGN_NAME", default="")
ALIBABA_SMS_TEMPLATE_CODES = env.json("ALIBABA_SMS_TEMPLATE_CODES", default={})
ALIBABA_SMS_ENDPOINT = env("ALIBABA_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com")
ALIBABA_SMS_PROTOCOL = env("ALIBABA_SMS_PROTOCOL", default="HTTPS")

# Error reporting to Sentry (config/error_reporting.py), only when a DSN is set; personal data
# is scrubbed before anything is sent.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

# Outbound webhooks to the lender (Standard Webhooks): seconds to wait for a receiver.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)

# GET /metrics (Prometheus): open to these networks, or to anyone sending this bearer token.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
# SMS waits for the end of quiet hours in the recipient's time zone (start == end: none).
NOTIFICATIONS_QUIET_HOURS_START = env("NOTIFICATIONS_QUIET_HOURS_START", default="21:00")
NOTIFICATIONS_QUIET_HOURS_END = env("NOTIFICATIONS_QUIET_HOURS_END", default="08:00")
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=6)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=3600.0)
# The relay re-queues pending rows whose task was queued this long ago and never ran.
NOTIFICATIONS_RELAY_AFTER_SECONDS = env.int("NOTIFICATIONS_RELAY_AFTER_SECONDS", default=300)
NOTIFICATIONS_RELAY_BATCH = env.int("NOTIFICATIONS_RELAY_BATCH", default=500)
# How many due rows a delivery task claims at once (one SELECT … FOR UPDATE SKIP LOCKED),
# sends over one email connection and records in bulk.
NOTIFICATIONS_DELIVERY_BATCH = env.int("NOTIFICATIONS_DELIVERY_BATCH", default=200)
# A row left "sending" this long means a worker died mid-send: marked failed, never resent
# automatically (it may have gone out); staff can resend it.
NOTIFICATIONS_SENDING_TIMEOUT_SECONDS = env.int(
    "NOTIFICATIONS_SENDING_TIMEOUT_SECONDS", default=900
)
