"""The nightly pass's per-line state: the facts of each line's events that still count, folded
in by ingestion with the events, and when each line next needs a look. The incremental pass
(`credit_lines_reevaluate(..., incremental=True)`) scores only the lines whose look has come.
Internals of the services package."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from .. import engine, selectors
from ..models import LineFeatureState, LineLook

# Every event of a line, whenever it happened (a rebuild keeps those still ahead, too).
EVER = datetime(9999, 1, 1, tzinfo=UTC)


def _lock_states(line_ids: Sequence[int]) -> dict[int, list | None]:
    """Create or lock the state row of each line (in line order, so two batches wait for each
    other rather than deadlock); return each line's kept facts, None for a state not built yet.

    The rows missing are inserted (a concurrent insert of the same line is waited for), then
    all are locked with SELECT … FOR UPDATE: a lock, not a new row version per line per batch
    as an upsert's DO UPDATE made (1,000 dead tuples a batch, which the next batch's locking
    walked through)."""
    table = connection.ops.quote_name(LineFeatureState._meta.db_table)
    ids = list(line_ids)
    if connection.vendor != "postgresql":  # SQLite: one writer at a time, no row locks
        values = ", ".join(["(%s, %s, NULL)"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (line_id, facts, folded_at) VALUES {values}"  # noqa: S608 - the model's table; values bound
                " ON CONFLICT (line_id) DO UPDATE SET line_id = EXCLUDED.line_id"
                " RETURNING line_id, facts, folded_at",
                [value for line_id in ids for value in (line_id, "[]")],
            )
            rows = cursor.fetchall()
        return _kept_facts(rows)
    # The ids as one array literal: psycopg's Python dumper costs ~1 µs an element.
    ids_literal = "{" + ",".join(str(int(line_id)) for line_id in ids) + "}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (line_id, facts, folded_at)"  # noqa: S608 - the model's table; values bound
            " SELECT line_id, '[]', NULL FROM unnest(%s::bigint[]) AS given(line_id)"
            " ORDER BY line_id ON CONFLICT (line_id) DO NOTHING",
            [ids_literal],
        )
        # A statement of its own: it must see the rows a concurrent batch inserted while the
        # INSERT above waited. Whether the state was built, not when (a timestamp per row
        # costs a Python parse). The locked rows come back as one JSON text: one decode for
        # the batch instead of one per row.
        cursor.execute(
            "WITH locked AS MATERIALIZED ("  # noqa: S608 - the model's table; values bound
            f" SELECT line_id, facts, folded_at IS NOT NULL AS built FROM {table}"
            " WHERE line_id = ANY(%s::bigint[]) ORDER BY line_id FOR UPDATE)"
            " SELECT coalesce(json_agg(json_build_array(line_id, facts, built)), '[]')::text"
            " FROM locked",
            [ids_literal],
        )
        (rows,) = cursor.fetchone()
    return _kept_facts(json.loads(rows))


def _kept_facts(rows) -> dict[int, list | None]:
    """(line id, facts, folded_at or whether built) rows: each line's facts, None if unbuilt."""
    return {
        line_id: engine.state.from_json(json.loads(facts) if isinstance(facts, str) else facts)
        if folded_at
        else None
        for line_id, facts, folded_at in rows
    }


def _write_states(facts: dict[int, list], *, now: datetime) -> None:
    """Write the kept facts of these (locked) lines: on PostgreSQL with COPY into a scratch
    table and one UPDATE from it, elsewhere with `bulk_update`."""
    if connection.vendor != "postgresql":
        LineFeatureState.objects.bulk_update(
            [
                LineFeatureState(line_id=line_id, facts=engine.state.to_json(kept), folded_at=now)
                for line_id, kept in facts.items()
            ],
            ["facts", "folded_at"],
        )
        return
    table = connection.ops.quote_name(LineFeatureState._meta.db_table)
    # One JSON document for every line, encoded in one call and sent as one parameter
    # (~40% less client CPU than a COPY row and an encode per line), in one round trip.
    document = json.dumps(
        [[line_id, engine.state.to_json(kept)] for line_id, kept in facts.items()],
        separators=(",", ":"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} s SET facts = given.value -> 1, folded_at = %s"  # noqa: S608 - the model's table; values bound
            " FROM jsonb_array_elements(%s::jsonb) AS given"
            " WHERE s.line_id = (given.value ->> 0)::bigint",
            [now, document],
        )


