"""The My credit panel seam: another app adds its part of the page; credit names no app."""

import copy

import pytest
from django.urls import reverse

from credit import panels
from tests.credit.story import active_line, closing_line
from tests.support import plain, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_templates(settings, tmp_path):
    (tmp_path / "test_panels").mkdir()
    (tmp_path / "test_panels" / "status.html").write_text(
        '<p class="test-panel">Status panel: {{ panel.word }} on {{ line.status }}</p>'
    )
    (tmp_path / "test_panels" / "decision.html").write_text(
        '<p class="test-panel">Decision panel: {{ panel.word }}</p>'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates


@pytest.fixture
def registered(panel_templates):
    names = []

    def register(name, source):
        panels.register(name, source)
        names.append(name)

    yield register
    for name in names:
        panels.unregister(name)


def my_credit(client, user) -> str:
    client.force_login(user)
    client.cookies["recourse_language"] = "en"
    return text(client.get(reverse("credit:my-credit")))


def test_a_registered_panel_is_shown_at_each_place_it_fills(client, sent_notices, registered):
    line = closing_line()
    seen = []

    def source(*, user, overview):
        seen.append((user, overview.line))
        return panels.Panel(
            templates={
                panels.STATUS: "test_panels/status.html",
                panels.DECISION: "test_panels/decision.html",
            },
            context={"word": "hello"},
        )

    registered("test", source)
    body = my_credit(client, line.borrower)

    assert "Status panel: hello on closing" in body
    assert "Decision panel: hello" in body
    assert seen == [(line.borrower, line)]  # called once per page, with the borrower's line


def test_a_panel_with_nothing_to_show_leaves_the_page_as_it_was(client, sent_notices, registered):
    line = closing_line()
    client.force_login(line.borrower)
    before = plain(client.get(reverse("credit:my-credit")))
    registered("test", lambda *, user, overview: None)

    assert plain(client.get(reverse("credit:my-credit"))) == before


def test_the_decision_place_is_only_shown_when_a_decision_explains_the_line(
    client, sent_notices, registered
):
    line = active_line()
    registered(
        "test",
        lambda *, user, overview: panels.Panel(
            templates={panels.DECISION: "test_panels/decision.html"}, context={"word": "x"}
        ),
    )

    assert "Decision panel" not in my_credit(client, line.borrower)


def test_a_panel_asking_for_an_unknown_place_is_refused(client, sent_notices, registered):
    line = active_line()
    registered(
        "test",
        lambda *, user, overview: panels.Panel(templates={"footer": "test_panels/status.html"}),
    )
    client.force_login(line.borrower)

    with pytest.raises(ValueError, match="footer"):
        client.get(reverse("credit:my-credit"))


def test_no_panels_without_a_credit_line():
    assert panels.panels_for(user=None, overview=None) == {
        panels.STATUS: [],
        panels.DECISION: [],
        panels.ACTION: [],
    }
