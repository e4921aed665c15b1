"""Two processes notifying about the same thing at the same moment still make one row each
channel (PostgreSQL: the unique index makes the later INSERT wait, then lose)."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from notifications.models import Notification
from notifications.services import notify
from tests.notifications.factories import sample_context

EVENT = "credit.closed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("daytime")
def test_racing_notify_calls_make_one_row_per_channel(borrower):
    first_wrote = threading.Event()
    second_done = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = notify(
                    recipient=borrower, event=EVENT, context=sample_context(EVENT), obj=borrower
                )
                first_wrote.set()
                # Hold our rows uncommitted: the second caller's INSERT blocks on the unique
                # index, so this wait ends by its timeout and we commit; then it must lose.
                second_done.wait(timeout=1)
        finally:
            connection.close()

    def second():
        try:
            first_wrote.wait(timeout=10)
            results["second"] = notify(
                recipient=borrower, event=EVENT, context=sample_context(EVENT), obj=borrower
            )
        except Exception as exc:  # surfaced below
            results["error"] = exc
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert "error" not in results, results.get("error")
    assert len(results["first"]) == 3 and results["second"] == []
    assert Notification.objects.count() == 3


@pytest.mark.django_db
def test_relay_command(capsys):
    call_command("relay_notifications")
    assert "0 notification(s) queued" in capsys.readouterr().out
