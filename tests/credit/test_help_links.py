"""Advice never points to an app or a screen that does not exist: every link in the help
centre and in each reason's advice on My credit opens (200 for a signed-in borrower), every
anchor it names is on the page, and no reason's advice sends a borrower to "the app"."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.urls import reverse

from credit.models import ReasonCategory, ReasonCode
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    def __init__(self, within_class: str | None = None):
        super().__init__()
        self.within_class, self.depth = within_class, 0
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if self.within_class is not None:
            if self.depth:
                self.depth += 1
            elif self.within_class in (attrs.get("class") or "").split():
                self.depth = 1
        inside = self.within_class is None or self.depth
        if tag == "a" and inside and attrs.get("href"):
            self.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def _parse(html: str, within_class: str | None = None) -> _Links:
    parser = _Links(within_class)
    parser.feed(html)
    return parser


def _follow(client, base: str, hrefs: list[str]) -> list[str]:
    """Each same-site link opens with 200 and, if it names an anchor, the anchor is there."""
    broken = []
    for href in hrefs:
        parsed = urlparse(href)
        assert not parsed.netloc, f"a link leaves the site: {href}"
        path, anchor = urldefrag(href)
        path = path or base
        answer = client.get(path)
        if answer.status_code != 200:
            broken.append(f"{href} answered {answer.status_code}")
        elif anchor and anchor not in _parse(answer.content.decode()).ids:
            broken.append(f"{href}: no #{anchor} on {path}")
    return broken


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_link_in_the_help_centre_opens_for_a_borrower(client, borrower, language):
    client.force_login(borrower)
    client.cookies["recourse_language"] = language
    help_url = reverse("help")
    page = _parse(client.get(help_url).content.decode(), within_class="page")
    hrefs = list(page.hrefs)
    assert len(hrefs) >= 10  # the topics and every page it sends the borrower to
    for needed in ("appeals:support", "appeals:list", "policies", "notifications:preferences"):
        assert reverse(needed) in hrefs, needed
    assert _follow(client, help_url, hrefs) == []


def test_each_reason_category_has_its_section_in_help(client, borrower):
    client.force_login(borrower)
    ids = _parse(client.get(reverse("help")).content.decode()).ids
    for category in ReasonCategory.values:
        assert "why-" + category.replace("_", "-") in ids, category


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_reasons_advice_links_to_its_help_section_and_it_opens(client, sent_notices, language):
    line = closing_line(days_ago=7)
    client.force_login(line.borrower)
    client.cookies["recourse_language"] = language
    my_credit = reverse("credit:my-credit")
    html = client.get(my_credit).content.decode()
    advice_links = _parse(html, within_class="reason__advice").hrefs
    reasons = list(line.decisions.get().reasons_ranked)
    assert len(advice_links) == len(reasons) > 0
    for link, reason in zip(advice_links, reasons, strict=True):
        assert link.endswith("#why-" + reason.reason_code.category.replace("_", "-"))
    assert _follow(client, my_credit, advice_links) == []


# "the app" (or 在 App 中, 应用) names a screen Recourse does not have.
NOWHERE = re.compile(r"\bapp\b|\bApp\b|应用|客户端|\bscreen\b|\bsettings page\b", re.IGNORECASE)


def test_no_reasons_advice_sends_a_borrower_to_an_app_or_screen_that_does_not_exist():
    texts = ReasonCode.objects.values_list("code", "advice_en", "advice_zh")
    assert texts.exists()
    offending = [code for code, en, zh in texts if NOWHERE.search(en) or NOWHERE.search(zh)]
    assert offending == []
