"""The sentences that tell a borrower what would change an adverse decision, and when, from the
counterfactuals stored with it (`CreditDecision.counterfactuals`). One place for My credit, the
borrower API and the notices, in the reader's language (gettext; the Chinese is in the app's
catalogue). Dates are the lender's calendar days the engine computed them on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, translation
from django.utils.translation import gettext

from .engine import counterfactuals as cf
from .templatetags.credit_format import cny

LANGUAGES = ("zh-hans", "en")
# The order a decision's answers are read in: what stops a rule, what to do, when by itself.
ORDER = (cf.KNOCKOUT, cf.CAMPAIGN, cf.REGULATORY, cf.ACTIONS, cf.NO_ACTION, cf.TIME)


def _day(value: str | None) -> str:
    return _day_in(value, translation.get_language()) if value else ""


@lru_cache(maxsize=4096)
def _day_in(value: str, language: str) -> str:
    """A day as the active language writes it (`language` keys the memo: a batch of notices
    writes the same few days for every borrower)."""
    return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


def change_text(change: dict) -> str:
    """One change, as what the borrower would do ("close 2 of your loans at ...")."""
    action = change.get("action")
    if action == cf.CLOSE_LOANS:
        count = len(change.get("loans") or ()) or (
            int(change.get("from") or 0) - int(change.get("to") or 0)
        )
        return gettext(
            "close %(count)s of your loans at other platforms (%(before)s open now, "
            "%(after)s after)"
        ) % {"count": count, "before": change.get("from"), "after": change.get("to")}
    if action == cf.REPAY_BALANCE:
        repaid = _amount(change.get("from")) - _amount(change.get("to"))
        return gettext("repay %(amount)s of what you owe us") % {"amount": cny(repaid)}
    if action == cf.VERIFY_INCOME:
        return gettext("verify a monthly income of at least %(amount)s") % {
            "amount": cny(change.get("to"))
        }
    if action == cf.RENEW_IDENTITY:
        return gettext("upload a valid identity document and have it verified")
    return ""


def _joined(changes: Sequence[dict]) -> str:
    texts = [change_text(c) for c in changes]
    return gettext("; and ").join(texts)


def sentence(item: dict) -> str:
    """One stored counterfactual as a sentence in the active language."""
    kind = item.get("kind")
    changes = item.get("changes") or []
    if kind == cf.ACTIONS and item.get("together"):
        return gettext(
            "No single change is enough on its own. If you %(changes)s, together they would "
            "let your credit line pass our check today."
        ) % {"changes": _joined(changes)}
    if kind == cf.ACTIONS:
        return gettext("If you %(change)s, your credit line would pass our check today.") % {
            "change": _joined(changes)
        }
    if kind == cf.NO_ACTION:
        return gettext(
            "No change you can make today is enough on its own to keep your credit line."
        )
    if kind == cf.TIME:
        return gettext(
            "If you take no new loans elsewhere and nothing else changes, your credit line "
            "would pass our check again on %(date)s. We will review it again that day."
        ) % {"date": _day(item.get("on"))}
    if kind == cf.KNOCKOUT and changes:
        return gettext("This rule stops applying if you %(change)s.") % {"change": _joined(changes)}
    if kind == cf.KNOCKOUT and item.get("on"):
        return gettext(
            "This rule applies whatever your credit score. If nothing new is reported, it "
            "stops applying on %(date)s."
        ) % {"date": _day(item.get("on"))}
    if kind == cf.KNOCKOUT:
        return gettext(
            "This rule applies whatever your credit score, and nothing you can do today makes "
            "it stop applying."
        )
    if kind == cf.CAMPAIGN and item.get("on"):
        return gettext(
            "A product policy change decided this, not your credit score, so nothing you do "
            "changes it. The policy change ends on %(date)s."
        ) % {"date": _day(item.get("on"))}
    if kind == cf.CAMPAIGN:
        return gettext(
            "A product policy change decided this, not your credit score, so nothing you do "
            "changes it. If you think it is unfair to you, appeal and a person will review it."
        )
    if kind == cf.REGULATORY and "identity_document_expired" in (item.get("reasons") or ()):
        return gettext(
            "A regulatory requirement decided this: no other action of yours changes it. A "
            "valid identity document, once verified, does."
        )
    if kind == cf.REGULATORY:
        return gettext(
            "A regulatory requirement decided this: no action of yours changes it. It changes "
            "only when the requirement no longer applies to your credit line."
        )
    return ""


def _ordered(items: Iterable[dict]) -> list[dict]:
    items = [i for i in items or () if i.get("kind") in ORDER]
    return sorted(items, key=lambda i: ORDER.index(i["kind"]))


def sentences_by_reason(items: Iterable[dict], codes: Sequence[str]) -> list[list[str]]:
    """The sentences shown under each reason, in the order of `codes` (the ranked reasons).
    "No single change is enough" speaks of the whole decision: it is said once, under the
    first reason it names, not repeated under every one."""
    items = list(items or ())
    said: set[str] = set()
    out = []
    for code in codes:
        found = []
        for line in sentences_for_reason(items, code):
            if line in said:
                continue
            found.append(line)
        said.update(
            sentence(i)
            for i in items
            if i.get("kind") == cf.NO_ACTION and code in (i.get("reasons") or ())
        )
        out.append(found)
    return out


def sentences_for_reason(items: Iterable[dict], code: str) -> list[str]:
    """The sentences shown under one reason: the answers that name its code. A reason no
    answer names, beside changes that are enough without it, says it need not change."""
    items = _ordered(items)
    found = [sentence(i) for i in items if code in (i.get("reasons") or ())]
    if not found and any(i["kind"] == cf.ACTIONS for i in items):
        found.append(
            gettext(
                "This factor need not change: the change shown under another reason is "
                "enough on its own."
            )
        )
    return found


def sentences(items: Iterable[dict]) -> list[str]:
    """Every answer of a decision, once each, in reading order."""
    return [sentence(i) for i in _ordered(items)]


def bilingual(items: Iterable[dict]) -> list[dict]:
    """Every answer as {"zh-hans": ..., "en": ...}, for a notice's context."""
    items = _ordered(items)
    # A night's adverse decisions repeat a few answers ("close 1 of 3 loans", "again on
    # Jan. 21"): each set is worded once per process (forgotten when settings change).
    key = json.dumps(items, sort_keys=True, default=str)
    worded = _WORDED.get(key)
    if worded is None:
        worded = [{} for _ in items]
        for language in LANGUAGES:
            with translation.override(language):
                for slot, item in zip(worded, items, strict=True):
                    slot[language] = sentence(item)
        if len(_WORDED) >= _WORDED_LIMIT:
            _WORDED.clear()
        _WORDED[key] = worded
    return [dict(slot) for slot in worded]


_WORDED: dict[str, list[dict]] = {}
_WORDED_LIMIT = 4096


@receiver(setting_changed)
def _forget_wordings(**kwargs) -> None:
    _WORDED.clear()
    _day_in.cache_clear()
