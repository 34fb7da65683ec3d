"""Rate limits, injected faults and the idempotency cache."""

import hashlib
import math
import random
import threading
from dataclasses import dataclass

FAULT_KINDS = (
    "429",
    "500",
    "503",
    "delay",
    "drop_after_write",
    "500_after_write",
    "idempotency_down",
    "warning",
)
DEFAULT_FAULT_PATH = "/api.xro/2.0"
DEFAULT_WARNING = "This is a warning injected by the emulator."
WRITES = ("PUT", "POST")
#: Resources whose items carry `Warnings` in xero-python (Contact and Allocation have none).
WARNED = ("invoices", "creditnotes", "payments")


def _eligible(fault, method, path, keyed):
    """Whether a fault of this kind can apply to this call at all (else it is not used up).

    `idempotency_down` takes only writes with an Idempotency-Key, `500_after_write` only
    writes, `warning` only writes of invoices, credit notes and payments.
    """
    kind = fault["kind"]
    if kind == "idempotency_down":
        return keyed
    if kind == "500_after_write":
        return method in WRITES
    if kind == "warning":
        parts = [p.lower() for p in path.strip("/").split("/")]
        return (
            method in WRITES
            and len(parts) in (3, 4)
            and parts[:2] == ["api.xro", "2.0"]
            and parts[2] in WARNED
        )
    return True


@dataclass
class Limits:
    """Per-tenant and app-wide limits (Xero's defaults)."""

    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10000
    #: How long Xero's minute lasts, in seconds of the emulator's clock: shorter for a
    #: measure on an accelerated clock, whose client's throttle counts the same minute.
    minute_seconds: float = 60.0


class _Window:
    """A fixed window: it opens with the first call and lasts `length` seconds."""

    def __init__(self, length):
        self.length = length
        self.start = None
        self.count = 0

    def roll(self, now):
        if self.start is None or now >= self.start + self.length:
            self.start, self.count = now, 0

    def retry_after(self, now):
        return max(1, math.ceil(self.start + self.length - now))


class RateLimiter:
    """Xero's limits: minute and day windows and calls in flight per tenant, app minute."""

    def __init__(self, clock, limits):
        self.clock = clock
        self.defaults = limits
        self.limits = Limits(**vars(limits))
        self._lock = threading.Lock()
        self._tenants = {}
        self._app = _Window(self.limits.minute_seconds)
        self._ahead = {}  # tenant -> seconds its windows run ahead of the clock

    def reset(self):
        """Forget every counter and go back to the configured limits."""
        with self._lock:
            self.limits = Limits(**vars(self.defaults))
            self._tenants = {}
            self._app = _Window(self.limits.minute_seconds)
            self._ahead = {}

    def advance(self, tenant_id, seconds):
        """Run one tenant's windows ``seconds`` ahead (as if that much time had passed for
        it alone): a client that skips its waits on an accelerated clock of its own moves
        its organisation's windows as much, and the other organisations' are left alone."""
        with self._lock:
            self._ahead[tenant_id] = self._ahead.get(tenant_id, 0.0) + float(seconds)
            return self._ahead[tenant_id]

    def _now(self, tenant_id):
        return self.clock.now() + self._ahead.get(tenant_id, 0.0)

    def configure(self, **values):
        """Change limits (`per_minute`, `per_day`, `concurrent`, `app_per_minute`,
        `minute_seconds`); a new minute's length applies to the windows open as well."""
        with self._lock:
            for key, value in values.items():
                if not hasattr(self.limits, key):
                    raise ValueError("unknown limit %r" % key)
                kind = float if key == "minute_seconds" else int
                setattr(self.limits, key, kind(value))
            minute = self.limits.minute_seconds
            for window in [self._app] + [state["minute"] for state in self._tenants.values()]:
                window.length = minute
            return vars(self.limits)

    def _tenant(self, tenant_id):
        state = self._tenants.get(tenant_id)
        if state is None:
            state = self._tenants[tenant_id] = {
                "minute": _Window(self.limits.minute_seconds),
                "day": _Window(86400),
                "flight": 0,
            }
        return state

    def acquire(self, tenant_id):
        """Count a call; returns (None, None) or the refused call's (problem, retry_after).

        A counted call is in flight until `release(tenant_id)`.
        """
        now = self._now(tenant_id)
        with self._lock:
            state = self._tenant(tenant_id)
            minute, day = state["minute"], state["day"]
            for window in (minute, day, self._app):
                window.roll(now)
            if day.count >= self.limits.per_day:
                return "day", day.retry_after(now)
            if self._app.count >= self.limits.app_per_minute:
                return "appminute", self._app.retry_after(now)
            if minute.count >= self.limits.per_minute:
                return "minute", minute.retry_after(now)
            if state["flight"] >= self.limits.concurrent:
                return "concurrent", None
            minute.count += 1
            day.count += 1
            self._app.count += 1
            state["flight"] += 1
            return None, None

    def release(self, tenant_id):
        """A counted call has been answered."""
        with self._lock:
            state = self._tenant(tenant_id)
            state["flight"] = max(0, state["flight"] - 1)

    def in_flight(self):
        """Calls being answered now, per tenant."""
        with self._lock:
            return {tenant: state["flight"] for tenant, state in self._tenants.items()}

    def headers(self, tenant_id=None):
        """`X-MinLimit-Remaining`, `X-DayLimit-Remaining`, `X-AppMinLimit-Remaining`."""
        now = self._now(tenant_id)
        with self._lock:
            self._app.roll(now)
            headers = {
                "X-AppMinLimit-Remaining": str(max(0, self.limits.app_per_minute - self._app.count))
            }
            if tenant_id:
                state = self._tenant(tenant_id)
                state["minute"].roll(now)
                state["day"].roll(now)
                minute_left = self.limits.per_minute - state["minute"].count
                day_left = self.limits.per_day - state["day"].count
                headers["X-MinLimit-Remaining"] = str(max(0, minute_left))
                headers["X-DayLimit-Remaining"] = str(max(0, day_left))
            return headers


