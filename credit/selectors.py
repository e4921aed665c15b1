"""Reads for the credit app. Bulk readers feed the engine; page readers prefetch what they show."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform

from config.compiled_reads import CompiledRead

from . import engine
from .explaining import NEEDS_OLDER, DecisionFacts, explaining_index
from .models import (
    ADVERSE_OUTCOMES,
    DEFAULT_CLOSURE_BUFFER_DAYS,
    CreditDecision,
    CreditEvent,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionReason,
    DecisionTrigger,
    LineFeatureState,
    LineLook,
    ReasonCode,
    Scorecard,
    VersionStatus,
)

logger = logging.getLogger(__name__)


class NoActiveRules(RuntimeError):
    """There is no active scorecard or decision policy to evaluate with."""


@dataclass(frozen=True)
class ActiveRules:
    scorecard: Scorecard
    policy: DecisionPolicy
    card_rules: engine.ScorecardRules
    policy_rules: engine.PolicyRules


_parsed: dict[tuple, object] = {}


def _engine_rules(kind: str, version, parse):
    """The engine's form of a rules version, cached once activated (it can no longer change).
    Raises engine.RulesError for rules the engine cannot read (drafts being edited). The key
    holds the rule values themselves (cheap to read, unlike parsing them), so a row id used
    again (a restored or emptied database) never finds another version's rules."""
    values = version.rule_values()
    key = (kind, version.pk, version.version, json.dumps(values, sort_keys=True, default=str))
    if version.status != VersionStatus.DRAFT and key in _parsed:
        return _parsed[key]
    rules = parse(version=version.version or 0, **values)
    if version.status != VersionStatus.DRAFT:
        _parsed[key] = rules
    return rules


def scorecard_rules(card: Scorecard) -> engine.ScorecardRules:
    """The engine's form of a scorecard version (see `_engine_rules`)."""
    return _engine_rules("scorecard", card, engine.parse_scorecard)


def policy_rules(policy: DecisionPolicy) -> engine.PolicyRules:
    """The engine's form of a decision policy version (see `_engine_rules`)."""
    return _engine_rules("policy", policy, engine.parse_policy)


def active_rules() -> ActiveRules:
    card = Scorecard.objects.filter(status=VersionStatus.ACTIVE).first()
    policy = DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE).first()
    if card is None or policy is None:
        raise NoActiveRules("Activate a scorecard and a decision policy before evaluating lines.")
    return ActiveRules(card, policy, scorecard_rules(card), policy_rules(policy))


def policy_closure_buffer_days() -> int:
    """The active policy's notice period before a closure (the policy's default when no
    version is active yet, e.g. a staff decision on a fresh install)."""
    days = (
        DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE)
        .values_list("closure_buffer_days", flat=True)
        .first()
    )
    return DEFAULT_CLOSURE_BUFFER_DAYS if days is None else days


def reason_buffer_days() -> dict[str, int]:
    return dict(ReasonCode.objects.values_list("code", "default_buffer_days"))


def reason_codes_by_code(codes: Iterable[str]) -> dict[str, ReasonCode]:
    return {
        rc.code: rc
        for rc in ReasonCode.objects.filter(code__in=set(codes)).select_related("wording")
    }


# --- Bulk reads for evaluation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LastDecision:
    outcome: str
    old_limit: Decimal
    new_limit: Decimal
    scored: bool  # made by the scorecard (False: staff, campaign or correction)


def _ids_array(line_ids: Iterable[int]) -> str:
    """Ids as one PostgreSQL array literal, bound as one parameter (`= ANY(%s::bigint[])`):
    psycopg's dumper and its query splitting cost ~1 µs a parameter, every chunk."""
    return "{" + ",".join(str(int(line_id)) for line_id in line_ids) + "}"


