"""What computing counterfactuals adds to the nightly pass: run by the re-evaluation benchmark
on its seeded lines, before its recorded runs.

The nightly pass (`credit_lines_reevaluate` per 1,000-line chunk, exactly as the fan-out runs
it) is timed with counterfactuals off and on (`CREDIT_COUNTERFACTUALS`), on the same lines and
the same night, each run in a transaction rolled back afterwards so every run decides the same
lines from the same state. Order off, on, on, off, so a warmer cache favours neither. The
figure is the extra time of the runs with counterfactuals over the runs without. Target: at
most +20% (they are computed only for adverse decisions).
"""

from __future__ import annotations

import time
from datetime import datetime

START, END = "<!-- bench:counterfactuals:start -->", "<!-- bench:counterfactuals:end -->"
ORDER = (False, True, True, False)


def _run(chunks, as_of: datetime, *, enabled: bool) -> tuple[float, int, int]:
    """One nightly pass, rolled back. Returns (seconds, decisions, decisions explained)."""
    from django.db import transaction
    from django.test import override_settings

    from credit import services
    from credit.models import CreditDecision

    with override_settings(CREDIT_COUNTERFACTUALS=enabled), transaction.atomic():
        started = time.perf_counter()
        decided = 0
        for chunk in chunks:
            summary = services.credit_lines_reevaluate(
                line_ids=chunk,
                trigger="periodic",
                as_of=as_of,
                now=as_of,
                keep_decisions=False,
                notice_mode=services.NOTICES_DEFERRED,
            )
            decided += summary.changed
        elapsed = time.perf_counter() - started
        explained = CreditDecision.objects.exclude(counterfactuals=[]).count()
        transaction.set_rollback(True)
    return elapsed, decided, explained


def measure(chunks, as_of: datetime) -> dict:
    times = {False: [], True: []}
    decided = {False: set(), True: set()}
    explained = 0
    for enabled in ORDER:
        seconds, count, with_answers = _run(chunks, as_of, enabled=enabled)
        times[enabled].append(seconds)
        decided[enabled].add(count)
        if enabled:
            explained = with_answers
        else:
            assert with_answers == 0, "counterfactuals computed while switched off"
    assert decided[False] == decided[True], "both arms must decide the same lines"
    assert explained > 0, "no adverse decision was explained"
    without = sum(times[False]) / len(times[False])
    with_ = sum(times[True]) / len(times[True])
    return {
        "cf_without_s": without,
        "cf_with_s": with_,
        "cf_overhead": with_ / without - 1,
        "cf_decisions": decided[True].pop(),
        "cf_explained": explained,
        "cf_lines": sum(len(chunk) for chunk in chunks),
    }


def row(r: dict) -> str:
    return (
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['cf_lines']:,} | {r['database']} "
        f"| {r['cf_decisions']:,} | {r['cf_explained']:,} | {r['cf_without_s']:.2f} "
        f"| {r['cf_with_s']:.2f} | **{r['cf_overhead'] * 100:+.1f}%** | {r['machine']} |"
    )


HEADER = (
    f"{START}\n"
    "## Counterfactuals in the nightly pass\n\n"
    "Run by the re-evaluation benchmark on its lines: the nightly pass (per 1,000-line chunk)\n"
    "timed with counterfactuals off and on (`CREDIT_COUNTERFACTUALS`), order off/on/on/off,\n"
    "each pass rolled back so all four decide the same lines. Counterfactuals are computed\n"
    "only for adverse decisions. At full scale the four passes cover the first 20,000 lines.\n"
    "Target: at most +20%.\n\n"
    "| when | commit | scale | lines | database | decisions | explained (adverse) "
    "| without s | with s | extra | machine |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|\n"
)
