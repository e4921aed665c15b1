"""Demo credit lines: each demo borrower is put into their situation through the services,
from realistic events, relative to today. Running it again changes nothing."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from jobs.models import QueuedJob
from notifications.services import preferences_update

from . import services
from .models import (
    CampaignAction,
    CreditEvent,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionTrigger,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    EvaluationTally,
    MonitoringDay,
    PolicyCampaign,
    ReasonCode,
    Scorecard,
    ShadowRun,
    ShadowState,
    SystemCorrection,
    VersionStatus,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOURCE = "demo"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def _months_back(day: date, months: int) -> date:
    month = day.month - 1 - months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _record(line: CreditLine, key: str, kind: str, occurred_at: datetime, **data) -> None:
    # Upstream facts; in production they arrive through the ingestion API. Idempotent by id.
    CreditEvent.objects.get_or_create(
        source=SOURCE,
        external_id=f"{line.borrower.customer_id}-{key}",
        defaults={"line": line, "kind": kind, "occurred_at": occurred_at, "data": data},
    )


def _repayment_history(line: CreditLine, today: date, months: int, *, late=()) -> None:
    for i in range(months, 0, -1):
        due = _months_back(today, i).replace(day=10)
        paid = _at(due + timedelta(days=4)) if i in late else _at(due, 9)
        _record(
            line,
            f"rep-{due:%Y%m}",
            "repayment",
            paid,
            due_date=due.isoformat(),
            paid_at=paid.isoformat(),
            amount="1200.00",
        )


def _line(user: User, limit: str, balance: str, opened: datetime) -> tuple[CreditLine, bool]:
    existing = CreditLine.objects.filter(borrower=user).first()
    if existing is not None:
        # Seeded before: its limit may since have been changed by a decision (a reduction,
        # a campaign), which sending the opening terms again would undo as a lender change.
        return existing, False
    line, created = services.credit_line_upsert(
        borrower=user, credit_limit=Decimal(limit), balance=Decimal(balance)
    )
    if created:
        # The core system's opening date for this borrower.
        CreditLine.objects.filter(pk=line.pk).update(opened_at=opened)
        line.refresh_from_db()
    return line, created


def _multi_lending_line(
    user: User,
    now: datetime,
    today: date,
    *,
    months: int,
    decided_days_ago: int,
    repaid: int = 10,
    limit: str = "20000.00",
    applied_days_ago: int | None = None,
) -> CreditLine:
    """On-time instalments, then loans at three platforms within two weeks, then a review."""
    line, created = _line(user, limit, "3000.00", _at(_months_back(today, months)))
    if created:
        _repayment_history(line, today, repaid)
        decided = now - timedelta(days=decided_days_ago)
        for i, platform in enumerate(("Jiebei Partner A", "QuickCash B", "FenQi C")):
            when = decided - timedelta(days=14 - 4 * i)
            _record(line, f"app-{i}", "external_loan_application", when, platform=platform)
            _record(
                line,
                f"open-{i}",
                "external_loan_opened",
                when + timedelta(hours=3),
                platform=platform,
                loan_id=f"L-{i}",
                amount="5000.00",
            )
        services.credit_lines_reevaluate(
            line_ids=[line.pk], trigger=DecisionTrigger.EVENT, now=decided
        )
        if applied_days_ago is not None:
            # A reduction's notice period that has ended: the hourly job made the change.
            services.credit_lines_apply_scheduled_due(
                line_ids=[line.pk], now=now - timedelta(days=applied_days_ago)
            )
    return line


@transaction.atomic
def seed(stdout=None) -> dict[str, CreditLine]:
    users = {u.customer_id: u for u in User.objects.filter(customer_id__startswith="C-10")}
    now = timezone.now()
    today = timezone.localdate(now, SHANGHAI)
    lines: dict[str, CreditLine] = {}
    _key_customer_policy()

    # C-1001 李伟: two years of on-time repayments, good credit report: active.
    if user := users.get("C-1001"):
        line, created = _line(user, "30000.00", "4200.00", _at(_months_back(today, 26)))
        if created:
            _repayment_history(line, today, 12)
            _record(
                line,
                "income",
                "income_verified",
                _at(_months_back(today, 20)),
                monthly_income="18000.00",
            )
            _record(line, "bureau", "bureau_score", _at(_months_back(today, 1)), score=742)
            services.credit_lines_reevaluate(line_ids=[line.pk], trigger=DecisionTrigger.EVENT)
        lines["C-1001"] = line

    # C-1002 王芳: ten instalments on time, then loans at three platforms in one month:
    # closure scheduled, multi-lending first, notice period running.
    if user := users.get("C-1002"):
        lines["C-1002"] = _multi_lending_line(user, now, today, months=11, decided_days_ago=6)

    # C-1006 刘洋: the same story, decided 12 days ago; the appeals demo files her appeal, so
    # the closure is on hold while it is reviewed.
    if user := users.get("C-1006"):
        lines["C-1006"] = _multi_lending_line(user, now, today, months=13, decided_days_ago=12)

    # C-1007 Zhao Lei: 30 months with the lender, every instalment on time, then the same
    # multi-lending: the policy's long-clean-history segment reduces his limit instead. The
    # reduction was decided 34 days ago with 30 days' notice: it took effect 4 days ago.
    if user := users.get("C-1007"):
        lines["C-1007"] = _multi_lending_line(
            user,
            now,
            today,
            months=30,
            decided_days_ago=34,
            repaid=12,
            limit="36000.00",
            applied_days_ago=4,
        )

    # C-1010 钱华: the same story decided 4 days ago: the reduction waits for the end of its
    # 30-day notice period, and My credit shows its date.
    # (¥28,000: below the held campaign's ¥30,000, which it would otherwise join.)
    if user := users.get("C-1010"):
        lines["C-1010"] = _multi_lending_line(
            user, now, today, months=30, decided_days_ago=4, repaid=12, limit="28000.00"
        )

    # C-1003 张敏: 95 days overdue at another platform (a knock-out): closure scheduled 40
    # days ago, notice period over, line closed. (The appeals demo adds her appeal.)
    if user := users.get("C-1003"):
        line, created = _line(user, "15000.00", "0.00", _at(_months_back(today, 18)))
        if created:
            _repayment_history(line, today - timedelta(days=40), 12)
            _record(
                line,
                "overdue",
                "external_overdue",
                now - timedelta(days=42),
                days_past_due=95,
                amount="6800.00",
                platform="QuickCash B",
            )
            services.credit_lines_reevaluate(
                line_ids=[line.pk],
                trigger=DecisionTrigger.EVENT,
                now=now - timedelta(days=40),
                as_of=now - timedelta(days=40),
            )
            services.credit_lines_close_due(line_ids=[line.pk], now=now - timedelta(days=10))
        lines["C-1003"] = line

    # C-1004 陈杰: a clean line paused three days ago by an operations campaign (product
    # policy change) that ends by itself in 25 days; a second campaign waits as a draft.
    if user := users.get("C-1004"):
        line, created = _line(user, "25000.00", "8000.00", _at(_months_back(today, 14)))
        if created:
            _repayment_history(line, today, 12)
            _campaigns(now, today)
        lines["C-1004"] = line
    # C-1005 Emma Liu: a faulty partner feed closed her line by mistake; the correction
    # restored it with an apology.
    if user := users.get("C-1005"):
        line, created = _line(user, "40000.00", "2500.00", _at(_months_back(today, 30)))
        if created:
            _repayment_history(line, today, 12)
            _record(
                line,
                "income",
                "income_verified",
                _at(_months_back(today, 24)),
                monthly_income="26000.00",
            )
            services.credit_line_decide(
                line=line,
                outcome=DecisionOutcome.SCHEDULE_CLOSURE,
                trigger=DecisionTrigger.PERIODIC,
                reason_codes=["external_overdue_serious"],
                note="Applied from the partner feed batch later found faulty.",
                now=now - timedelta(days=9),
            )
            _correction(now, line)
        lines["C-1005"] = line

    # C-1008 孙丽: a key customer (staff flag) of 40 months, every instalment on time, then
    # the same multi-lending: policy v2 stages her closure for a staff review instead.
    if user := users.get("C-1008"):
        lines["C-1008"] = _key_customer_line(user, now, today)

    # C-1009 何军: an active line; last night a partner feed reported him 95 days overdue
    # elsewhere. The nightly run would have closed his line, but the circuit breaker held it.
    if user := users.get("C-1009"):
        line, created = _line(user, "18000.00", "1500.00", _at(_months_back(today, 16)))
        if created:
            _repayment_history(line, today, 12)
        lines["C-1009"] = line
    _held_nightly_run(now, lines.get("C-1009"))

    _held_campaign(now)
    if "C-1001" in lines:
        _queued_work(now, lines["C-1001"])
    _shadow_comparison(now)
    _failed_shadow_run(now)
    _monitoring_days(today)
    _risk_tips(users, today)
    # The demo's events went in directly (not through ingestion): their lines' kept facts,
    # which the incremental nightly pass reads, are built from them as ingestion would keep them.
    services.feature_states_rebuild(line_ids=[line.pk for line in lines.values()], now=now)

    if stdout is not None:
        for customer_id, line in lines.items():
            line.refresh_from_db()
            stdout.write(f"  credit line {customer_id}: {line.status}")
    return lines


def _risk_tips(users: dict[str, User], today: date) -> None:
    """李伟 (Chinese, inbox and email) and Zhao Lei (English, inbox) turned tips on; the hourly
    job told them this period's tip yesterday morning (a second seed writes nothing new)."""
    for customer_id, channels in (("C-1001", ("inbox", "email")), ("C-1007", ("inbox",))):
        if user := users.get(customer_id):
            preferences_update(user=user, choices={("tips", c): True for c in channels})
    services.risk_tips_send(now=_at(today - timedelta(days=1)))


