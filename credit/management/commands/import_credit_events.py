"""Backfill credit events from a JSON Lines file, one event per line, through the same
checks and writes as POST /api/v1/credit-events/."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from credit.ingestion.services import Status, credit_events_ingest
from credit.ingestion.validation import MAX_BATCH, Reason

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "Import credit events from FILE.jsonl (one JSON object per line) in chunks, with the "
        "API's validation. Prints accepted / duplicate / rejected counts and each rejected "
        "line with its reason. Importing the same file again only adds duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--chunk-size", type=int, default=MAX_BATCH, help=f"1..{MAX_BATCH} (default)"
        )
        parser.add_argument(
            "--rejected-out",
            type=Path,
            help="Write every rejected line (line number, reason, original text) as JSONL here.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, file: Path, chunk_size: int, rejected_out, no_progress, **options):
        if not 1 <= chunk_size <= MAX_BATCH:
            raise CommandError(f"--chunk-size must be between 1 and {MAX_BATCH}.")
        try:
            with file.open("rb") as handle:
                total = sum(1 for _ in handle)
            handle = file.open("rb")
        except OSError as exc:
            raise CommandError(f"Can't read {file}: {exc.strerror or exc}.") from exc

        counts = {Status.ACCEPTED: 0, Status.DUPLICATE: 0, Status.REJECTED: 0}
        rejected: list[dict] = []
        chunk: list[tuple[int, str, object]] = []  # (line number, raw text, parsed item)

        def reject(line_no: int, raw: str, code: str, reason: str) -> None:
            counts[Status.REJECTED] += 1
            rejected.append({"line": line_no, "code": code, "reason": reason, "text": raw})

        def flush() -> None:
            if not chunk:
                return
            report = credit_events_ingest(
                items=[item for _, _, item in chunk], origin=f"import:{file.name}"
            )
            for result in report.results:
                line_no, raw, _ = chunk[result.index]
                counts[result.status] += 1
                if result.status == Status.REJECTED:
                    rejected.append(
                        {"line": line_no, "code": result.code, "reason": result.reason, "text": raw}
                    )
            chunk.clear()

        # tqdm redraws with "\r": give it the raw stream, not the newline-adding wrapper.
        progress = tqdm(
            total=total, unit="line", desc=file.name, file=self.stderr._out, disable=no_progress
        )
        with handle, progress:
            for line_no, raw_bytes in enumerate(handle, start=1):
                progress.update(1)
                try:
                    raw = raw_bytes.decode("utf-8").strip()
                except UnicodeDecodeError:
                    reject(line_no, repr(raw_bytes[:200]), Reason.MALFORMED_JSON, "Not UTF-8.")
                    continue
                if not raw:
                    continue
                try:
                    item = json.loads(raw)
                except json.JSONDecodeError as exc:
                    reject(line_no, raw[:2000], Reason.MALFORMED_JSON, f"Malformed JSON: {exc}.")
                    continue
                chunk.append((line_no, raw[:2000], item))
                if len(chunk) >= chunk_size:
                    flush()
            flush()

        rejected.sort(key=lambda row: row["line"])
        self.stdout.write(
            f"{file.name}: {counts[Status.ACCEPTED]} accepted, "
            f"{counts[Status.DUPLICATE]} duplicate, {counts[Status.REJECTED]} rejected."
        )
        for row in rejected[:SHOWN_REJECTIONS]:
            self.stdout.write(f"  line {row['line']}: {row['reason']}")
        if len(rejected) > SHOWN_REJECTIONS:
            self.stdout.write(
                f"  … and {len(rejected) - SHOWN_REJECTIONS} more"
                + (f" (all in {rejected_out})." if rejected_out else "; use --rejected-out.")
            )
        if rejected_out:
            with rejected_out.open("w", encoding="utf-8") as out:
                for row in rejected:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.stdout.write(f"Rejected lines written to {rejected_out}.")