def feature_states_fold(
    *, events: Iterable[tuple[int, str, datetime, dict]], now: datetime
) -> None:
    """Fold newly stored events (line id, kind, occurred_at, data) into their lines' states, in
    the caller's transaction (the one storing the events): the lines are then due for a look
    (`lines_due` compares the fold with the last look). Two statements however many lines.

    A line whose state was never built is left for `feature_states_rebuild` (the nightly pass
    builds it from all the events, these included): the row lock taken here and there makes
    either the build see these events or this fold see the built state."""
    by_line: dict[int, list] = defaultdict(list)
    for line_id, kind, occurred_at, data in events:
        by_line[line_id].append((kind, occurred_at, data))
    if not by_line:
        return
    kept = _lock_states(sorted(by_line))
    folded = {
        line_id: engine.state.fold(facts, by_line[line_id], as_of=now)
        for line_id, facts in kept.items()
        if facts is not None
    }
    if folded:
        _write_states(folded, now=now)
    # Every line with new events, its state built or not: the nightly scan then reads only
    # the looks (their `next_look_at`), not the states, to find the lines with new events.
    looks_mark_due(sorted(by_line), at=now)


def feature_states_rebuild(*, line_ids: Sequence[int], now: datetime) -> dict[int, list]:
    """Build these lines' states again from all their events (`reevaluate --from-events`, or a
    line the nightly pass finds without one), rows locked first; returns each line's facts."""
    ids = sorted({int(i) for i in line_ids})
    if not ids:
        return {}
    _lock_states(ids)
    every = selectors.events_by_line(ids, as_of=EVER)
    facts = {line_id: engine.state.fold([], every.get(line_id, ()), as_of=now) for line_id in ids}
    _write_states(facts, now=now)
    return facts


def looks_due(line_ids: Sequence[int], *, at: datetime) -> None:
    """These lines need a look from `at` on (new events)."""
    LineLook.objects.bulk_create(
        [LineLook(line_id=line_id, next_look_at=at) for line_id in line_ids],
        update_conflicts=True,
        unique_fields=["line"],
        update_fields=["next_look_at"],
    )


def looks_mark_due(line_ids: Sequence[int], *, at: datetime) -> None:
    """Ingestion's mark, in the transaction storing the events: these lines (in line order, so
    two batches wait for each other rather than deadlock) need a look from their arrival `at`
    on. The mark replaces a look planned later (a date a feature changes) and one planned
    earlier that has not been taken: either way the next pass after `at` scores the line, once.
    A line never looked at gets a row that is due (no rules key, no line stamp)."""
    if not line_ids:
        return
    if connection.vendor != "postgresql":
        looks_due(sorted(line_ids), at=at)
        return
    table = connection.ops.quote_name(LineLook._meta.db_table)
    ids_literal = "{" + ",".join(str(int(line_id)) for line_id in sorted(line_ids)) + "}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (line_id, next_look_at, rules_key, verdict)"  # noqa: S608 - the model's table; values bound
            " SELECT line_id, %s, '', '{}' FROM unnest(%s::bigint[]) AS given(line_id)"
            " ORDER BY line_id ON CONFLICT (line_id) DO UPDATE"
            " SET next_look_at = EXCLUDED.next_look_at",
            [at, ids_literal],
        )


def facts_for(line_ids: Sequence[int], *, now: datetime) -> dict[int, list]:
    """The kept facts of each line, in the shape `events_by_line` gives (a line with no state
    yet gets one built from its events)."""
    facts = selectors.feature_facts_by_line(line_ids)
    missing = [line_id for line_id, kept in facts.items() if kept is None]
    if missing:
        facts.update(feature_states_rebuild(line_ids=missing, now=now))
    return facts


def verdict_summary(verdict: engine.Verdict) -> dict:
    """What a look keeps of a verdict for the monitoring tally."""
    return {
        "outcome": verdict.outcome,
        "score": verdict.score,
        "segment": verdict.segment,
        "knockouts": list(verdict.knockouts),
        "reason": verdict.reasons[0].code if verdict.reasons else None,
    }


def _as_verdict(v: dict) -> engine.Verdict:
    return engine.Verdict(
        outcome=v["outcome"],
        score=v["score"],
        reasons=(engine.Reason(v["reason"], "", 0),) if v.get("reason") else (),
        knockouts=tuple(v.get("knockouts") or ()),
        segment=v.get("segment"),
    )


def verdicts_as_last_found(line_ids: Sequence[int]) -> list[engine.Verdict]:
    """The verdicts these lines' last looks found (for the tally of the lines not scored)."""
    found = LineLook.objects.filter(line_id__in=line_ids).values_list("verdict", flat=True)
    return [_as_verdict(v) for v in found if v]


