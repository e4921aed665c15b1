"""Test settings: the embedded defaults, or PostgreSQL/Redis when their URLs are set."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

ENVIRONMENT = "test"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in process unless a test starts a real worker itself (a fault test's worker
# queues the tasks it starts on the broker, as in production: CELERY_TASK_ALWAYS_EAGER=false).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# SMS collect in memory (notifications.sms.outbox); a real worker in an integration test is
# pointed at the file backend through the environment.
NOTIFICATIONS_SMS_BACKEND = env(
    "NOTIFICATIONS_SMS_BACKEND", default="notifications.sms.LocMemSmsBackend"
)