class Faults:
    """Faults to inject: for the next N matching calls, or a fraction of them."""

    def __init__(self, seed=None):
        self._lock = threading.Lock()
        self._faults = []
        self._random = random.Random(seed)

    def add(self, spec):
        """Register a fault from its control-API dict; returns the normalised fault."""
        kind = str(spec.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(FAULT_KINDS))
        if spec.get("count") is None and spec.get("fraction") is None:
            raise ValueError("give count or fraction")
        fault = {
            "kind": kind,
            "count": None if spec.get("count") is None else int(spec["count"]),
            "fraction": None if spec.get("fraction") is None else float(spec["fraction"]),
            "method": (spec.get("method") or "").upper() or None,
            "path": spec.get("path") or DEFAULT_FAULT_PATH,
            "retry_after": int(spec.get("retry_after", 60)),
            "problem": spec.get("problem") or "minute",
            "delay": float(spec.get("delay", 5)),
        }
        if kind == "warning":
            fault["message"] = str(spec.get("message") or DEFAULT_WARNING)
        if fault["problem"] not in ("minute", "day", "concurrent", "appminute"):
            raise ValueError("problem must be minute, day, concurrent or appminute")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        """Remove every fault."""
        with self._lock:
            self._faults = []

    def seed(self, value):
        """Start the draws of the `fraction` faults again from `value`: the same calls in the
        same order then meet the same faults."""
        with self._lock:
            self._random = random.Random(value)

    def list(self):
        """The faults still armed."""
        with self._lock:
            return [dict(f) for f in self._faults if f["count"] is None or f["count"] > 0]

    def pick(self, method, path, keyed=False):
        """The fault that applies to this call (using up one of its count), or None.

        `keyed`: the call is a PUT or POST with an Idempotency-Key.
        """
        with self._lock:
            for fault in self._faults:
                if fault["method"] and fault["method"] != method:
                    continue
                if not path.lower().startswith(fault["path"].lower()):
                    continue
                if not _eligible(fault, method, path, keyed):
                    continue
                if fault["count"] is not None:
                    if fault["count"] <= 0:
                        continue
                    fault["count"] -= 1
                    return dict(fault)
                if self._random.random() < fault["fraction"]:
                    return dict(fault)
            self._faults = [f for f in self._faults if f["count"] is None or f["count"] > 0]
            return None


class IdempotencyCache:
    """`Idempotency-Key` memory: the first answer to a request, for `window` seconds.

    As Xero keeps it: every answer, server errors (5xx) included, so a retry with the same key
    gets the same 500 back until the key expires.
    """

    def __init__(self, clock, window=360.0):
        self.clock = clock
        self.window = window
        self._lock = threading.Lock()
        self._entries = {}

    @staticmethod
    def fingerprint(method, path, query, body):
        """What makes two requests the same: method, path, query and body."""
        digest = hashlib.sha256(body or b"").hexdigest()
        return "%s %s?%s %s" % (method, path.lower(), query, digest)

    def begin(self, tenant_id, key, fingerprint):
        """('new', None), ('replay', response), ('conflict', None) or ('busy', event)."""
        now = self.clock.now()
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v["expires"] > now}
            entry = self._entries.get((tenant_id, key))
            if entry is None:
                self._entries[(tenant_id, key)] = {
                    "fingerprint": fingerprint,
                    "expires": now + self.window,
                    "response": None,
                    "done": threading.Event(),
                }
                return "new", None
            if entry["fingerprint"] != fingerprint:
                return "conflict", None
            if entry["response"] is None:
                return "busy", entry["done"]
            return "replay", entry["response"]

    def finish(self, tenant_id, key, response):
        """Remember the answer (None forgets the key: the call never got an answer)."""
        with self._lock:
            entry = self._entries.get((tenant_id, key))
            if entry is None:
                return
            if response is None:
                del self._entries[(tenant_id, key)]
            else:
                entry["response"] = response
            entry["done"].set()

    def lookup(self, tenant_id, key):
        """The stored answer for a key once finished, else None."""
        with self._lock:
            entry = self._entries.get((tenant_id, key))
            return entry["response"] if entry else None

    def clear(self):
        """Forget every key."""
        with self._lock:
            self._entries = {}
