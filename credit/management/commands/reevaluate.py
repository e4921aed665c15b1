from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from credit import selectors, services
from credit.fanout import chunk_size, chunked
from credit.models import CreditLine, DecisionTrigger


class Command(BaseCommand):
    help = (
        "Re-evaluate credit lines against the active scorecard and policy, in bulk chunks, "
        "in this process. Only lines whose outcome changes get a decision and a notice. By "
        "default every line is scored from all its events; --incremental scores only the lines "
        "whose look has come, from the facts kept at ingestion (what the nightly pass does); "
        "--from-events also rebuilds those kept facts from the events."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every credit line")
        which.add_argument(
            "--customer", nargs="+", metavar="ID", help="the lines of these customer IDs"
        )
        parser.add_argument(
            "--chunk-size", type=int, help="line ids per chunk (CREDIT_REEVALUATION_CHUNK_SIZE)"
        )
        how = parser.add_mutually_exclusive_group()
        how.add_argument(
            "--incremental",
            action="store_true",
            help="only the lines whose look has come, from their kept facts (the nightly pass)",
        )
        how.add_argument(
            "--from-events",
            action="store_true",
            help="every line from all its events, and rebuild each line's kept facts from them",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, **options):
        size = options["chunk_size"] if options["chunk_size"] is not None else chunk_size()
        if size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        try:
            selectors.active_rules()
        except selectors.NoActiveRules as exc:
            raise CommandError(str(exc)) from exc
        if options["all"]:
            total = CreditLine.objects.count()
            chunks = selectors.all_line_ids(chunk_size=size)
        else:
            ids, unknown = selectors.line_ids_for_customers(options["customer"])
            if unknown:
                raise CommandError(f"No credit line for customer ID(s): {', '.join(unknown)}")
            total = len(ids)
            chunks = chunked(ids, size=size)

        summary = services.ReevaluationSummary()
        with tqdm(
            total=total, unit="line", disable=options["no_progress"], file=self.stderr
        ) as bar:
            for chunk in chunks:
                with transaction.atomic():
                    part = services.credit_lines_reevaluate(
                        line_ids=chunk,
                        trigger=DecisionTrigger.STAFF,
                        keep_decisions=False,
                        notice_mode=services.NOTICES_DEFERRED,
                        incremental=options["incremental"],
                    )
                    if options["from_events"]:
                        # Rebuilt facts may look further ahead: the next nightly looks at each.
                        services.feature_states_rebuild(line_ids=chunk, now=timezone.now())
                        services.looks_due(chunk, at=timezone.now())
                summary.merge(part)
                bar.update(len(chunk))
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(summary.outcomes.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Evaluated {summary.evaluated} line(s); changed: {sum(summary.outcomes.values())}"
                f" ({outcomes})."
            )
        )