def _campaigns(now: datetime, today: date) -> None:
    supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
    if supervisor is None:
        return
    reason = ReasonCode.objects.get(code="policy_adjustment")
    started = now - timedelta(days=3)
    review = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="2025 Q4 consumer-loan review: pause ¥25,000 lines",
            action=CampaignAction.FREEZE,
            reason_code=reason,
            ends_on=today + timedelta(days=25),
            note="Temporary pause while the product team reviews this limit tier.",
            statuses=[CreditLineStatus.ACTIVE],
            min_limit=Decimal("25000.00"),
            max_limit=Decimal("25000.00"),
        ),
        actor=supervisor,
    )
    services.campaign_start(campaign=review, actor=supervisor, now=started)
    while services.campaign_run_chunk(campaign_id=review.pk, now=started):
        pass
    services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="New-customer limit trim (draft, not started)",
            action=CampaignAction.REDUCE,
            reduce_percent=10,
            reason_code=reason,
            note="Preview only: see what it would change before anyone runs it.",
            max_tenure_months=24,
        ),
        actor=supervisor,
    )


def _correction(now: datetime, line: CreditLine) -> None:
    """The faulty partner-feed batch undone by a system-error correction (with its apology)."""
    supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
    if supervisor is None:
        return
    fix = services.correction_save_draft(
        correction=SystemCorrection(
            name="Faulty partner feed batch (serious overdue reported by mistake)",
            note="The partner confirmed the overdue records were another customer's.",
            decided_from=now - timedelta(days=10),
            decided_to=now - timedelta(days=8),
            trigger=DecisionTrigger.PERIODIC,
            reason_code=ReasonCode.objects.get(code="external_overdue_serious"),
        ),
        actor=supervisor,
    )
    corrected_at = now - timedelta(days=7)
    services.correction_start(correction=fix, actor=supervisor, now=corrected_at)
    while services.correction_run_chunk(correction_id=fix.pk, now=corrected_at):
        pass


