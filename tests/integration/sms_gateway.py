"""A small HTTP SMS gateway for the tests, run on loopback in a thread.

It takes `POST /send` with a form (to, text, from, client_ref) as local
providers do, answers `{"id": "gw-N"}`, and, like a provider that honours a
client reference, sends a message with a reference it has already taken only
once (answering the same id). `handset` is what the phones received; `requests`
every request it got. `failing` makes it answer 503 (an outage), `refusing`
400 (a refusal for good: the next channel is tried at once).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.net import free_port


@dataclass
class Gateway:
    port: int
    requests: list[dict[str, str]] = field(default_factory=list)
    handset: list[dict[str, str]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # client_ref -> gateway id
    failing: bool = False
    refusing: bool = False
    token: str = "sms-secret"
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def settings(self) -> dict[str, object]:
        """The Korgoo settings that point at this gateway."""
        return {
            "sms_url": self.url,
            "sms_auth": "bearer",
            "sms_token": self.token,
            "sms_sender": "KORGOO",
            "sms_receipt_token": "receipt-token",
        }

    def env(self) -> dict[str, str]:
        return {f"KORGOO_{k.upper()}": str(v) for k, v in self.settings().items()}


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gw = Gateway(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fields = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.headers.get("Authorization") != f"Bearer {gw.token}":
                self._answer(401, {"error": "unauthorised"})
                return
            with gw.lock:
                gw.requests.append(fields)
                if gw.failing:
                    self._answer(503, {"error": "outage"})
                    return
                if gw.refusing:
                    self._answer(400, {"error": "number not allowed"})
                    return
                ref = fields.get("client_ref", "")
                known = gw.ids.get(ref)
                if known is None:
                    known = f"gw-{len(gw.ids) + 1}"
                    if ref:
                        gw.ids[ref] = known
                    gw.handset.append(fields)
            self._answer(200, {"id": known, "status": "queued"})

        def _answer(self, code: int, body: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", gw.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        server.shutdown()
        server.server_close()
