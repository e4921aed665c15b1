"""Appeals report benchmark: the supervisors' morning report over up to 1,000,000 appeals.

Seeds, with SQL `generate_series` (PostgreSQL only), N appeals spread over the last 365 days
on N/10 lines: each appeal on a decision of its own with one or two of eight reason codes, two
scorecard/policy versions, three segments, one decision in fifty from a campaign, a survey
for one appeal in three, and N/2 notifications (2% failed). Then times `appeal_report()` (every
figure of the page, median of 5 after a warm-up) for the last 30 days (the page's default)
and for the whole year, against a baseline measured in the same run: one plain
`count(*)` over the same appeals (closed in the range).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta

from bench.common import commit, machine, own_database, record_rows, setup_django

SCALES = {"quick": 100_000, "full": 1_000_000}
RUNS = 5
START, END = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"

SEED_SQL = """
INSERT INTO accounts_user (id, password, is_superuser, email, full_name, preferred_language,
    time_zone, is_staff, is_active, date_joined, customer_id, phone)
SELECT i + %(off)s, '!', false, 'report' || i || '@bench.example', 'Bench ' || i, 'zh-hans',
    'Asia/Shanghai', false, true, %(now)s, 'R-' || lpad(i::text, 8, '0'), NULL
FROM generate_series(1, %(lines)s) AS i;

INSERT INTO credit_creditline (id, borrower_id, credit_limit, balance, status, opened_at,
    updated_at, scheduled_change, key_customer)
SELECT i, i + %(off)s, 20000, 0, 'closed', %(now)s, %(now)s, '', false
FROM generate_series(1, %(lines)s) AS i;

INSERT INTO credit_creditdecision (id, line_id, created_at, trigger, scorecard_id, policy_id,
    features, points, outcome, old_status, new_status, old_limit, new_limit, note, segment,
    counterfactuals)
SELECT i, (i - 1) %% %(lines)s + 1, %(now)s::timestamptz - ((i %% 365) || ' days')::interval
        - interval '3 days',
    CASE WHEN i %% 50 = 0 THEN 'campaign' ELSE 'event' END,
    %(card)s, CASE WHEN i %% 3 = 0 THEN %(policy_old)s ELSE %(policy)s END,
    '{}', '[]', 'close', 'active', 'closed', 20000, 0, '',
    (ARRAY['', 'long_clean_history', 'new_customer'])[i %% 3 + 1], '[]'
FROM generate_series(1, %(n)s) AS i;

INSERT INTO credit_decisionreason (decision_id, rank, reason_code_id, attribute, points_lost,
    knockout)
SELECT i, 1, (%(codes)s::bigint[])[i %% 8 + 1], '', 40, false FROM generate_series(1, %(n)s) AS i
UNION ALL
SELECT i, 2, (%(codes)s::bigint[])[(i / 8) %% 8 + 1], '', 20, false
FROM generate_series(1, %(n)s) AS i WHERE i %% 2 = 0 AND (i / 8) %% 8 <> i %% 8;

INSERT INTO credit_campaignline (campaign_id, line_id, state, decision_id)
SELECT %(campaign)s, (i - 1) %% %(lines)s + 1, 'applied', i
FROM generate_series(50, %(n)s, 50) AS i
ON CONFLICT DO NOTHING;

INSERT INTO appeals_appeal (id, borrower_id, line_id, decision_id, status, grounds, statement,
    created_at, submitted_at, first_response_due, resolution_due, first_responded_at,
    decided_at, closed_at, outcome_explanation, second_review_statement, decision_summary)
SELECT i, (i - 1) %% %(lines)s + 1 + %(off)s, (i - 1) %% %(lines)s + 1, i,
    (ARRAY['approved', 'denied', 'denied', 'denied', 'partially_approved', 'auto_approved',
           'denied_final', 'resolved', 'withdrawn', 'denied'])[i %% 10 + 1],
    '["repaid_on_time"]', 'bench', s, s, s + interval '2 days', s + interval '15 days',
    s + ((i %% 72) || ' hours')::interval, s + ((i %% 400) || ' hours')::interval,
    s + ((i %% 400) || ' hours')::interval, '', '', ''
FROM (SELECT i, %(now)s::timestamptz - ((i %% 365) || ' days')::interval
                - ((i %% 1440) || ' minutes')::interval AS s
      FROM generate_series(1, %(n)s) AS i) AS g;

INSERT INTO appeals_survey (appeal_id, rating, comment, submitted_at)
SELECT i, i %% 5 + 1, CASE WHEN i %% 4 = 0 THEN 'bench comment ' || i ELSE '' END,
    %(now)s::timestamptz - ((i %% 365) || ' days')::interval
FROM generate_series(3, %(n)s, 3) AS i;

INSERT INTO notifications_notification (recipient_id, event, category, channel,
    is_legal_notice, object_id, dedupe_key, context, language, address, subject, body_text,
    body_html, link, status, send_after, attempts, last_error, provider_message_id, created_at)
SELECT (i - 1) %% %(lines)s + 1 + %(off)s, 'credit.closed', 'credit',
    (ARRAY['email', 'sms', 'inbox'])[i %% 3 + 1], true, '', 'bench:' || i, '{}', 'zh-hans', '',
    '', 'bench', '', '/', CASE WHEN i %% 50 = 0 THEN 'failed' ELSE 'cancelled' END, %(now)s, 0,
    '', '', %(now)s::timestamptz - ((i %% 365) || ' days')::interval
