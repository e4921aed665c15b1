import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("recourse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="recourse.ping")
def ping() -> str:
    """A no-op the health check and the integration test use to see a worker answer."""
    return "pong"