HELD_CAMPAIGN = "Close every line of ¥30,000 or more (held by the circuit breaker)"


def _held_campaign(now: datetime) -> None:
    """A campaign the circuit breaker held: it would close 2 of the 5 demo lines (40%)."""
    supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
    if supervisor is None or PolicyCampaign.objects.filter(name=HELD_CAMPAIGN).exists():
        return
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name=HELD_CAMPAIGN,
            action=CampaignAction.CLOSE,
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=60,
            note="Drafted from a spreadsheet with the wrong limit column.",
            statuses=[CreditLineStatus.ACTIVE],
            min_limit=Decimal("30000.00"),
        ),
        actor=supervisor,
    )
    # A real install never holds a batch of under 100 lines; the demo has only a handful.
    with override_settings(CREDIT_BREAKER_MIN_LINES=1):
        services.campaign_start(campaign=campaign, actor=supervisor, now=now - timedelta(hours=2))


DEMO_BROKER_ERROR = "OperationalError: Error 111 connecting to 127.0.0.1:6379. Connection refused."


def _queued_work(now: datetime, line: CreditLine) -> None:
    """What the admin's "Queued work" shows: two re-evaluation requests for 李伟's line, made
    through the service (handed to the broker, or run in process in the embedded mode, when
    the demo commits), and one that an outage left behind: the broker refused it six times
    and the relay retries it every minute (with no worker, as in `make run`, it stays)."""
    if QueuedJob.objects.filter(last_error=DEMO_BROKER_ERROR).exists():
        return
    for _ in range(2):
        services.reevaluation_request(line_ids=[line.pk], trigger=DecisionTrigger.EVENT)
    # The demo cannot stop a broker it may not have: it writes the row an outage leaves.
    QueuedJob.objects.create(
        task="credit.request_reevaluation",
        args=[[line.pk], DecisionTrigger.EVENT],
        created_at=now - timedelta(minutes=7),
        attempts=6,
        last_error=DEMO_BROKER_ERROR,
    )


