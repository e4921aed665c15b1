"""`GET /metrics` for Prometheus: request latency (django-prometheus' middleware) and what
each app reports about its own work (its `metrics.py`, found like `roles.py`), plus the
depth of the Celery queues.

Open to local addresses by default; from elsewhere only with `METRICS_BEARER_TOKEN` or from
`METRICS_ALLOWED_NETWORKS`. Each app's `collect()` yields prometheus_client metric
families read from the database at scrape time, so every web process answers the same.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily

from config.discovery import project_app_modules

logger = logging.getLogger(__name__)
QUEUES = ("celery",)


def celery_queue_depth():
    """Messages waiting in each Celery queue on a Redis broker (none in the embedded mode)."""
    family = GaugeMetricFamily(
        "recourse_celery_queue_depth", "Tasks waiting in a Celery queue", labels=["queue"]
    )
    url = settings.CELERY_BROKER_URL
    if url and url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        for queue in QUEUES:
            family.add_metric([queue], client.llen(queue))
    yield family


class RecourseCollector:
    def collect(self):
        sources = [("config", celery_queue_depth)]
        sources += [(c.label, m.collect) for c, m in project_app_modules("metrics")]
        for label, collect in sources:
            try:
                yield from collect()
            except Exception:  # one failing source must not hide the others
                logger.exception("metrics: %s could not report", label)


_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(RecourseCollector())
        _registered = True


def _allowed(request) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False)
        for net in settings.METRICS_ALLOWED_NETWORKS
    )


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("Metrics are open to local addresses or with the token.\n")
    _register()
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
