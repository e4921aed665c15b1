"""The appeal page's read-only parts, rendered once per change and kept in the cache.

The page's cost is reading the appeal with its reasons, documents, extensions, history and
thread, comparing decisions, and rendering all of it; those change only when something
happens on the appeal. Its forms carry a per-request CSRF token and are rendered for every
request, with the status card, the stepper and whatever depends on the moment.

On every request one statement (built once, see `CompiledRead`) reads the appeal with its
line and survey and a fingerprint of everything the cached parts show: the appeal's own
fields, the line's state and latest decision, the newest and the number of its public
messages, documents, extensions and history entries, the last edit of any reason code, the
language and the borrower's time zone. Any change gives another fingerprint: the entry is
replaced, never served stale. Drafts are not cached (their dates depend on the moment).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from config.compiled_reads import CompiledRead
from config.page_cache import page_cache_get, page_cache_set
from config.rendered_once import CSRF_SLOT, SLOT, RenderedOnce, fill_csrf
from credit.models import CreditDecision, ReasonCode

from .models import Appeal, AppealExtension, AppealStatus, AppealTransition, Evidence, Message
from .selectors.borrower import APPEAL_PAGE_RELATED, PUBLIC_KINDS, appeal_page_prefetches

CACHE_VERSION = 1
# One entry per appeal and language, replaced when its fingerprint changes; the timeout only
# bounds how long the entry of an appeal nobody opens stays.
CACHE_SECONDS = 6 * 60 * 60
# name -> template, each rendered with the page's full context.
FRAGMENTS = {
    "stepper": "appeals/includes/detail_stepper.html",
    "before_after": "appeals/includes/detail_before_after.html",
    "dates": "appeals/includes/detail_dates.html",
    "files": "appeals/includes/detail_files.html",
    "thread": "appeals/includes/detail_thread.html",
    "history": "appeals/includes/detail_history.html",
}


def cache_key(*, appeal_id: int, user_id: int, language: str) -> str:
    return f"appeals:detail:v{CACHE_VERSION}:{appeal_id}:{user_id}:{language}"


def _newest_and_count(rows: QuerySet) -> Subquery:
    """'<newest id>:<rows>' of an appeal's child rows, in one subquery (None when none)."""
    return Subquery(
        rows.order_by()
        .values("appeal_id")
        .annotate(
            marker=Concat(Cast(Max("id"), CharField()), Value(":"), Cast(Count("id"), CharField()))
        )
        .values("marker")
    )


def _appeal_with_fingerprint(appeal_id: int) -> QuerySet[Appeal]:
    here = {"appeal_id": OuterRef("pk")}
    return (
        Appeal.objects.select_related(*APPEAL_PAGE_RELATED)
        .annotate(
            messages_marker=_newest_and_count(
                Message.objects.filter(**here, kind__in=[k.value for k in PUBLIC_KINDS])
            ),
            files_marker=_newest_and_count(Evidence.objects.filter(**here)),
            extensions_marker=_newest_and_count(AppealExtension.objects.filter(**here)),
            history_marker=_newest_and_count(AppealTransition.objects.filter(**here)),
            line_latest_decision_id=Coalesce(
                Subquery(
                    CreditDecision.objects.filter(line_id=OuterRef("line_id"))
                    .order_by()
                    .values("line_id")
                    .annotate(top=Max("id"))
                    .values("top")
                ),
                0,
                output_field=IntegerField(),
            ),
            reasons_changed_at=Subquery(
                ReasonCode.objects.order_by("-updated_at").values("updated_at")[:1]
            ),
        )
        .filter(pk=appeal_id)
    )


_read = CompiledRead(_appeal_with_fingerprint)


def appeal_for_page(*, user, appeal_id: int) -> Appeal:
    """The borrower's own appeal with its line, survey and page fingerprint (one statement);
    Appeal.DoesNotExist for another's, an unknown one or a discarded draft."""
    appeal = _read.first(int(appeal_id))
    if appeal is None or appeal.borrower_id != user.pk or appeal.status == AppealStatus.DISCARDED:
        raise Appeal.DoesNotExist
    return appeal


def read_in_full(appeal: Appeal) -> Appeal:
    """The appeal of `appeal_for_page` with the children the whole page shows (as
    `appeal_get_for_borrower` reads them), for a view whose parts are not cached."""
    prefetch_related_objects([appeal], *appeal_page_prefetches())
    return appeal