def last_decisions(line_ids: Sequence[int]) -> dict[int, LastDecision]:
    """The latest decision of each line, in one query."""
    if not line_ids:
        return {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(CreditDecision._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (line_id) line_id, outcome, old_limit, new_limit,"  # noqa: S608 - the model's table; values bound
                f" scorecard_id IS NOT NULL FROM {table} WHERE line_id = ANY(%s::bigint[])"
                " ORDER BY line_id, created_at DESC, id DESC",
                [_ids_array(line_ids)],
            )
            return {row[0]: LastDecision(*row[1:]) for row in cursor.fetchall()}
    latest = (
        CreditDecision.objects.filter(line_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    ids = [
        pk
        for pk in CreditLine.objects.filter(id__in=line_ids)
        .annotate(last_id=Subquery(latest))
        .values_list("last_id", flat=True)
        if pk is not None
    ]
    if not ids:
        return {}
    rows = CreditDecision.objects.filter(id__in=ids).values_list(
        "line_id", "outcome", "old_limit", "new_limit", "scorecard_id"
    )
    return {
        line_id: LastDecision(outcome, old, new, scorecard_id is not None)
        for line_id, outcome, old, new, scorecard_id in rows
    }


def events_by_line(line_ids: Sequence[int], *, as_of: datetime) -> dict[int, list[tuple]]:
    """(kind, occurred_at, data) of every event of these lines up to `as_of`, in one query.

    The hot read of every evaluation: the ORM builds the query, the rows are decoded here
    (an aware datetime and a dict), which is several times faster than per-field converters.
    """
    grouped: dict[int, list[tuple]] = defaultdict(list)
    sql, params = (
        CreditEvent.objects.filter(line_id__in=line_ids, occurred_at__lte=as_of)
        .order_by()
        .values_list("line_id", "kind", "occurred_at", "data")
        .query.sql_with_params()
    )
    loads = json.loads
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for line_id, kind, occurred_at, data in cursor.fetchall():
            if isinstance(data, str | bytes):
                data = loads(data)
            grouped[line_id].append((kind, _aware(occurred_at), data))
    return grouped


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class LineRow(NamedTuple):
    """What evaluation reads of a line (no model instance: most lines don't change)."""

    id: int
    borrower_id: int
    credit_limit: Decimal
    balance: Decimal
    status: str
    opened_at: datetime
    updated_at: datetime
    key_customer: bool
    scheduled_change: str = ""


def lines_for_evaluation(line_ids: Sequence[int], *, lock: bool = False) -> list[LineRow]:
    if not line_ids:
        return []
    if connection.vendor == "postgresql" and not lock:
        columns = ", ".join(
            connection.ops.quote_name(CreditLine._meta.get_field(name).column)
            for name in LineRow._fields
        )
        table = connection.ops.quote_name(CreditLine._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id",  # noqa: S608 - the model's table and columns; values bound
                [_ids_array(line_ids)],
            )
            return [LineRow(*row) for row in cursor.fetchall()]
    qs = CreditLine.objects.filter(id__in=line_ids).order_by("id")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return [LineRow(*row) for row in qs.values_list(*LineRow._fields)]


def line_state(line, last: LastDecision | None) -> engine.LineState:
    limit_reduced = bool(
        last
        and line.status == CreditLineStatus.ACTIVE
        and last.new_limit < last.old_limit
        and last.outcome in (DecisionOutcome.REDUCE_LIMIT, DecisionOutcome.REINSTATE)
    )
    manual_hold = bool(last and not last.scored and line.status != CreditLineStatus.ACTIVE)
    return engine.LineState(
        status=line.status,
        credit_limit=line.credit_limit,
        limit_reduced=limit_reduced,
        # Only a cut the scorecard made is undone by the scorecard (a person's is not).
        limit_before_reduction=last.old_limit if limit_reduced and last.scored else None,
        manual_hold=manual_hold,
        scheduled=getattr(line, "scheduled_change", ""),
    )


def line_ids_due_for_closure(*, now: datetime) -> list[int]:
    return list(
        CreditLine.objects.filter(
            status=CreditLineStatus.CLOSING, closing_effective_at__lte=now
        ).values_list("id", flat=True)
    )


def all_line_ids(*, chunk_size: int) -> Iterable[list[int]]:
    """Every line id in ascending chunks, reading by keyset (no OFFSET)."""
    last = 0
    while True:
        chunk = list(
            CreditLine.objects.filter(id__gt=last)
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def line_ids_for_customers(customer_ids: Iterable[str]) -> tuple[list[int], list[str]]:
    """(line ids, customer ids that have no line)."""
    wanted = list(dict.fromkeys(customer_ids))
    found = dict(
        CreditLine.objects.filter(borrower__customer_id__in=wanted).values_list(
            "borrower__customer_id", "id"
        )
    )
    return [found[c] for c in wanted if c in found], [c for c in wanted if c not in found]


# --- Page and API reads -----------------------------------------------------------------------


def _reasons_prefetch() -> Prefetch:
    return Prefetch(
        "reasons",
        queryset=DecisionReason.objects.select_related("reason_code", "wording").order_by("rank"),
    )


def active_keep_min_score() -> Subquery:
    """The active decision policy's "keep at or above" score, as a subquery to annotate onto
    another read (the score chart's threshold line costs no round trip of its own)."""
    return Subquery(
        DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE)
        .order_by("-version")
        .values("keep_min_score")[:1]
    )


def _max_id(rows: QuerySet) -> Subquery:
    return Subquery(rows.order_by().values("line_id").annotate(top=Max("id")).values("top"))


def _line_for_overview_query(
    *, borrower_id: int, event_kinds_shown: Sequence[str] | None = None
) -> QuerySet[CreditLine]:
    qs = CreditLine.objects.select_related("borrower").annotate(
        keep_min_score=active_keep_min_score()
    )
    if event_kinds_shown is not None:
        qs = qs.annotate(
            # max() over the line's own rows (its index), not "ORDER BY id DESC LIMIT 1",
            # which a planner may answer by walking the whole table's primary key backwards.
            latest_decision_id=_max_id(CreditDecision.objects.filter(line_id=OuterRef("pk"))),
            latest_event_id=_max_id(
                CreditEvent.objects.filter(line_id=OuterRef("pk"), kind__in=list(event_kinds_shown))
            ),
            reasons_changed_at=Subquery(
                ReasonCode.objects.order_by("-updated_at").values("updated_at")[:1]
            ),
        )
    return qs.filter(borrower_id=borrower_id).order_by("pk")[:1]


# "My credit" reads the line on every request, cache hit or not: its SQL is built once (the
# ORM spent more CPU building those four subqueries than PostgreSQL answering them). The event
# kinds it passes are fixed, so they are part of the statement; other kinds use the ORM.
_compiled_line_reads: dict[tuple[str, ...], CompiledRead] = {}


def _compiled_line_read(event_kinds_shown: Sequence[str]) -> CompiledRead:
    kinds = tuple(str(kind) for kind in event_kinds_shown)
    read = _compiled_line_reads.get(kinds)
    if read is None:
        read = _compiled_line_reads[kinds] = CompiledRead(
            lambda borrower_id: _line_for_overview_query(
                borrower_id=borrower_id, event_kinds_shown=kinds
            )
        )
    return read


def credit_line_for_overview(
    *, user, event_kinds_shown: Sequence[str] | None = None
) -> CreditLine | None:
    """The borrower's own line for "My credit" and its API, with its borrower and, as
    `keep_min_score`, the active policy's threshold (None when no policy is active).

    With `event_kinds_shown`, also what tells whether the line's history changed, in the same
    query: `latest_decision_id`, `latest_event_id` (of those kinds) and `reasons_changed_at`
    (the last edit of any reason code: its `appealable` flag and category are read live)."""
    if event_kinds_shown is None:
        return _line_for_overview_query(borrower_id=user.pk).first()
    return _compiled_line_read(event_kinds_shown).first(user.pk)


# The two repayment figures of a decision's features that "My credit" shows (the rest of the
# features stay in the database: history rows defer them).
REPAYMENT_FIGURES = {
    "repayments_due": "repayments_due_12m",
    "repayments_late": "repayments_late_12m",
}


def with_repayment_figures(decisions: QuerySet[CreditDecision]) -> QuerySet[CreditDecision]:
    """Annotate each decision with the repayment figures it was taken on (`repayments_due`,
    `repayments_late`: one JSON key each, None when absent), read in the same query."""
    return decisions.annotate(
        **{name: KeyTransform(key, "features") for name, key in REPAYMENT_FIGURES.items()}
    )


def credit_line_get_for_borrower(*, user) -> CreditLine | None:
    """The signed-in borrower's own line (None if they have none), with its borrower loaded."""
    if not getattr(user, "is_authenticated", False):
        return None
    return CreditLine.objects.select_related("borrower").filter(borrower=user).first()


def decisions_for_line(*, line: CreditLine) -> QuerySet[CreditDecision]:
    """A line's decisions, newest first, each with its ranked reasons and their texts."""
    return (
        CreditDecision.objects.filter(line=line)
        # The campaign's end date is part of "who decided" ("a product policy change, until …").
        .select_related("scorecard", "policy", "campaign_entry__campaign")
        .prefetch_related(_reasons_prefetch())
        .order_by("-created_at", "-id")
    )


# The JSON a history row never shows: the engine's inputs and points (read for the one
# decision that explains the line, see `decision_explaining_line`).
_HISTORY_DEFERRED = ("features", "points")


def _next_break_trigger() -> Subquery:
    """The trigger of the first later decision of the same line that is a correction or not
    adverse. An adverse decision was reversed as our error when that decision is a correction
    (every adverse decision since the last one that was not, before the correction)."""
    later = (
        CreditDecision.objects.filter(line_id=OuterRef("line_id"))
        .filter(
            Q(created_at__gt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
        )
        .filter(Q(trigger=DecisionTrigger.CORRECTION) | ~Q(outcome__in=list(ADVERSE_OUTCOMES)))
        .order_by("created_at", "id")
        .values("trigger")[:1]
    )
    return Subquery(later)


def decision_was_corrected(decision: CreditDecision) -> bool:
    """Whether a later correction reversed `decision` as our error (read from a decision of
    `decision_history_for_line` or `decision_explaining_line`)."""
    return (
        decision.outcome in ADVERSE_OUTCOMES
        and decision.trigger != DecisionTrigger.CORRECTION
        and getattr(decision, "next_break_trigger", None) == DecisionTrigger.CORRECTION
    )


def decision_history_for_line(*, line_id: int) -> QuerySet[CreditDecision]:
    """A line's decisions as the borrower's history shows them, newest first: ranked reasons
    prefetched, whether a correction reversed each (`decision_was_corrected`), no rule versions
    joined and no features or points. Slice it (or let the paginator): the database reads
    only the rows of the slice."""
    return (
        CreditDecision.objects.filter(line_id=line_id)
        .defer(*_HISTORY_DEFERRED)
        .annotate(next_break_trigger=_next_break_trigger())
        .prefetch_related(_reasons_prefetch())
        .order_by("-created_at", "-id")
    )


def scores_for_line(*, line_id: int, count: int) -> list[tuple[datetime, int]]:
    """(decided at, score) of the line's latest `count` scored decisions, newest first."""
    return list(
        CreditDecision.objects.filter(line_id=line_id, score__isnull=False)
        .exclude(score=0)
        .order_by("-created_at", "-id")
        .values_list("created_at", "score")[:count]
    )


# How many decisions' facts the explaining rule reads first; it reads further back (each time
# EXPLAINING_GROWTH times as many) only when none of these settles it.
EXPLAINING_WINDOW = 16
EXPLAINING_GROWTH = 8


def decision_explaining_line(*, line: CreditLine) -> CreditDecision | None:
    """The decision behind the line's present state (`credit.explaining`), with its reasons
    and features and whether it was corrected; None when the line needs no explanation. Pass
    the line as just read (or locked).

    Reads the facts (outcome, has reasons) of the newest decisions only, then the one row
    that explains the line: the rows read do not grow with the line's history."""
    facts_qs = (
        CreditDecision.objects.filter(line=line)
        .annotate(has_reasons=Exists(DecisionReason.objects.filter(decision=OuterRef("pk"))))
        .order_by("-created_at", "-id")
        .values_list("id", "outcome", "has_reasons")
    )
    size = EXPLAINING_WINDOW
    while True:
        rows = list(facts_qs[:size])
        index = explaining_index(
            line_status=line.status,
            decisions=[DecisionFacts(outcome, has_reasons) for _, outcome, has_reasons in rows],
            complete=len(rows) < size,
        )
        if index != NEEDS_OLDER:
            break
        size *= EXPLAINING_GROWTH
    if index is None:
        return None
    return (
        with_repayment_figures(CreditDecision.objects.all())
        .annotate(next_break_trigger=_next_break_trigger())
        .prefetch_related(_reasons_prefetch())
        .get(pk=rows[index][0])
    )


def latest_decision_for_line(*, line: CreditLine) -> CreditDecision | None:
    return decisions_for_line(line=line).first()


def decision_with_reasons(*, decision_id: int) -> CreditDecision:
    return (
        CreditDecision.objects.select_related("line__borrower")
        .prefetch_related(_reasons_prefetch())
        .get(pk=decision_id)
    )


def recent_decision_ids(*, since: datetime) -> list[int]:
    return list(
        CreditDecision.objects.filter(created_at__gte=since)
        .order_by("id")
        .values_list("id", flat=True)
    )


def decision_ids_with_notices(decision_ids: Sequence[int]) -> set[int]:
    """Which of these decisions already have a notice in the outbox."""
    from django.contrib.contenttypes.models import ContentType

    from notifications.models import Notification

    if not decision_ids:
        return set()
    content_type = ContentType.objects.get_for_model(CreditDecision)
    return {
        int(object_id)
        for object_id in Notification.objects.filter(
            object_type=content_type, object_id__in=[str(i) for i in decision_ids]
        )
        .values_list("object_id", flat=True)
        .distinct()
    }


# --- The nightly pass's per-line state -------------------------------------------------------


def rules_key(rules: ActiveRules) -> str:
    """What a line's look remembers of the rules it was scored with: a new scorecard or policy
    version differs, so every line is scored again."""
    card, policy = rules.scorecard, rules.policy
    return f"s{card.pk}.{card.version}/p{policy.pk}.{policy.version}"


# Whether a line is due (aliases: l the line, k its look; parameters: now, rules key). New
# events are in `next_look_at`: ingestion sets it to their arrival, in their transaction
# (`feature_state.looks_mark_due`), so the scan needn't read the kept facts (a heap many times
# the looks'). NULLs (no look, never looked at) are settled by COALESCE, so a line is always
# either due or not: the pass scores the due ones and counts the others as last found.
DUE_FOR_LOOK = (
    "COALESCE(k.line_id IS NULL OR k.next_look_at <= %s OR k.rules_key <> %s"
    " OR k.line_updated_at IS NULL OR k.line_updated_at <> l.updated_at, FALSE)"
)

# The same test from the look alone (alias k; same parameters), for the scans of every line on
# PostgreSQL: there every line has a look and the look carries the line's `updated_at`
# (`line_changed_at`), both kept by triggers on the line table (migration 0026), so the scan
# reads the looks and not the lines. A look missing the line's stamp is due (NULLs: TRUE), so
# a line is scored too often rather than never.
DUE_BY_LOOK = (
    "COALESCE(k.next_look_at <= %s OR k.rules_key <> %s OR k.line_updated_at IS NULL"
    " OR k.line_changed_at <> k.line_updated_at, TRUE)"
)


def _scan_of_every_line() -> tuple[str, str, str]:
    """(FROM clause, line id column, due test) for a scan of every line: the looks alone on
    PostgreSQL (`DUE_BY_LOOK`), the lines joined to their looks elsewhere (no triggers)."""
    if connection.vendor == "postgresql":
        return f"{connection.ops.quote_name(LineLook._meta.db_table)} k", "k.line_id", DUE_BY_LOOK
    return _looks_join(), "l.id", DUE_FOR_LOOK


def _looks_join() -> str:
    qn = connection.ops.quote_name
    return (
        f"{qn(CreditLine._meta.db_table)} l"
        f" LEFT JOIN {qn(LineLook._meta.db_table)} k ON k.line_id = l.id"
    )


def line_ids_due_for_look(
    line_ids: Sequence[int] | None, *, rules_key: str, now: datetime
) -> list[int]:
    """Of these lines (every line when None: the nightly batch selects once), those the
    nightly pass must score (one query, only their ids back, in order): never looked at; their
    look has come; events were folded into their facts since; the line changed since
    (`updated_at`); or scored with other rules."""
    if line_ids is not None and not line_ids:
        return []
    stamp = connection.ops.adapt_datetimefield_value(now)
    if line_ids is None:  # every line: one scan (of the looks alone, on PostgreSQL)
        source, line_id, due = _scan_of_every_line()
        sql = f"SELECT {line_id} FROM {source} WHERE {due} ORDER BY 1"  # noqa: S608 - table names from the models; values bound
        with connection.cursor() as cursor:
            cursor.execute(sql, [stamp, rules_key])
            return [row[0] for row in cursor.fetchall()]
    among, params = "", []
    if connection.vendor == "postgresql":
        among = "l.id = ANY(%s::bigint[]) AND "  # one array literal, not a parameter an id
        params = [_ids_array(line_ids)]
    else:
        among = f"l.id IN ({', '.join(['%s'] * len(line_ids))}) AND "
        params = list(line_ids)
    sql = (
        f"SELECT l.id FROM {_looks_join()}"  # noqa: S608 - table names from the models; values bound
        f" WHERE {among}{DUE_FOR_LOOK} ORDER BY l.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, stamp, rules_key])
        return [row[0] for row in cursor.fetchall()]


def lines_due_for_look(line_ids: Sequence[int], *, rules_key: str, now: datetime) -> list[LineRow]:
    """The rows (`lines_for_evaluation`) of those of these lines the nightly pass must score
    (`line_ids_due_for_look`), in line order: on PostgreSQL one query for both."""
    if not line_ids:
        return []
    if connection.vendor != "postgresql":  # (SQLite returns raw dates: the ORM reads the rows)
        return lines_for_evaluation(line_ids_due_for_look(line_ids, rules_key=rules_key, now=now))
    columns = ", ".join(
        "l." + connection.ops.quote_name(CreditLine._meta.get_field(name).column)
        for name in LineRow._fields
    )
    sql = (
        f"SELECT {columns} FROM {_looks_join()}"  # noqa: S608 - table and column names from the models; values bound
        f" WHERE l.id = ANY(%s::bigint[]) AND {DUE_FOR_LOOK} ORDER BY l.id"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_ids_array(line_ids), stamp, rules_key])
        return [LineRow(*row) for row in cursor.fetchall()]


def verdicts_of_lines_not_due(*, rules_key: str, now: datetime) -> list[tuple[dict, int]]:
    """What the last looks of the lines not due found, as (verdict summary, how many lines),
    one aggregate over every line: the nightly batch counts them in the monitoring tally
    without reading them one by one."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    source, _, due = _scan_of_every_line()
    sql = f"SELECT k.verdict, COUNT(*) FROM {source} WHERE NOT {due} GROUP BY k.verdict"  # noqa: S608 - table names from the models; values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp, rules_key])
        rows = cursor.fetchall()
    return [
        (json.loads(verdict) if isinstance(verdict, str) else verdict, count)
        for verdict, count in rows
    ]


def lines_due_and_verdicts_not_due(
    *, rules_key: str, now: datetime, lines: int | None = None
) -> tuple[list[int], list[tuple[dict, int]]]:
    """The nightly batch's one scan of every line: the ids of the lines due (in order, as
    `line_ids_due_for_look`) and what the last looks of the others found, as (verdict summary,
    how many lines), as `verdicts_of_lines_not_due`. One statement, so one snapshot: each line
    is either scored or tallied, never both or neither. On PostgreSQL it reads the looks alone
    (`DUE_BY_LOOK`), grouped by their verdicts' text; given how many `lines` there are, a line
    found without a look (deleted by hand, or written with triggers off) is due as well."""
    if connection.vendor != "postgresql":  # no arrays: the two queries
        return (
            line_ids_due_for_look(None, rules_key=rules_key, now=now),
            verdicts_of_lines_not_due(rules_key=rules_key, now=now),
        )
    stamp = connection.ops.adapt_datetimefield_value(now)
    source, line_id, due_test = _scan_of_every_line()
    sql = (
        "SELECT due, CASE WHEN due THEN NULL ELSE verdict END, COUNT(*),"  # noqa: S608 - table names from the models; values bound
        " array_agg(id) FILTER (WHERE due)"  # (no ORDER BY here: it rules out hashing)
        f" FROM (SELECT {line_id} AS id, k.verdict, {due_test} AS due FROM {source}) AS s"
        " GROUP BY 1, 2"
    )
    due, counted = [], []
    # For this statement only: the grouping of a million lines in memory, not
    # in batches on disk (the default work_mem is 4 MB); the grouping hashed (the planner
    # takes every line for a group of its own and sorts them all, verdicts and all: there are
    # a few thousand); and no JIT (1.3 s of compiling for a statement it makes no faster).
    planner = {"work_mem": "128MB", "enable_sort": "off", "jit": "off"}
    with transaction.atomic(), connection.cursor() as cursor:  # (settings last a transaction)
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(planner)), list(planner))
        before = dict(zip(planner, cursor.fetchone(), strict=True))
        for name, value in planner.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute(sql, [stamp, rules_key])
        rows = cursor.fetchall()
        for name, value in before.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    for is_due, verdict, count, ids in rows:
        if is_due:
            due = sorted(ids)
        elif verdict is not None:
            counted.append((json.loads(verdict) if isinstance(verdict, str) else verdict, count))
    if lines is not None and sum(row[2] for row in rows) < lines:
        due = sorted({*due, *_line_ids_without_look()})
    return due, counted


def _line_ids_without_look() -> list[int]:
    """The lines that have no look (every line has one while the triggers stand): one join of
    every line with its look, run only when the looks are fewer than the lines."""
    found = list(
        CreditLine.objects.filter(look__isnull=True).order_by("id").values_list("id", flat=True)
    )
    if found:
        logger.warning(
            "%s line(s) had no look (deleted, or written with triggers off): scored tonight",
            len(found),
        )
    return found


def feature_facts_by_line(line_ids: Sequence[int]) -> dict[int, list[engine.state.Fact] | None]:
    """The kept facts of each line, as (kind, occurred_at, data) like `events_by_line`; None
    for a line whose state was never built (one query)."""
    # Read as events_by_line reads: the raw cursor, JSON decoded here (the ORM's JSONField
    # decoding took a third of this read, per line, every night).
    if not line_ids:
        return {}
    table = connection.ops.quote_name(LineFeatureState._meta.db_table)
    if connection.vendor == "postgresql":
        # The ids as one array literal (psycopg's dumper costs ~1 µs an element), the rows
        # back as one JSON text: one decode for the chunk, a third of a decode per row.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(json_agg(json_build_array(line_id, facts)), '[]')::text"  # noqa: S608 - the model's table; values bound
                f" FROM {table} WHERE line_id = ANY(%s::bigint[]) AND folded_at IS NOT NULL",
                [_ids_array(line_ids)],
            )
            (document,) = cursor.fetchone()
        found = dict(json.loads(document))
    else:
        marks = ", ".join(["%s"] * len(line_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT line_id, CAST(facts AS TEXT) FROM {table}"  # noqa: S608 - the model's table; values bound
                f" WHERE line_id IN ({marks}) AND folded_at IS NOT NULL",
                list(line_ids),
            )
            found = {
                line_id: json.loads(facts) if isinstance(facts, str | bytes) else facts
                for line_id, facts in cursor.fetchall()
            }
    return {
        line_id: engine.state.from_json(found[line_id]) if line_id in found else None
        for line_id in line_ids
    }
