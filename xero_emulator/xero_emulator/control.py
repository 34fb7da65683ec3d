"""The control API under `/_emulator/` (JSON in and out, no auth) and its urllib client.

| call | body / answer |
| --- | --- |
| `GET /_emulator/` | url, client id and secret, tenants, clock, schema status |
| `POST /_emulator/reset` | `{}`: the default organisation; `{"seed": SEED}`: exactly the seed |
| `POST /_emulator/seed` | SEED, merged into the current state |
| `GET /_emulator/state[?tenant_id=T]` | everything, in the SEED shape |
| `GET` / `DELETE /_emulator/requests` | the request log / clear it |
| `GET` / `POST` / `DELETE /_emulator/faults` | list / add one (see `add_fault`) / clear |
| `POST /_emulator/faults/seed` | `{"seed": N}`: the draws of `fraction` faults start again from N |
| `GET` / `POST /_emulator/clock` | `{"now"}` / `{"advance": s}` or `{"set": epoch}` |
| `GET` / `POST /_emulator/limits` | `{"per_minute", "per_day", ..., "minute_seconds"}` |
| `POST /_emulator/bank_payments` | `{"tenant_id": T, "payments": [...]}`: payments made "in Xero" |
| `POST /_emulator/tokens/expire` | expire every access token now |
| `POST /_emulator/webhooks` | `{"url", "key", "tenant_id"?}`: send signed events there |
| `GET` / `DELETE /_emulator/webhooks` | receivers, queued events, delivery log / clear all |
| `POST /_emulator/webhooks/intent` | `{"url"?}`: intent-to-receive check, both statuses |
"""

import json
import urllib.error
import urllib.request

from . import payments as payment_rules
from . import schema
from .seed import SeedError, apply_seed, dump
from .webhooks import handle_control as webhook_control
from .wire import json_response, loads


def _error(message, errors=None, status=400):
    body = {"error": message}
    if errors:
        body["errors"] = errors
    return json_response(status, body)


def _info(emu, request):
    return {
        "url": request.base_url,
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        # The OAuth 2.0 app, and each organisation's custom connection (client credentials).
        "app": {
            "client_id": emu.identity.app[0],
            "client_secret": emu.identity.app[1],
            "max_organisations": emu.identity.app_max_organisations,
        },
        "custom_connections": {
            tenant: {"client_id": cid, "client_secret": secret}
            for tenant, (cid, secret) in emu.identity.custom_clients().items()
        },
        "tenants": [
            {"tenant_id": org.tenant_id, "name": org.name, "base_currency": org.base_currency}
            for org in emu.store.orgs.values()
        ],
        "virtual_clock": emu.clock.virtual,
        "now": emu.clock.now(),
        "schema": schema.status(emu.openapi_path),
    }


def _bank_payments(emu, body, base_url):
    with emu.store.lock:
        org = emu.store.org(body.get("tenant_id")) if body.get("tenant_id") else None
        if org is None and not body.get("tenant_id") and emu.store.orgs:
            org = next(iter(emu.store.orgs.values()))
        if org is None:
            return _error("unknown tenant_id %r" % body.get("tenant_id"), status=404)
        snapshot = org.snapshot()
        before = emu.webhooks.before(org)
        created, errors = [], []
        for index, raw in enumerate(body.get("payments") or []):
            record, problems, _echo = payment_rules.create_payment(org, raw, emu.clock.now(), True)
            errors.extend("payments[%d]: %s" % (index, p) for p in problems)
            if record:
                created.append(record)
        if errors:
            org.restore(snapshot)
            return _error("payments refused", errors)
        rendered = [payment_rules.render_payment(org, p) for p in created]
        emu.webhooks.after(org, before, base_url)
    return json_response(200, {"Payments": rendered})


