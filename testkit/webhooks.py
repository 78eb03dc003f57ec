"""A webhook receiver for tests, and the Standard Webhooks signature check written from the spec
(not with the library that signs), so a test proves any implementation would accept our requests."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping (the timeout test) does not hold up the test

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the sender hangs up on purpose (the response cap): not a fault


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what it receives and answers as told: the
    scripted answers first, then `answer`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answer: tuple[int, dict[str, str], bytes] = (204, {}, b"")
        self.script: list[tuple[int, dict[str, str], bytes]] = []  # answered first, one per request
        self.lock = threading.Lock()
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append({"path": self.path, "headers": headers, "body": body})
                time.sleep(receiver.delay)
                with receiver.lock:
                    answer = receiver.script.pop(0) if receiver.script else receiver.answer
                status, headers, reply = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        """Until at least `count` requests arrived."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} webhook requests within {timeout:g} s")
            time.sleep(0.05)
        return list(self.received)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify_by_hand(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The spec's check, written from the spec rather than with the library that signed."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ") if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
