"""The emulator as a request -> response function, independent of the HTTP server.

An Accounting API call goes through: bearer token (401) -> tenant (403) -> rate limits (429) ->
injected fault -> Idempotency-Key (replay, or 400 for a reused key) -> schema and rules ->
rate headers. Every call except the control API is written to the request log. A write that
creates or changes invoices, credit notes or contacts queues webhook events (`webhooks.py`).

Idempotency as Xero keeps it: every answer to a keyed PUT/POST is remembered for the key's
lifetime, server errors included (an injected `500` and `500_after_write` too); 429 and 503
are answered before the key is looked at; while the key store is down (`idempotency_down`) a
keyed write answers 500 unprocessed and nothing is remembered.
"""

import logging
import os
import threading

from . import control, persist, schema
from .accounting import Accounting
from .fault_answers import copy_response, early_answer, server_error, with_warning
from .identity import Identity
from .limits import Faults, IdempotencyCache, Limits, RateLimiter
from .seed import apply_seed
from .state import (
    DEFAULT_BASE_CURRENCY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORG_NAME,
    DEFAULT_TENANT_ID,
    Clock,
    Organisation,
    Store,
)
from .webhooks import Webhooks
from .wire import (
    forbidden,
    json_response,
    loads,
    not_found,
    text_response,
    unauthorized,
)

_logger = logging.getLogger(__name__)
API_PREFIX = "/api.xro/2.0"
WRITE_KEYS = ("Contacts", "Invoices", "CreditNotes", "Allocations", "Payments", "Currencies")
#: Longest query string Xero answers (longer: 404), as observed by SDK users.
MAX_QUERY = 2048
LOG_LIMIT = 10000  # the request log keeps the latest calls of a long-running demo


class DropConnection(Exception):
    """Close the socket without answering (the write has been applied)."""


def _item_count(body):
    try:
        data = loads(body) if body and body.strip()[:1] in (b"{", b"[") else None
    except ValueError:
        return 0
    if isinstance(data, dict):
        for key in WRITE_KEYS:
            if isinstance(data.get(key), list):
                return len(data[key])
    return 0