def handle(emu, request):
    """Answer one control call."""
    route = "/".join(part.lower() for part in request.segments[1:])
    method = request.method
    try:
        body = loads(request.body) if request.body.strip() else {}
    except ValueError:
        return _error("the body must be JSON")
    if not isinstance(body, dict):
        return _error("the body must be a JSON object")
    try:
        if route == "" and method == "GET":
            return json_response(200, _info(emu, request))
        if route == "reset" and method == "POST":
            emu.reset(body.get("seed"))
            return json_response(200, {"tenants": emu.store.tenant_ids()})
        if route == "seed" and method == "POST":
            with emu.store.lock:
                tenants = apply_seed(emu.store, body, emu.clock.now())
            return json_response(200, {"tenants": tenants})
        if route == "state" and method == "GET":
            with emu.store.lock:
                return json_response(200, dump(emu.store, request.query.get("tenant_id")))
        if route == "requests":
            if method == "DELETE":
                emu.clear_log()
            return json_response(200, emu.requests())
        if route == "faults":
            if method == "POST":
                return json_response(200, emu.faults.add(body))
            if method == "DELETE":
                emu.faults.clear()
            return json_response(200, emu.faults.list())
        if route == "faults/seed" and method == "POST":
            emu.faults.seed(body.get("seed"))
            return json_response(200, {"seed": body.get("seed")})
        if route == "clock":
            if method == "POST" and "advance" in body:
                emu.clock.advance(float(body["advance"]))
            elif method == "POST" and "set" in body:
                emu.clock.set(float(body["set"]))
            return json_response(200, {"now": emu.clock.now(), "virtual": emu.clock.virtual})
        if route == "limits/advance" and method == "POST":
            ahead = emu.limiter.advance(str(body["tenant_id"]), float(body["seconds"]))
            return json_response(200, {"ahead": ahead})
        if route == "limits":
            if method == "POST":
                emu.limiter.configure(**body)
            return json_response(
                200, dict(vars(emu.limiter.limits), in_flight=emu.limiter.in_flight())
            )
        if route == "bank_payments" and method == "POST":
            return _bank_payments(emu, body, request.base_url)
        if route == "tokens/expire" and method == "POST":
            return json_response(200, {"expired": emu.identity.expire_all()})
        if route.startswith("webhooks"):
            response = webhook_control(emu.webhooks, route, method, body)
            if response is not None:
                return response
    except SeedError as exc:
        return _error("seed refused", exc.errors)
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return _error("no control call %s /_emulator/%s" % (method, route), status=404)


class EmulatorControlError(Exception):
    """A control call the emulator refused: `.status` and the decoded `.body`."""

    def __init__(self, status, body):
        super().__init__("emulator control call failed (%s): %s" % (status, body))
        self.status = status
        self.body = body


