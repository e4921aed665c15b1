"""`GET /healthz`: 200 when the database answers; the broker's state is reported too."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to answer is "down", whatever the driver raised
        logger.exception("health check: database unreachable")
        return "down"
    return "ok"


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.warning("health check: broker unreachable")
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    database = _database_status()
    broker = _broker_status()
    healthy = database == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "down", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