FROM generate_series(1, %(n)s / 2) AS i;
"""


def _seed(n: int, now: datetime) -> None:
    from django.db import connection, transaction

    from accounts.models import User
    from credit.models import DecisionPolicy, PolicyCampaign, ReasonCode, Scorecard

    lines = max(n // 10, 1)
    codes = list(ReasonCode.objects.order_by("code").values_list("pk", flat=True)[:8])
    card = Scorecard.objects.order_by("version").first()
    policies = list(DecisionPolicy.objects.order_by("version")[:2])
    with transaction.atomic():
        author = User.objects.create(email="bench-supervisor@bench.example", is_staff=True)
        campaign = PolicyCampaign.objects.create(
            name="Bench campaign",
            action="freeze",
            reason_code_id=codes[0],
            state="completed",
            created_by=author,
        )
        params = {
            "now": now,
            "n": n,
            "lines": lines,
            "off": author.pk,  # the seed's borrowers come after the bench's supervisor
            "codes": codes,
            "card": card.pk,
            "policy": policies[-1].pk,
            "policy_old": policies[0].pk,
            "campaign": campaign.pk,
        }
        with connection.cursor() as cursor:
            for statement in filter(str.strip, SEED_SQL.split(";\n")):
                cursor.execute(statement, params)
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "credit_creditline",
            "credit_creditdecision",
            "appeals_appeal",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        # VACUUM as well as ANALYZE: since PostgreSQL 13 autovacuum also vacuums tables that
        # only grow (decisions, reasons), which marks their pages all-visible; the report's
        # covering indexes are read without visiting the heap only on such pages.
        cursor.execute("VACUUM ANALYZE")


def _median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(today: date) -> list[dict]:
    from zoneinfo import ZoneInfo

    from django.db import connection

    from appeals.selectors.reports import _bounds, appeal_report

    zone = ZoneInfo("Asia/Shanghai")
    results = []
    for label, days in (("last 30 days (the default)", 30), ("the whole year", 365)):
        since, until = today - timedelta(days=days - 1), today
        start, end = _bounds(since, until, zone)
        report = appeal_report(since=since, until=until, zone=zone)

        def baseline(start=start, end=end):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM appeals_appeal WHERE closed_at >= %s AND closed_at < %s",
                    [start, end],
                )
                return cursor.fetchone()[0]

        results.append(
            {
                "range": label,
                "appeals_in_range": baseline(),
                "resolved": report.resolved,
                "ms": _median_ms(
                    lambda s=since, u=until: appeal_report(since=s, until=u, zone=zone)
                ),
                "baseline_ms": _median_ms(baseline),
            }
        )
    return results


def run(scale: str, lines: int | None = None, write: bool = True) -> dict:
    """`lines` (the shared --lines option) overrides the number of appeals here."""
    n = lines or SCALES[scale]
    label, cleanup = own_database("bench_reports")
    try:
        setup_django()
        from django.db import connection

        if connection.vendor != "postgresql":
            print("Reports benchmark: needs PostgreSQL (DATABASE_URL); skipped.")
            return {}
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"Reports benchmark: {n:,} appeals on {label}")
        started = time.perf_counter()
        _seed(n, now)
        seed_s = time.perf_counter() - started
        from django.utils import timezone

        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "scale": scale,
            "appeals": n,
            "seed_s": seed_s,
            "ranges": _measure(timezone.localdate(now)),
            "machine": machine(),
            "commit": commit(),
        }
        _print(result)
        if write:
            _write(result)
        return result
    finally:
        cleanup()


def _print(r: dict) -> None:
    print(f"  seeded in {r['seed_s']:.1f} s")
    for p in r["ranges"]:
        print(
            f"  {p['range']:<28} {p['ms']:8.1f} ms for {p['resolved']:,} resolved "
            f"({p['appeals_in_range']:,} closed); baseline count(*) {p['baseline_ms']:7.1f} ms; "
            f"ratio {p['ms'] / max(p['baseline_ms'], 0.01):.1f}x"
        )


def _write(r: dict) -> None:
    rows = [
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['appeals']:,} | {p['range']} "
        f"| {p['appeals_in_range']:,} | **{p['ms']:.1f}** | {p['baseline_ms']:.1f} "
        f"| {p['ms'] / max(p['baseline_ms'], 0.01):.1f} | {r['machine']} |"
        for p in r["ranges"]
    ]
    header = (
        f"{START}\n"
        "## Appeals report (supervisors' morning page)\n\n"
        "`python -m bench --scale quick|full --only reports [--lines N]` (N = appeals;\n"
        "PostgreSQL only: the seed is SQL `generate_series`). N appeals over the last 365 days,\n"
        "each on its own decision with one or two reason codes, two policy versions, three\n"
        "segments, a campaign, surveys and N/2 notifications. Times every figure of the report\n"
        "(`appeals.selectors.reports.appeal_report`, median of 5 after a warm-up); the baseline\n"
        "is a plain `count(*)` of the appeals closed in the same range, in the same run.\n\n"
        "| when | commit | scale | appeals | range | closed in range | report ms "
        "| baseline count(*) ms | report / baseline | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    record_rows(start=START, end=END, header=header, rows=rows)