class EmulatorControl:
    """The control API over HTTP (urllib), for tests and scripts."""

    def __init__(self, url, timeout=10):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method, path, body=None):
        """One control call; the decoded JSON answer (EmulatorControlError on 4xx/5xx)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            "%s/_emulator/%s" % (self.url, path.lstrip("/")),
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = raw.decode("utf-8", "replace")
            raise EmulatorControlError(exc.code, decoded) from None

    def info(self):
        """URL, client id/secret, tenants, clock and schema status."""
        return self.call("GET", "")

    def reset(self, seed=None):
        """Back to the default organisation, or exactly `seed`; returns the tenant ids."""
        return self.call("POST", "reset", {"seed": seed} if seed is not None else {})["tenants"]

    def seed(self, seed):
        """Merge a SEED into the current state; returns the tenant ids."""
        return self.call("POST", "seed", seed)["tenants"]

    def state(self, tenant_id=None):
        """The whole state (SEED shape), or one tenant's."""
        return self.call("GET", "state" + ("?tenant_id=%s" % tenant_id if tenant_id else ""))

    def requests(self):
        """The request log: dicts with method, path, query, tenant, status, ..."""
        return self.call("GET", "requests")

    def clear_requests(self):
        """Empty the request log."""
        return self.call("DELETE", "requests")

    def add_fault(self, kind, count=None, fraction=None, **options):
        """Arm a fault for the next `count` matching calls, or a `fraction` of them.

        Kinds: `429` (options `retry_after`, `problem`), `500` (a keyed write's 500 is
        remembered under its key), `503`, `delay` (option `delay`, seconds), `drop_after_write`
        (apply, close the socket), `500_after_write` (apply, answer 500, remembered under the
        key; writes only), `idempotency_down` (a keyed PUT/POST answers 500 unprocessed,
        nothing remembered; other calls pass), `warning` (option `message`: added to every
        item of the next invoice, credit note or payment write answer). Options for all:
        `method`, `path` (prefix, default `/api.xro/2.0`). A kind that cannot apply to a call
        is not used up by it.
        """
        body = dict(options, kind=str(kind), count=count, fraction=fraction)
        return self.call("POST", "faults", body)

    def seed_faults(self, seed):
        """Start the draws of the `fraction` faults again from `seed` (reproducible storms)."""
        return self.call("POST", "faults/seed", {"seed": seed})

    def storm(
        self, rate_limited=0.30, unavailable=0.05, server_error=0.03, lost=0.05, retry_after=1
    ):
        """Arm a fault storm over every Accounting API call; returns the faults armed.

        Of the calls, `rate_limited` answer 429 (minute limit, `Retry-After: retry_after`),
        `unavailable` 503 (nothing done), `server_error` 500 (a write: done, then 500,
        remembered under its Idempotency-Key; a read: 500), and of the writes (PUT, POST)
        `lost` are done and their answer lost (the socket closed). The emulator tries the
        faults in that order, each on what the earlier ones left, so each fraction here is
        drawn on what is left: every kind takes its own share of the calls.
        """
        left, armed = 1.0, []

        def arm(kind, share, **options):
            armed.append(self.add_fault(kind, fraction=share / left, **options))

        arm("429", rate_limited, retry_after=retry_after, problem="minute")
        left -= rate_limited
        arm("503", unavailable)
        left -= unavailable
        arm("500", server_error, method="GET")
        arm("500_after_write", server_error)  # writes only
        left -= server_error
        for method in ("PUT", "POST"):
            arm("drop_after_write", lost, method=method)
        return armed

    def faults(self):
        """The faults still armed."""
        return self.call("GET", "faults")

    def clear_faults(self):
        """Disarm every fault."""
        return self.call("DELETE", "faults")

    def now(self):
        """The emulator's time (epoch seconds)."""
        return self.call("GET", "clock")["now"]

    def advance(self, seconds):
        """Move the emulator's clock forward; returns the new time."""
        return self.call("POST", "clock", {"advance": seconds})["now"]

    def set_clock(self, epoch):
        """Put the emulator's clock at `epoch`; returns the new time."""
        return self.call("POST", "clock", {"set": epoch})["now"]

    def limits(self, **values):
        """Read, or change (per_minute, per_day, concurrent, app_per_minute, minute_seconds),
        the limits."""
        return self.call("POST", "limits", values) if values else self.call("GET", "limits")

    def advance_limits(self, tenant_id, seconds):
        """Run one organisation's rate-limit windows ``seconds`` ahead (the others' stay)."""
        return self.call("POST", "limits/advance", {"tenant_id": tenant_id, "seconds": seconds})

    def bank_payments(self, payments, tenant_id=None):
        """Create payments as if entered in Xero (a bank feed); returns them as the API shows."""
        body = {"payments": payments}
        if tenant_id:
            body["tenant_id"] = tenant_id
        return self.call("POST", "bank_payments", body)["Payments"]

    def expire_tokens(self):
        """Expire every access token now; returns how many there were."""
        return self.call("POST", "tokens/expire", {})["expired"]

    def register_webhook(self, url, key, tenant_id=None):
        """Send signed webhook events to `url` (of `tenant_id` only, when given)."""
        body = {"url": url, "key": key}
        if tenant_id:
            body["tenant_id"] = tenant_id
        return self.call("POST", "webhooks", body)

    def webhooks(self):
        """`{"receivers", "pending", "deliveries"}`: who gets events, how many wait, what was
        sent (time, url, kind, events, firstEventSequence, lastEventSequence, status, error)."""
        return self.call("GET", "webhooks")

    def clear_webhooks(self):
        """Forget every receiver, the queued events and the delivery log."""
        return self.call("DELETE", "webhooks")

    def webhook_intent(self, url=None):
        """Xero's intent-to-receive check: `[{"url", "good", "bad"}]` HTTP statuses."""
        return self.call("POST", "webhooks/intent", {"url": url} if url else {})["results"]
