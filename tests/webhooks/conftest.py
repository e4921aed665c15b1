from datetime import UTC, datetime

import pytest
import time_machine

from tests.webhooks.receiver import Receiver
from webhooks import services

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def receiver():
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def endpoint(db, receiver):
    endpoint = services.endpoint_create(url=receiver.url, description="Core system (test)")
    receiver.secrets = [endpoint.secret]
    return endpoint
