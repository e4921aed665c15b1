"""A real HTTP receiver on 127.0.0.1 that verifies each request the way a lender's system
would: with the Standard Webhooks library and the secrets it was given."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    msg_id: str
    payload: dict | None
    verified_with: list[str]
    status: int


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    answers: deque = field(default_factory=deque)  # (status, headers) to answer, in turn
    default: tuple = (204, {})
    received: list[Received] = field(default_factory=list)
    # Seconds to take before answering: a receiver as slow as a real one over a network.
    delay: float = 0.0
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.delay:
                    time.sleep(receiver.delay)
                headers = dict(self.headers.items())
                verified, payload = [], None
                for secret in receiver.secrets:
                    try:
                        payload = Webhook(secret).verify(body, headers)
                        verified.append(secret)
                    except WebhookVerificationError:
                        pass
                status, extra = receiver.answers.popleft() if receiver.answers else receiver.default
                if not verified:
                    status = 400  # what a receiver answers to a forged request
                receiver.received.append(
                    Received(headers.get("webhook-id", ""), payload, verified, status)
                )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": status < 300}).encode())

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.status < 300]

    def accepted_sequences(self) -> list[tuple[int, int]]:
        return [
            (r.payload["data"]["credit_line_id"], r.payload["data"]["sequence"])
            for r in self.accepted()
        ]