SHADOW_BASELINE = "Active versions, before activation (baseline)"
SHADOW_DRAFT = "Stricter thresholds: draft policy tried on every line"


def _run_shadow(name: str, scorecard, policy, supervisor, note: str) -> ShadowRun:
    run = services.shadow_save_draft(
        run=ShadowRun(name=name, scorecard=scorecard, policy=policy, note=note), actor=supervisor
    )
    services.shadow_start(run=run, actor=supervisor)
    while services.shadow_run_chunk(run_id=run.pk):
        pass
    return run


def _shadow_comparison(now: datetime) -> None:
    """A shadow run of the active versions (what monitoring measures drift from), and one of a
    stricter draft policy: what it would change, before anyone activates it."""
    supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
    card = Scorecard.objects.filter(status=VersionStatus.ACTIVE).first()
    policy = DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE).first()
    if supervisor is None or card is None or policy is None:
        return
    if not ShadowRun.objects.filter(name=SHADOW_BASELINE).exists():
        _run_shadow(
            SHADOW_BASELINE, card, policy, supervisor, "The reference the daily drift is read from."
        )
    if ShadowRun.objects.filter(name=SHADOW_DRAFT).exists():
        return
    draft = services.policy_copy_to_draft(source=policy)
    draft.keep_min_score += 175
    draft.reduce_min_score += 140
    draft.freeze_min_score += 130
    draft.notes = "Draft: stricter thresholds (keep +175, reduce +140, pause +130 points)."
    services.policy_save_draft(policy=draft)
    _run_shadow(
        SHADOW_DRAFT, card, draft, supervisor, "Preview of the stricter thresholds on every line."
    )


SHADOW_FAILED = "Stricter thresholds, second try (stopped by a database error)"


def _failed_shadow_run(now: datetime) -> None:
    """A shadow run whose chunk failed every retry: stopped where it was, supervisors told
    (`staff.batch_failed`), waiting on its page for a supervisor's retry or cancel."""
    supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
    card = Scorecard.objects.filter(status=VersionStatus.ACTIVE).first()
    draft = DecisionPolicy.objects.filter(status=VersionStatus.DRAFT).order_by("-pk").first()
    if supervisor is None or card is None or draft is None:
        return
    if ShadowRun.objects.filter(name=SHADOW_FAILED).exists():
        return
    run = services.shadow_save_draft(
        run=ShadowRun(
            name=SHADOW_FAILED,
            scorecard=card,
            policy=draft,
            note="Started again after the first preview; the database dropped the connection.",
        ),
        actor=supervisor,
    )
    services.shadow_start(run=run, actor=supervisor, now=now - timedelta(hours=3))
    services.shadow_run_chunk_failed(
        run_id=run.pk,
        error="OperationalError: server closed the connection unexpectedly",
        now=now - timedelta(hours=2, minutes=40),
    )


# Demo figures for the monitoring charts: a portfolio of about 12,000 lines evaluated nightly,
# its adverse share steady near 4-5% for a week, then yesterday a jump (which raised an alert).
# The score mix is the baseline shadow run's, scaled; everything after the tallies is the real
# daily job (figures, drift, alerts).
DEMO_PORTFOLIO = 12_000
DEMO_ADVERSE_PER_MILLE = (42, 45, 40, 47, 44, 43, 41, 110)


def _monitoring_days(today: date) -> None:
    card = Scorecard.objects.filter(status=VersionStatus.ACTIVE).first()
    policy = DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE).first()
    baseline = ShadowRun.objects.filter(name=SHADOW_BASELINE, state=ShadowState.COMPLETED).first()
    days = len(DEMO_ADVERSE_PER_MILLE)
    first = today - timedelta(days=days)
    if card is None or policy is None or baseline is None or not baseline.scores.get(""):
        return
    if MonitoringDay.objects.filter(day=first, scorecard=card, policy=policy).exists():
        return
    reference = baseline.scores.get("", {})
    total = sum(reference.values())
    bins = sorted(reference, key=int)
    for i, per_mille in enumerate(DEMO_ADVERSE_PER_MILLE):
        day = first + timedelta(days=i)
        evaluated = DEMO_PORTFOLIO + 37 * i
        adverse = evaluated * per_mille // 1000
        # the last day's scores slide one bin down: the drift chart moves with the share
        shift = 1 if i == days - 1 else 0
        scores = {}
        for j, key in enumerate(bins):
            target = bins[max(0, j - shift)]
            scores[target] = scores.get(target, 0) + evaluated * reference[key] // total
        EvaluationTally.objects.create(
            at=_at(day, 3),
            scorecard=card,
            policy=policy,
            evaluated=evaluated,
            adverse=adverse,
            scores=scores,
            knockouts={"serious_overdue_elsewhere": 6 + i % 3},
            reasons={
                "multi_lending_applications": adverse * 5 // 10,
                "repayment_late": adverse * 3 // 10,
                "bureau_score_low": adverse - adverse * 5 // 10 - adverse * 3 // 10,
            },
        )
        services.monitoring_day_compute(day=day)


