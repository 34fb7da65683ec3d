"""The HTTP side: a threaded stdlib server around `Emulator`, and `EmulatorServer` to run it."""

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from . import schema
from .app import DropConnection, Emulator
from .control import EmulatorControl
from .limits import Limits
from .state import (
    DEFAULT_BASE_CURRENCY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_NAME,
    DEFAULT_TENANT_ID,
)
from .wire import Query, Request

_logger = logging.getLogger("xero_emulator")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    server_version = "XeroEmulator/1.0"
    timeout = 120

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        raw_path, _sep, query = self.path.partition("?")
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        request = Request(
            method=self.command,
            path=unquote(raw_path),
            segments=[unquote(part) for part in raw_path.split("/") if part],
            query=Query(query),
            headers=self.headers,
            body=body,
            base_url="http://" + host,
        )
        try:
            response = self.server.emulator.handle(request)
        except DropConnection:
            # The write is applied; the client gets a closed connection and no answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format, *args):
        _logger.debug("%s - %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, emulator):
        self.emulator = emulator
        super().__init__(address, _Handler)


class EmulatorServer:
    """A Xero emulator on a loopback port, startable in-process (tests) or from the CLI.

    >>> srv = EmulatorServer(port=0, virtual_clock=True).start()
    >>> srv.url, srv.tenant_id, srv.client_id, srv.client_secret
    >>> srv.stop()
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        virtual_clock=False,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        org_name=DEFAULT_ORG_NAME,
        base_currency=DEFAULT_BASE_CURRENCY,
        tenant_id=DEFAULT_TENANT_ID,
        seed=None,
        per_minute=60,
        per_day=5000,
        concurrent=5,
        app_per_minute=10000,
        openapi_path=None,
        idempotency_window=360.0,
        access_token_ttl=1800,
        state_path=None,
    ):
        self.host = host
        self._port = port
        limits = Limits(per_minute, per_day, concurrent, app_per_minute)
        self.emulator = Emulator(
            virtual_clock=virtual_clock,
            client_id=client_id,
            client_secret=client_secret,
            org_name=org_name,
            base_currency=base_currency,
            tenant_id=tenant_id,
            seed=seed,
            limits=limits,
            openapi_path=openapi_path,
            idempotency_window=idempotency_window,
            access_token_ttl=access_token_ttl,
            state_path=state_path,
        )
        self._httpd = None
        self._thread = None
        self._stop_lock = threading.Lock()
        self._stopping = None  # set once a stop has closed everything (and saved the state)

    def _bind(self):
        if self._httpd is None:
            schema.load_schemas(self.emulator.openapi_path)  # parse once, before the first call
            self._httpd = _HTTPServer((self.host, self._port), self.emulator)
        return self._httpd

    def start(self):
        """Serve in a background thread; returns self."""
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.1,), name="xero-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self):
        """Serve in this thread until `stop()` (from another thread) or KeyboardInterrupt."""
        self._bind().serve_forever(poll_interval=0.1)

    def stop(self):
        """Stop serving and close the listening socket (safe to call twice); the state file,
        when there is one, is written last."""
        with self._stop_lock:
            httpd, thread, stopping = self._httpd, self._thread, self._stopping
            self._httpd = self._thread = None
            if httpd is not None:
                self._stopping = stopping = threading.Event()
        if httpd is None:
            if stopping is not None:
                stopping.wait(30)  # another thread's stop: return once it is done
            return
        try:
            httpd.shutdown()
            httpd.server_close()
            if thread is not None:
                thread.join(timeout=5)
            self.emulator.save_state()
        finally:
            stopping.set()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        """The bound port (the real one when started with port 0)."""
        return self._bind().server_address[1]

    @property
    def url(self):
        """`http://host:port`: the API, identity and login URL all at once."""
        return "http://%s:%d" % (self.host, self.port)

    @property
    def api_url(self):
        """The Accounting API base URL for `AccountingApi(base_url=...)`."""
        return self.url + "/api.xro/2.0"

    @property
    def client_id(self):
        return self.emulator.client_id

    @property
    def client_secret(self):
        return self.emulator.client_secret

    @property
    def app_client_id(self):
        """The OAuth 2.0 app's client id (authorization code; `client_id` is the first
        organisation's custom connection)."""
        return self.emulator.identity.app[0]

    @property
    def app_client_secret(self):
        return self.emulator.identity.app[1]

    def custom_client(self, tenant_id):
        """``(client id, secret)`` of the organisation's custom connection."""
        clients = self.emulator.identity.custom_clients()
        return next(v for t, v in clients.items() if t.lower() == str(tenant_id).lower())

    @property
    def tenant_ids(self):
        """Every tenant id, in creation order."""
        return self.emulator.store.tenant_ids()

    @property
    def tenant_id(self):
        """The first tenant's id (the default organisation's unless a seed says otherwise)."""
        ids = self.tenant_ids
        return ids[0] if ids else None

    @property
    def control(self):
        """An `EmulatorControl` client for this server."""
        return EmulatorControl(self.url)

    def banner(self):
        """The start-up line: URL, client id and secret, tenants."""
        tenants = ", ".join(
            "%s (%s, %s)" % (org.tenant_id, org.name, org.base_currency)
            for org in self.emulator.store.orgs.values()
        )
        return "Xero emulator at %s client_id=%s client_secret=%s tenants: %s" % (
            self.url,
            self.client_id,
            self.client_secret,
            tenants,
        )
