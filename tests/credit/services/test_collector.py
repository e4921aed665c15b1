"""The collector is paused for a chunk of a batch and restored after, whatever happens."""

import gc

import pytest

from credit.services._collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_running_again_after_even_on_an_error():
    gc.enable()
    seen = []

    @collector_paused()
    def chunk():
        seen.append(gc.isenabled())
        raise RuntimeError("a chunk that fails")

    with pytest.raises(RuntimeError):
        chunk()
    assert seen == [False]
    assert gc.isenabled()


def test_a_caller_that_paused_it_keeps_it_paused():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.mark.django_db
def test_a_reevaluation_chunk_runs_with_the_collector_paused(monkeypatch):
    from credit import selectors, services

    gc.enable()
    seen = []
    active_rules = selectors.active_rules

    def spy():
        seen.append(gc.isenabled())
        return active_rules()

    monkeypatch.setattr(selectors, "active_rules", spy)
    services.credit_lines_reevaluate(line_ids=[], trigger="periodic")
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.django_db
def test_an_ingested_batch_is_validated_and_folded_with_the_collector_paused(monkeypatch):
    """A batch of 1,000 events allocates tens of thousands of short-lived containers; without
    the pause, full collections land inside requests (the wsgi module froze what was loaded
    at start, so each walks the batch's own objects)."""
    from credit.ingestion import services as ingestion

    gc.enable()
    seen = []
    validate = ingestion.validate_event

    def spy(item, **kwargs):
        seen.append(gc.isenabled())
        return validate(item, **kwargs)

    monkeypatch.setattr(ingestion, "validate_event", spy)
    report = ingestion.credit_events_ingest(items=[{"source": "core"}], origin="test")
    assert seen == [False]
    assert [result.status for result in report.results] == ["rejected"]
    assert gc.isenabled()