KEY_CUSTOMER_POLICY_NOTE = "v2: a key customer's closure or pause is reviewed by staff first."
KEY_CUSTOMER_SEGMENT = {
    "name": "key_customer",
    "conditions": [{"feature": "key_customer", "op": "eq", "value": True}],
    "review": True,
    "closure_buffer_days": 60,
}


def _key_customer_policy() -> None:
    """Policy v2: v1 plus a key-customer segment, asked for by one supervisor and approved by
    another (its activation re-evaluates every line as a batch behind the breaker)."""
    maker = User.objects.filter(email="supervisor@demo.recourse").first()
    checker = User.objects.filter(email="supervisor2@demo.recourse").first()
    if (
        maker is None
        or checker is None
        or DecisionPolicy.objects.filter(notes=KEY_CUSTOMER_POLICY_NOTE).exists()
    ):
        return
    active = DecisionPolicy.objects.get(status=VersionStatus.ACTIVE)
    draft = services.policy_copy_to_draft(source=active)
    draft.segments = [KEY_CUSTOMER_SEGMENT, *active.segments]
    draft.notes = KEY_CUSTOMER_POLICY_NOTE
    services.policy_save_draft(policy=draft)
    services.policy_request_activation(policy=draft, actor=maker)
    services.policy_activate(policy=draft, actor=checker)


def _key_customer_line(user: User, now: datetime, today: date) -> CreditLine:
    line, created = _line(user, "28000.00", "6000.00", _at(_months_back(today, 40)))
    if created:
        _repayment_history(line, today, 12)
        supervisor = User.objects.filter(email="supervisor@demo.recourse").first()
        services.credit_lines_key_customer_set(
            line_ids=[line.pk], key_customer=True, actor=supervisor
        )
        staged = now - timedelta(hours=20)
        for i, platform in enumerate(("Jiebei Partner A", "QuickCash B", "FenQi C")):
            when = staged - timedelta(days=9 - 3 * i)
            _record(line, f"app-{i}", "external_loan_application", when, platform=platform)
            _record(
                line,
                f"open-{i}",
                "external_loan_opened",
                when + timedelta(hours=3),
                platform=platform,
                loan_id=f"L-{i}",
                amount="8000.00",
            )
        services.credit_lines_reevaluate(
            line_ids=[line.pk], trigger=DecisionTrigger.EVENT, now=staged
        )
    return line


def _held_nightly_run(now: datetime, line: CreditLine | None) -> None:
    """Last night's run, held: a faulty partner feed reported C-1009 95 days overdue, so the
    run would close his line; its adverse share is far out of band."""
    if (
        line is None
        or EvaluationBatch.objects.filter(
            kind=EvaluationBatchKind.NIGHTLY, state=EvaluationBatchState.HELD
        ).exists()
    ):
        return
    night = now - timedelta(hours=8)
    _record(
        line,
        "feed-overdue",
        "external_overdue",
        night - timedelta(hours=1),
        days_past_due=95,
        amount="4200.00",
        platform="Partner feed D",
    )
    batch = services.evaluation_batch_start(
        kind=EvaluationBatchKind.NIGHTLY,
        name=f"Nightly re-evaluation {timezone.localdate(night, SHANGHAI):%Y-%m-%d}",
        trigger=DecisionTrigger.PERIODIC,
        now=night,
    )
    # A real install never holds a batch of under 100 lines; the demo has only a handful.
    with override_settings(CREDIT_BREAKER_MIN_LINES=1):
        services.credit_lines_reevaluate(
            line_ids=list(CreditLine.objects.values_list("pk", flat=True)),
            trigger=DecisionTrigger.PERIODIC,
            now=night,
            batch_id=batch.pk,
        )
