"""Webhook delivery benchmark: deliveries/s from the outbox to a real local receiver, against
raw HTTP POSTs of the same bodies with the same client in the same run (a ratio, never a
fixed figure).

The receiver is a threaded HTTP server on 127.0.0.1 (a port in 8120-8129) that reads each
body and answers 204, so both paths pay the same network and receiver costs. The baseline
posts each message's exact body with one `requests.Session`, nothing else. The project path
is `deliveries_run_due` as the worker task runs it, with the same session: the first pending
delivery of each line, the row lock, Standard Webhooks signing, the POST, the attempt row and
the delivery's status, one transaction per delivery. The baseline runs before and after the
project path and the two are averaged, so drift on a shared machine shows in neither alone.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import commit, machine, own_database, record_rows, setup_django

START, END = "<!-- bench:webhooks:start -->", "<!-- bench:webhooks:end -->"
SCALES = {"quick": 200, "full": 2_000}  # credit lines
PER_LINE = 10  # messages per line
PORTS = range(8120, 8130)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a proxy would

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _receiver() -> ThreadingHTTPServer:
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        except OSError:
            continue
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    raise SystemExit(f"No free port in {PORTS.start}-{PORTS.stop - 1} for the receiver")


def _seed(lines: int) -> None:
    from django.db import transaction

    from webhooks import services

    outgoing = [
        services.Outgoing(
            "credit_line.changed",
            line_id,
            {
                "decision_id": line_id * 100 + n,
                "outcome": "freeze",
                "old": {"status": "active", "credit_limit": "20000.00"},
                "new": {"status": "frozen", "credit_limit": "20000.00"},
                "reason_codes": ["policy_adjustment"],
            },
        )
        for n in range(PER_LINE)
        for line_id in range(1, lines + 1)
    ]
    with transaction.atomic():
        services.emit_many(outgoing)


def _bodies() -> list[str]:
    from webhooks.models import WebhookDelivery
    from webhooks.services.delivery import _body

    return [_body(d) for d in WebhookDelivery.objects.select_related("message").order_by("id")]


def _time_baseline(session, url: str, bodies: list[str]) -> float:
    started = time.perf_counter()
    for body in bodies:
        response = session.post(
            url,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 204
    return time.perf_counter() - started


def _time_project(session, total: int) -> float:
    from webhooks import services
    from webhooks.models import DeliveryStatus, WebhookDelivery

    started = time.perf_counter()
    run = services.deliveries_run_due(limit=total * 2, session=session)
    elapsed = time.perf_counter() - started
    assert run.delivered == total, run
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    return elapsed


def run(scale: str, lines: int | None = None, write: bool = True) -> dict:
    """`lines` (the shared --lines option) is the number of credit lines, 10 messages each."""
    n = lines or SCALES[scale]
    label, cleanup = own_database("bench_webhooks")
    server = _receiver()
    try:
        setup_django()
        import requests

        from webhooks import services

        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        services.endpoint_create(url=url, description="Bench receiver")
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"Webhook delivery benchmark: {n:,} lines x {PER_LINE} messages on {label}")
        _seed(n)
        bodies = _bodies()
        total = len(bodies)
        session = requests.Session()
        _time_baseline(session, url, bodies[:50])  # warm-up: connection, imports
        before = _time_baseline(session, url, bodies)
        project = _time_project(session, total)
        after = _time_baseline(session, url, bodies)
        baseline_rate = total / statistics.mean([before, after])
        project_rate = total / project
        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit(),
            "scale": scale,
            "deliveries": total,
            "lines": n,
            "database": label.split(" (")[0],
            "baseline_rate": baseline_rate,
            "project_rate": project_rate,
            "ratio": project_rate / baseline_rate,
            "machine": machine(),
        }
        print(
            f"  baseline (raw POSTs) {baseline_rate:,.0f}/s "
            f"(before {total / before:,.0f}, after {total / after:,.0f}); "
            f"project {project_rate:,.0f} deliveries/s; ratio {result['ratio']:.2f}"
        )
        if write:
            _write(result)
        return result
    finally:
        server.shutdown()
        server.server_close()
        cleanup()


def _write(r: dict) -> None:
    row = (
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['deliveries']:,} "
        f"({r['lines']:,} lines) | {r['database']} | {r['baseline_rate']:,.0f} "
        f"| {r['project_rate']:,.0f} | **{r['ratio']:.2f}** | {r['machine']} |"
    )
    header = (
        f"{START}\n"
        "## Webhook delivery\n\n"
        "`python -m bench --scale quick|full --only webhooks [--lines N]` (N lines, 10 messages\n"
        "each, interleaved). Delivers the outbox to a real receiver on 127.0.0.1 (a threaded\n"
        "HTTP server answering 204) with `deliveries_run_due`, as the worker task does: first\n"
        "pending delivery of each line, row lock, Standard Webhooks signature, POST, attempt\n"
        "row, status, one transaction per delivery. The baseline POSTs the same bodies with the\n"
        "same `requests.Session` and nothing else, before and after the project path (mean).\n\n"
        "| when | commit | scale | deliveries | database | baseline POSTs/s "
        "| project deliveries/s | project / baseline | machine |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    record_rows(start=START, end=END, header=header, rows=[row])
