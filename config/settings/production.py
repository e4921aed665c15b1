"""Production: refuses to start without a real secret and the hosts it serves."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, env

ENVIRONMENT = "production"
DEBUG = False
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = False

try:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(
        "Production needs SECRET_KEY and ALLOWED_HOSTS in the environment."
    ) from exc
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name at least one host in production.")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")

# Persistent connections: each gunicorn worker and Celery worker process keeps its connection
# between requests and tasks (a sync worker serves one at a time, so one connection each is
# what a pool would hold), checked before reuse so a connection the server dropped is replaced
# instead of failing the request. CONN_MAX_AGE=0 goes back to one connection per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(  # noqa: F405
    "CONN_HEALTH_CHECKS", default=True
)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="anymail.backends.amazon_ses.EmailBackend")
ANYMAIL = env.json("ANYMAIL", default={})
CACHES = {"default": env.cache("CACHE_URL", default="redis://127.0.0.1:6379/1")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that does not answer must not hold a request: every read of it has a fallback
    # (My credit renders afresh, consent reads the database), so give up within a second.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
        socket_timeout=env.float("CACHE_TIMEOUT", default=1.0),
    )

LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

# Web processes and Celery workers both load these settings: both report errors.
if SENTRY_DSN:  # noqa: F405
    from config.error_reporting import error_reporting_init

    error_reporting_init(
        dsn=SENTRY_DSN,  # noqa: F405
        environment=env("SENTRY_ENVIRONMENT", default=ENVIRONMENT),
        release=SENTRY_RELEASE,  # noqa: F405
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,  # noqa: F405
    )