def verdicts_counted(counted: Iterable[tuple[dict, int]]) -> list[tuple[engine.Verdict, int]]:
    """(verdict summary, lines) rows as the tally takes them (an empty summary is skipped)."""
    return [(_as_verdict(v), lines) for v, lines in counted if v]


def looks_record(
    looks: Sequence[tuple[int, datetime, datetime, dict]], *, rules_key: str, now: datetime
) -> None:
    """Record the lines looked at now: (line id, next look, the line's updated_at as written,
    the verdict's summary). On PostgreSQL the rows go in with COPY into a scratch table and
    one upsert from it."""
    if not looks:
        return
    if connection.vendor != "postgresql":
        LineLook.objects.bulk_create(
            [
                LineLook(
                    line_id=line_id,
                    next_look_at=next_look_at,
                    looked_at=now,
                    line_updated_at=updated_at,
                    rules_key=rules_key,
                    verdict=verdict,
                )
                for line_id, next_look_at, updated_at, verdict in looks
            ],
            update_conflicts=True,
            unique_fields=["line"],
            update_fields=["next_look_at", "looked_at", "line_updated_at", "rules_key", "verdict"],
        )
        return
    table = LineLook._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS credit_look_in (line_id bigint,"
            " next_look_at timestamptz, line_updated_at timestamptz, verdict text)"
            " ON COMMIT DELETE ROWS"
        )
        dumps = LineLook._meta.get_field("verdict").dumps  # (the one spelling: they group)
        with cursor.cursor.copy("COPY credit_look_in FROM STDIN") as copy:
            for line_id, next_look_at, updated_at, verdict in looks:
                copy.write_row((line_id, next_look_at, updated_at, dumps(verdict)))
        cursor.execute(
            f"INSERT INTO {table} AS k (line_id, next_look_at, looked_at, line_updated_at,"  # noqa: S608 - the model's table name; values bound
            " line_changed_at, rules_key, verdict) SELECT line_id, next_look_at, %s,"
            " line_updated_at, line_updated_at, %s, verdict"
            " FROM credit_look_in ON CONFLICT (line_id) DO UPDATE SET"
            # A mark ingestion made after this pass began (events that came in while the line
            # was scored, perhaps after its facts were read) stays: the next pass looks again.
            " next_look_at = CASE WHEN k.next_look_at > %s AND k.next_look_at <= %s"
            " THEN LEAST(k.next_look_at, EXCLUDED.next_look_at)"
            " ELSE EXCLUDED.next_look_at END,"
            " looked_at = EXCLUDED.looked_at,"
            # The line's own stamp is the triggers' to keep; a look that has none (written
            # before they were) takes the stamp this pass read.
            " line_changed_at = COALESCE(k.line_changed_at, EXCLUDED.line_updated_at),"
            " line_updated_at = EXCLUDED.line_updated_at, rules_key = EXCLUDED.rules_key,"
            " verdict = EXCLUDED.verdict",
            [now, rules_key, now, timezone.now()],
        )
        cursor.execute("DELETE FROM credit_look_in")


def next_looks(
    rows: Sequence[selectors.LineRow],
    facts: dict[int, list],
    verdicts: dict,
    *,
    as_of: datetime,
    rules: selectors.ActiveRules | None = None,
) -> dict[int, datetime]:
    """When each scored line next needs a look (the pure engine's `next_change`). With the
    rules in force, a month of account age or clean repayment is a look only where those rules
    read it differently (`engine.state.month_edges`): a new version makes every line due, so a
    look so skipped is never one another version needed."""
    edges = _month_edges(rules) if rules is not None else None
    return {
        row.id: engine.state.next_change(
            facts.get(row.id) or (),
            opened_at=row.opened_at,
            features=verdicts[row.id].features,
            as_of=as_of,
            month_edges=edges,
        )
        for row in rows
        if row.id in verdicts
    }


_edges_of: dict[tuple[int, int], dict] = {}


def _month_edges(rules: selectors.ActiveRules) -> dict:
    """`engine.state.month_edges` of these rules, once per pair of parsed versions."""
    key = (id(rules.card_rules), id(rules.policy_rules))
    if key not in _edges_of:
        _edges_of.clear()  # one pair is in force at a time
        _edges_of[key] = engine.state.month_edges(rules.card_rules, rules.policy_rules)
    return _edges_of[key]
