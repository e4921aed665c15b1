"""GET /metrics: the series an operator graphs and alerts on, read back with Prometheus' own
parser; open to local addresses, elsewhere only with the token or from allowed networks."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from credit import services as credit_services
from tests.appeals.factories import submitted_appeal
from tests.credit.factories import make_line
from webhooks import services as webhook_services
from webhooks.models import WebhookMessage

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_the_named_series_are_there_with_their_values(client):
    endpoint = webhook_services.endpoint_create(url="http://127.0.0.1:9/hooks")
    line = make_line()
    credit_services.credit_line_decide(
        line=line, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    submitted_appeal()  # a closing line under appeal: decisions, an open appeal, notices
    client.get("/healthz")  # a request to time

    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        got = scrape(client)
    first_message = WebhookMessage.objects.order_by("created_at").first().created_at

    assert got[("recourse_decisions_total", (("outcome", "freeze"), ("trigger", "staff")))] == 1
    assert got[("recourse_appeals_open", (("state", "submitted"),))] == 1
    assert got[("recourse_appeals_open", (("state", "in_review"),))] == 0
    backlog = got[("recourse_webhook_backlog", (("endpoint", str(endpoint.pk)),))]
    assert backlog >= 4  # freeze, closure scheduled, appeal opened, closure held
    age = got[("recourse_webhook_oldest_age_seconds", (("endpoint", str(endpoint.pk)),))]
    assert age == pytest.approx((later - first_message).total_seconds(), abs=1)
    assert age >= 600
    assert got[("recourse_outbox_pending", (("channel", "email"),))] >= 1
    assert got[("recourse_outbox_oldest_age_seconds", (("channel", "email"),))] >= 590
    assert any(
        name == "django_http_requests_latency_seconds_by_view_method_count" for name, _ in got
    )


def test_other_addresses_need_the_token_or_an_allowed_network(client, settings):
    settings.METRICS_BEARER_TOKEN = "s3cret-scrape"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = {"REMOTE_ADDR": "203.0.113.9", "HTTP_AUTHORIZATION": "Bearer s3cret-scrape"}
    assert client.get("/metrics", **right).status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@pytest.mark.redis
def test_celery_queue_depth_is_read_from_the_broker(client, settings, redis_url):
    import redis

    settings.CELERY_BROKER_URL = redis_url
    broker = redis.Redis.from_url(redis_url)
    before = broker.llen("celery")
    broker.rpush("celery", b"metrics-test-marker", b"metrics-test-marker")
    try:
        got = scrape(client)
    finally:
        broker.lrem("celery", 0, b"metrics-test-marker")
    assert got[("recourse_celery_queue_depth", (("queue", "celery"),))] == before + 2
