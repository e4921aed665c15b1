"""Campaign benchmark, run inside the re-evaluation benchmark on the same seeded lines: a
policy campaign that pauses every active line, timed as lines/s against the nightly
re-evaluation of the same run (a ratio, never a fixed figure).

The campaign runs exactly as its worker task does: start (one INSERT ... SELECT records the
lines), then chunk after chunk, each locking its lines and writing their decisions, reasons,
its rows and progress in one transaction; notices are queued after commit (as the nightly
run's are, and the bench's broker is in memory: neither path renders them here).
"""

from __future__ import annotations

import time

START, END = "<!-- bench:campaign:start -->", "<!-- bench:campaign:end -->"


def time_campaign(chunk: int) -> tuple[float, int]:
    """Start and run a freeze campaign over every active line. Returns (seconds, lines)."""
    from django.conf import settings

    from accounts.models import User
    from credit import services
    from credit.models import PolicyCampaign, ReasonCode

    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = chunk
    # Pausing every active line would trip the circuit breaker (rightly): the bench times the
    # run itself, so the breaker is out of its way here (it has its own tests).
    settings.CREDIT_BREAKER_MIN_LINES = 10**9
    supervisor, _ = User.objects.get_or_create(
        email="bench-supervisor@bench.example",
        defaults={"full_name": "Bench supervisor", "is_staff": True, "password": "!"},
    )
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Bench: pause every active line",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
        ),
        actor=supervisor,
    )
    started = time.perf_counter()
    lines = services.campaign_start(campaign=campaign, actor=supervisor)
    while services.campaign_run_chunk(campaign_id=campaign.pk):
        pass
    elapsed = time.perf_counter() - started
    campaign.refresh_from_db()
    assert campaign.state == "completed" and campaign.lines_done == lines
    return elapsed, lines


def row(r: dict) -> str:
    return (
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['campaign_lines']:,} "
        f"| {r['database']} | {r['project_rate']:,.0f} | {r['campaign_rate']:,.0f} "
        f"| **{r['campaign_ratio']:.2f}** | {r['machine']} |"
    )


HEADER = (
    f"{START}\n"
    "## Policy campaign\n\n"
    "Run by the re-evaluation benchmark on the same lines, after its nightly runs: a campaign\n"
    "that pauses every line still active, started and run chunk by chunk (1,000 lines) as its\n"
    "worker task does, each chunk writing decisions, reasons and its rows in one transaction\n"
    "(notices rendered afterwards by their own task, as for the nightly run).\n"
    "Reported as lines/s and as a ratio to the nightly re-evaluation (project path) of the\n"
    "same run.\n\n"
    "| when | commit | scale | campaign lines | database | nightly lines/s "
    "| campaign lines/s | campaign / nightly | machine |\n"
    "|---|---|---|---|---|---|---|---|---|\n"
)
