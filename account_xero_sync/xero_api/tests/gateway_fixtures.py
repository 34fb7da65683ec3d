"""Helpers for the gateway tests: a scripted HTTP stub, gateways on a VirtualClock.

(Helpers only: fixtures live in the test modules and conftest.py, so no module is imported twice.)

The stub answers exactly what a test scripts (status, headers, body, a delay, a dropped
connection); it serves the cases the emulator has no control for (a 401 body, an OAuth2 error,
a file download, JSON nulls). Everything else runs against the emulator.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xero_api.client import XeroGateway
from xero_api.throttle import MemoryStore, Throttle, VirtualClock

TENANT = "00000000-0000-4000-8000-000000000001"
CLIENT_ID = "emulator-client"
CLIENT_SECRET = "emulator-secret"
RATE_HEADERS = {"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "4999"}


class StubXero:
    """A tiny threaded HTTP server answering from a script.

    ``push(status, body, headers, delay, drop)`` queues one answer (first in, first out);
    with the queue empty it answers ``default``. ``requests`` records
    ``{"method", "path", "headers", "body"}`` of every request.
    """

    def __init__(self):
        self.script = []
        self.default = (200, {"Organisations": []}, {}, 0, False)
        self.requests = []
        self.connections = 0  # TCP connections accepted
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with stub.lock:
                    stub.connections += 1

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with stub.lock:
                    stub.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                        }
                    )
                    answer = stub.script.pop(0) if stub.script else stub.default
                status, payload, headers, delay, drop = answer
                if delay:
                    time.sleep(delay)
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(payload, bytes):
                    data, kind = payload, "application/octet-stream"
                else:
                    data, kind = json.dumps(payload).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for key, value in {**RATE_HEADERS, **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout under test)

            do_GET = do_PUT = do_POST = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def push(self, status=200, body=None, headers=None, delay=0, drop=False):
        """Queue one answer."""
        self.script.append((status, {} if body is None else body, headers or {}, delay, drop))

    def stop(self):
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


def make_gateway(url, clock=None, throttle=True, client=None, **kwargs):
    """A gateway on ``url`` (all three base URLs) for the default tenant, a VirtualClock and a
    MemoryStore throttle; ``token_getter`` returns ``"token-1"`` unless given. ``client``:
    ``(client id, secret)``, by default the default organisation's custom connection."""
    clock = clock or VirtualClock()
    options = {
        "tenant_id": TENANT,
        "token_getter": lambda: "token-1",
        "throttle": Throttle(MemoryStore(), clock) if throttle else None,
        "clock": clock,
        "timeout": (5, 10),
    }
    options.update(kwargs)
    return XeroGateway(url, url, url, *(client or (CLIENT_ID, CLIENT_SECRET)), **options)