class Emulator:
    """State, identity, limits, faults, idempotency and the request log of one emulator."""

    def __init__(
        self,
        virtual_clock=False,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        org_name=DEFAULT_ORG_NAME,
        base_currency=DEFAULT_BASE_CURRENCY,
        tenant_id=DEFAULT_TENANT_ID,
        seed=None,
        limits=None,
        openapi_path=None,
        idempotency_window=360.0,
        access_token_ttl=1800,
        state_path=None,
    ):
        self.clock = Clock(virtual=virtual_clock)
        self.store = Store(self.clock)
        self.client_id, self.client_secret = client_id, client_secret
        self.default_org = (tenant_id, org_name, base_currency.upper())
        self.initial_seed = seed
        self.openapi_path = openapi_path
        self.identity = Identity(self.store, self.clock, client_id, client_secret, access_token_ttl)
        self.limiter = RateLimiter(self.clock, limits or Limits())
        self.faults = Faults()
        self.idempotency = IdempotencyCache(self.clock, idempotency_window)
        self.accounting = Accounting(self.clock, self.schema_check)
        self.webhooks = Webhooks(self.clock)
        self._log_lock = threading.Lock()
        self._seq = 0
        self.log = []
        self.reset(seed)
        # --state FILE (persist.py): loaded when it exists (the seed was for the first start),
        # written now otherwise, and after every call that may change something.
        self.state_path = state_path
        if state_path and os.path.exists(state_path):
            persist.load(self, state_path)
        elif state_path:
            self.save_state()

    # -- state -------------------------------------------------------------------------------

    def reset(self, seed=None):
        """Back to the default organisation (or exactly `seed`); log, faults, limits and webhook
        receivers cleared."""
        with self.store.lock:
            if seed is None:
                tenant_id, name, currency = self.default_org
                self.store.orgs = {}
                self.store.add_org(
                    Organisation.with_defaults(tenant_id, name, currency, self.clock.now())
                )
            else:
                apply_seed(self.store, seed, self.clock.now(), replace=True)
        self.faults.clear()
        self.idempotency.clear()
        self.limiter.reset()
        self.webhooks.reset()
        self.clear_log()

    def save_state(self):
        """Write the state file now (no-op without one); True when written."""
        return bool(self.state_path) and persist.save(self, self.state_path)

    def schema_check(self, name, body):
        """Schema messages for a request body ([] when the spec is unavailable)."""
        try:
            return schema.validate(name, body, path=self.openapi_path, max_length=False)
        except KeyError:
            return []

    def requests(self):
        """A copy of the request log."""
        with self._log_lock:
            return [dict(entry) for entry in self.log]

    def clear_log(self):
        """Empty the request log."""
        with self._log_lock:
            self.log = []

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request):
        """Answer one request (raises DropConnection for the drop-after-write fault); with a
        state file, a call that may change something is followed by a save."""
        try:
            return self._handle(request)
        finally:
            if self.state_path and (
                request.method not in ("GET", "HEAD")
                or request.path.lower().rstrip("/").endswith("/connect/authorize")
            ):
                self.save_state()

    def _handle(self, request):
        lowered = request.path.lower().rstrip("/")
        if lowered == "/_emulator" or lowered.startswith("/_emulator/"):
            return control.handle(self, request)
        entry = {
            "time": self.clock.now(),
            "method": request.method,
            "path": request.path,
            "query": request.query.to_dict(),
            "tenant": request.headers.get("xero-tenant-id") or None,
            "status": None,
            "idempotency_key": request.headers.get("Idempotency-Key"),
            "if_modified_since": request.headers.get("If-Modified-Since"),
            "items": _item_count(request.body),
            "replayed": False,
            "dropped": False,
            "fault": None,
        }
        try:
            if lowered.startswith(API_PREFIX.lower()) and len(request.query.raw) > MAX_QUERY:
                # Xero answers a query string above about 2 KB with a 404
                # (XeroAPI/Xero-NetStandard#471, xero-node#404).
                response = not_found()
            else:
                response = self._route(request, lowered, entry)
        except DropConnection:
            entry["dropped"] = True
            self._record(entry)
            raise
        except Exception:  # an emulator bug must still answer, as Xero's 500 would
            _logger.exception("emulator error on %s %s", request.method, request.path)
            response = server_error("Emulator error")
        entry["status"] = response.status
        self._record(entry)
        return response

    def _record(self, entry):
        with self._log_lock:
            self._seq += 1
            entry["seq"] = self._seq
            self.log.append(entry)
            if len(self.log) > LOG_LIMIT:
                del self.log[: len(self.log) - LOG_LIMIT]

    def _route(self, request, lowered, entry):
        method = request.method
        fault = None
        if not lowered.startswith(API_PREFIX.lower()):
            fault = self.faults.pick(method, request.path)
            entry["fault"] = fault and fault["kind"]
            early = early_answer(fault)
            if early:
                entry["status"] = early.status
                return early
        if lowered == "/connect/token" and method == "POST":
            response = self.identity.token(request)
        elif lowered == "/connect/revocation" and method == "POST":
            response = self.identity.revoke(request)
        elif lowered in ("/identity/connect/authorize", "/connect/authorize") and method == "GET":
            response = self.identity.authorize(request)
        elif lowered == "/connections" or lowered.startswith("/connections/"):
            response = self._connections(request, lowered)
        elif lowered.startswith(API_PREFIX.lower() + "/"):
            return self._api(request, entry)
        else:
            response = not_found()
        if fault and fault["kind"] == "drop_after_write":
            entry["status"] = response.status
            raise DropConnection()
        if fault and fault["kind"] == "500_after_write":
            return server_error()
        return response

    def _connections(self, request, lowered):
        grant, error = self.identity.bearer(request)
        if error:
            return error
        if request.method == "GET" and lowered == "/connections":
            return self.identity.connections(request, grant)
        if request.method == "DELETE" and len(request.segments) == 2:
            return self.identity.delete_connection(grant, request.segments[1]) or not_found()
        return not_found()

    def _api(self, request, entry):
        tenant_header = request.headers.get("xero-tenant-id") or ""
        grant, error = self.identity.bearer(request)
        if error:
            error.headers.update(self.limiter.headers())
            return error
        if not self.identity.scoped(grant, request.segments[2:], request.method):
            error = unauthorized("AuthorizationUnsuccessful")
            error.headers.update(self.limiter.headers())
            return error
        org = self.store.org(tenant_header)
        if org is None or not self.identity.allows(grant, tenant_header):
            response = forbidden()
            response.headers.update(self.limiter.headers())
            return response
        tenant = org.tenant_id
        problem, retry_after = self.limiter.acquire(tenant)
        if problem:
            headers = {"X-Rate-Limit-Problem": problem}
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            response = text_response(429, "Rate limit exceeded", headers)
        else:
            try:
                response = self._api_call(request, org, entry)
            finally:
                self.limiter.release(tenant)
        response.headers.update(self.limiter.headers(tenant))
        return response

    def _api_call(self, request, org, entry):
        keyed = request.method in ("PUT", "POST") and bool(request.headers.get("Idempotency-Key"))
        fault = self.faults.pick(request.method, request.path, keyed=keyed)
        entry["fault"] = fault and fault["kind"]
        if not (keyed and fault and fault["kind"] == "500"):  # that 500 goes through the key
            early = early_answer(fault)
            if early:
                return early
        response = self._idempotent(request, org, entry, fault) if keyed else None
        if response is None:
            response = self._process(org, request, fault)
        if fault and fault["kind"] == "drop_after_write":
            entry["status"] = response.status
            raise DropConnection()
        return response

    def _idempotent(self, request, org, entry, fault):
        """The answer to a keyed write: replayed, refused, or processed and remembered."""
        key = request.headers.get("Idempotency-Key")
        if len(key) > 128:
            return self._bad_key("The Idempotency-Key header must be 128 characters or fewer.")
        fingerprint = self.idempotency.fingerprint(
            request.method, request.path, request.query.raw, request.body
        )
        state, value = self.idempotency.begin(org.tenant_id, key, fingerprint)
        if state == "busy":
            value.wait(60)
            stored = self.idempotency.lookup(org.tenant_id, key)
            state, value = (
                ("replay", stored)
                if stored
                else self.idempotency.begin(org.tenant_id, key, fingerprint)
            )
        if state == "conflict":
            return self._bad_key(
                "The Idempotency-Key has already been used with a different request."
            )
        if state == "replay":
            entry["replayed"] = True
            return copy_response(value)
        response = None
        try:
            response = self._process(org, request, fault)
        except Exception:  # Xero remembers its internal errors under the key too
            _logger.exception("emulator error on %s %s", request.method, request.path)
            response = server_error("Emulator error")
        finally:
            stored = copy_response(response) if response is not None else None
            self.idempotency.finish(org.tenant_id, key, stored)
        return response

    def _process(self, org, request, fault):
        """Apply the call, as an injected `500`, `warning` or `500_after_write` shapes it."""
        kind = fault and fault["kind"]
        if kind == "500":
            return server_error()
        response = self._dispatch(org, request)
        if kind == "warning":
            return with_warning(response, fault["message"])
        if kind == "500_after_write":
            return server_error()
        return response

    @staticmethod
    def _bad_key(message):
        return json_response(
            400,
            {"ErrorNumber": 10, "Type": "ValidationException", "Message": message, "Elements": []},
        )

    def _dispatch(self, org, request):
        with self.store.lock:
            current = self.store.org(org.tenant_id)  # a reset may have replaced it meanwhile
            if current is None:
                return forbidden()
            before = self.webhooks.before(current) if request.method != "GET" else None
            response = self.accounting.handle(current, request)
            self.webhooks.after(current, before, request.base_url)
            return response
