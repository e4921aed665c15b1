from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from credit import selectors, services
from credit.models import CreditLine, DecisionTrigger


class Command(BaseCommand):
    help = (
        "Re-evaluate credit lines against the active scorecard and policy, in bulk chunks, "
        "in this process. Only lines whose outcome changes get a decision and a notice."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every credit line")
        which.add_argument(
            "--customer", nargs="+", metavar="ID", help="the lines of these customer IDs"
        )
        parser.add_argument("--chunk-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, **options):
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        try:
            selectors.active_rules()
        except selectors.NoActiveRules as exc:
            raise CommandError(str(exc)) from exc
        if options["all"]:
            total = CreditLine.objects.count()
            chunks = selectors.all_line_ids(chunk_size=options["chunk_size"])
        else:
            ids, unknown = selectors.line_ids_for_customers(options["customer"])
            if unknown:
                raise CommandError(f"No credit line for customer ID(s): {', '.join(unknown)}")
            total = len(ids)
            size = options["chunk_size"]
            chunks = (ids[i : i + size] for i in range(0, len(ids), size))

        summary = services.ReevaluationSummary()
        with tqdm(
            total=total, unit="line", disable=options["no_progress"], file=self.stderr
        ) as bar:
            for chunk in chunks:
                part = services.credit_lines_reevaluate(
                    line_ids=chunk,
                    trigger=DecisionTrigger.STAFF,
                    keep_decisions=False,
                    notice_mode=services.NOTICES_DEFERRED,
                )
                summary.merge(part)
                bar.update(len(chunk))
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(summary.outcomes.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Evaluated {summary.evaluated} line(s); changed: {sum(summary.outcomes.values())}"
                f" ({outcomes})."
            )
        )