def fingerprint(appeal: Appeal, *, language: str) -> tuple:
    line = appeal.line
    own = tuple(getattr(appeal, f.attname) for f in Appeal._meta.concrete_fields)
    return (
        own,
        line.status,
        line.closing_effective_at,
        appeal.line_latest_decision_id,
        appeal.messages_marker,
        appeal.files_marker,
        appeal.extensions_marker,
        appeal.history_marker,
        appeal.reasons_changed_at,
        language,
        timezone.get_current_timezone_name(),
    )


@dataclass(frozen=True, slots=True)
class RenderedParts:
    fingerprint: tuple
    fragments: dict[str, str]
    hints: tuple[str, ...]  # the documents that help with the decision appealed
    latest_body: str  # the newest public message (what "we need more information" quotes)


def cacheable(appeal: Appeal) -> bool:
    return appeal.status != AppealStatus.DRAFT


def cached_parts(appeal: Appeal, *, language: str, fingerprint_now: tuple) -> RenderedParts | None:
    """The rendered parts kept for this appeal as it is now (`fingerprint_now`, of the appeal
    as read for this request), or None (none kept, or stale)."""
    key = cache_key(appeal_id=appeal.pk, user_id=appeal.borrower_id, language=language)
    found = page_cache_get(key, what="Appeal page")
    if not isinstance(found, RenderedParts) or found.fingerprint != fingerprint_now:
        return None
    return found


def render_parts(context: dict, *, language: str, fingerprint_of: tuple | None) -> RenderedParts:
    """Render the read-only parts from the page's full context (and keep them when given the
    fingerprint the appeal had when it was read)."""
    appeal = context["appeal"]
    thread = context["thread"]
    parts = RenderedParts(
        fingerprint=fingerprint_of or (),
        fragments={name: render_to_string(path, context) for name, path in FRAGMENTS.items()},
        hints=tuple(str(hint) for hint in context["hints"]),
        latest_body=thread.latest.body if thread.latest is not None else "",
    )
    if fingerprint_of is not None and cacheable(appeal):
        key = cache_key(appeal_id=appeal.pk, user_id=appeal.borrower_id, language=language)
        page_cache_set(key, parts, CACHE_SECONDS, what="Appeal page")
    return parts


def as_safe(parts: RenderedParts) -> dict[str, str]:
    return {name: mark_safe(html) for name, html in parts.fragments.items()}  # noqa: S308 - our templates' output


# --- The page's content, rendered once per state ------------------------------------------------
#
# On a cached request what is left to render is the page's content around the kept parts: the
# status card, the forms (empty: a form with errors is the uncached path) and their tokens.
# It reads nothing but the appeal's own fields, its line (both in the fingerprint) and the
# flags below, so it is rendered once per process for each of those and kept here; each request
# fills in its own CSRF token and one-time form tokens. The slots carry a random per-process
# part, so no text of a borrower's or an agent's can be taken for one.
FORM_TOKEN_SLOT = f"form-{SLOT}"
# An entry is ~10 KB: the bound keeps a process that sees many appeals small.
_bodies = RenderedOnce(max_entries=500)


def _body_key(context: dict, parts: RenderedParts) -> str:
    """Everything the content reads, as text (the fingerprint holds lists: JSON fields): the
    page's fingerprint, what it quotes of the kept parts, and the flags read per request."""
    appeal = context["appeal"]
    survey = getattr(appeal, "survey", None) if context["survey_done"] else None
    return repr(
        (
            appeal.pk,
            appeal.borrower_id,
            parts.fingerprint,
            parts.latest_body,  # what the body quotes of the parts (an erasure rewrites it)
            parts.hints,
            context["can_add_evidence"],
            context["can_reply"],
            bool(context["can_second_review"]),
            context["second_review_by_reviewer"],
            (survey.pk, survey.rating) if survey is not None else None,
        )
    )


def page_body(request, context: dict, parts: RenderedParts, *, forms: Callable[[], dict]) -> str:
    """The content of the page for `context` (the flags of a cached request), with this
    request's tokens. `forms()` gives the empty forms, built only when the content is
    rendered."""
    html = _bodies.get(
        _body_key(context, parts),
        lambda: render_to_string(
            "appeals/includes/detail_body.html",
            {**context, **forms(), "csrf_token": CSRF_SLOT, "form_token_slot": FORM_TOKEN_SLOT},
        ),
    )
    html = fill_csrf(html, request)
    first, *rest = html.split(FORM_TOKEN_SLOT)
    return mark_safe(first + "".join(uuid.uuid4().hex + piece for piece in rest))  # noqa: S308 - our template's output, tokens of hex
