"""Finding 9 of issue 15: a killed worker's task goes back to the queue within the visibility
timeout, which fits the longest task and every delay the project asks of the broker."""

from config.celery import app
from config.settings.base import BEAT_SCHEDULE


def test_a_stranded_task_is_redelivered_within_fifteen_minutes_not_an_hour():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility <= 15 * 60
    assert app.conf.task_time_limit < visibility  # a running task is never handed out twice
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_no_retry_delay_or_countdown_outlasts_the_visibility_timeout(settings):
    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert ours
    for task in ours:
        if getattr(task, "retry_backoff", False):
            assert getattr(task, "retry_backoff_max", 600) <= visibility, task.name
    assert visibility > settings.CREDIT_REEVALUATION_DEBOUNCE_SECONDS
    assert all(
        isinstance(entry["schedule"], float) is False or entry["schedule"] < visibility
        for entry in BEAT_SCHEDULE.values()
    )
