"""Webhooks: signed event notifications to registered receivers, sent as Xero sends them.

A receiver is registered with `POST /_emulator/webhooks {"url", "key", "tenant_id"?}` (without
`tenant_id` it gets the events of every organisation). When an Accounting API call or the
`bank_payments` control call creates or changes an invoice, a credit note or a contact (a
payment, refund or allocation applied to it included), one event per record joins a queue; the
events of a short window (`BATCH_SECONDS`) leave together, from a background thread, as one body
per receiver:

    {"events": [{"resourceUrl", "resourceId", "tenantId", "tenantType": "ORGANISATION",
                 "eventCategory": "INVOICE" | "CREDITNOTE" | "CONTACT",
                 "eventType": "CREATE" | "UPDATE", "eventDateUtc",
                 "data": {"Type", "Status"} (credit notes only)}],
     "firstEventSequence", "lastEventSequence", "entropy"}

signed in the `x-xero-signature` header: base64(HMAC-SHA256(key, raw body)). Every delivery and
its HTTP status is logged (`GET /_emulator/webhooks`). `POST /_emulator/webhooks/intent` sends
Xero's intent-to-receive check: a body without events, once correctly signed and once not, and
answers both statuses (Xero wants 200, then 401).

As with Xero, a receiver gets no events until it passes the intent-to-receive check (200 to the
correctly signed body, 401 to the other: developer.xero.com, configuring your server for
webhooks); events of that time are not kept for it. An answer later than 5 seconds is a failed
delivery (Xero's limit), logged with its time. Seeds never send events. Unlike Xero, a failed
delivery is not retried, and a receiver that keeps failing is not disabled.
"""

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

from .wire import json_response

BATCH_SECONDS = 1.0  # events of this window leave in one body
TIMEOUT = 5  # seconds a receiver may take to answer (Xero's limit): later is a failure
LOG_LIMIT = 1000  # deliveries kept in the log
WATCHED = (("invoices", "INVOICE"), ("credit_notes", "CREDITNOTE"), ("contacts", "CONTACT"))
ID_KEYS = {"INVOICE": "InvoiceID", "CREDITNOTE": "CreditNoteID", "CONTACT": "ContactID"}
PATHS = {"INVOICE": "Invoices", "CREDITNOTE": "CreditNotes", "CONTACT": "Contacts"}


def sign(key, body):
    """The `x-xero-signature` of a raw body: base64(HMAC-SHA256(key, body))."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _entropy():
    return "".join(secrets.choice(string.ascii_uppercase) for _i in range(20))


def _event_date(epoch):
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (moment.microsecond // 1000)


class Webhooks:
    """Receivers, the queue of events not sent yet, and the delivery log of one emulator."""

    def __init__(self, clock, batch_seconds=BATCH_SECONDS):
        self.clock = clock
        self.batch_seconds = batch_seconds
        self._lock = threading.Lock()
        self._receivers = []  # {"url", "key", "tenant_id", "sequence"}
        self._pending = []
        self._log = []
        self._timer = None

    # -- change detection (the caller holds the store lock) ------------------------------------

    def before(self, org):
        """What `after` compares with: the watched records of `org`, or None when nobody
        listens (then nothing is copied)."""
        if not self._receivers:
            return None
        return {attr: dict(getattr(org, attr)) for attr, _category in WATCHED}

    def after(self, org, before, base_url):
        """Queue one event per record created or replaced since `before` (records are never
        changed in place: see state.py)."""
        if before is None:
            return
        now = self.clock.now()
        events = []
        for attr, category in WATCHED:
            old = before[attr]
            for key, record in getattr(org, attr).items():
                if old.get(key) is record:
                    continue
                resource_id = record[ID_KEYS[category]]
                url = "%s/api.xro/2.0/%s/%s" % (base_url, PATHS[category], resource_id)
                event = {
                    "resourceUrl": url,
                    "resourceId": resource_id,
                    "tenantId": org.tenant_id,
                    "tenantType": "ORGANISATION",
                    "eventCategory": category,
                    "eventType": "UPDATE" if key in old else "CREATE",
                    "eventDateUtc": _event_date(now),
                }
                if category == "CREDITNOTE":  # required by Xero's webhooks spec (16.1.0)
                    event["data"] = {"Type": record["Type"], "Status": record["Status"]}
                events.append(event)
        if events:
            self._queue(events)

    # -- sending -------------------------------------------------------------------------------

    def _queue(self, events):
        with self._lock:
            self._pending.extend(events)
            if self._timer is None:
                self._timer = threading.Timer(self.batch_seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self):
        """Send the queued events now, one body per receiver (the timer's thread calls it)."""
        with self._lock:
            if self._timer is not None and self._timer is not threading.current_thread():
                self._timer.cancel()  # flushed by hand: the timer has nothing left to send
            events, self._pending, self._timer = self._pending, [], None
            receivers = list(self._receivers)
        for receiver in receivers:
            if not receiver["intent_ok"]:
                continue  # Xero sends nothing before intent to receive has passed
            mine = [
                e
                for e in events
                if not receiver["tenant_id"]
                or e["tenantId"].lower() == receiver["tenant_id"].lower()
            ]
            if not mine:
                continue
            with self._lock:
                first = receiver["sequence"] + 1
                receiver["sequence"] += len(mine)
            body = {
                "events": mine,
                "firstEventSequence": first,
                "lastEventSequence": first + len(mine) - 1,
                "entropy": _entropy(),
            }
            self._deliver(receiver, body, "events")

    def _deliver(self, receiver, body, kind, key=None):
        """POST one body to a receiver, signed with `key` (the receiver's by default); log it."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        request = urllib.request.Request(
            receiver["url"],
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "x-xero-signature": sign(key or receiver["key"], raw),
            },
        )
        status, error = None, None
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            error = str(exc)
        seconds = time.monotonic() - started
        if status is not None and seconds > TIMEOUT:
            status, error = None, "answered after %.1f s: Xero waits %d s" % (seconds, TIMEOUT)
        entry = {
            "time": self.clock.now(),
            "url": receiver["url"],
            "kind": kind,
            "events": len(body["events"]),
            "firstEventSequence": body["firstEventSequence"],
            "lastEventSequence": body["lastEventSequence"],
            "status": status,
            "error": error,
            "seconds": round(seconds, 3),
        }
        with self._lock:
            self._log.append(entry)
            del self._log[:-LOG_LIMIT]
        return status

    def intent(self, url=None):
        """Xero's intent-to-receive check of each receiver (or the one at `url`): a correctly
        signed body without events, then a wrongly signed one; both statuses per receiver."""
        with self._lock:
            receivers = [r for r in self._receivers if url in (None, r["url"])]
        results = []
        for receiver in receivers:
            body = {
                "events": [],
                "firstEventSequence": 0,
                "lastEventSequence": 0,
                "entropy": _entropy(),
            }
            good = self._deliver(receiver, body, "intent")
            bad = self._deliver(receiver, body, "intent_bad_signature", key=receiver["key"] + "x")
            with self._lock:
                receiver["intent_ok"] = good == 200 and bad == 401
            results.append(
                {"url": receiver["url"], "good": good, "bad": bad, "ok": receiver["intent_ok"]}
            )
        return results

    # -- registration --------------------------------------------------------------------------

    def register(self, url, key, tenant_id=None):
        """Add a receiver (or replace the one at the same URL)."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty string")
        with self._lock:
            self._receivers = [r for r in self._receivers if r["url"] != url]
            self._receivers.append(
                {
                    "url": url,
                    "key": key,
                    "tenant_id": tenant_id or None,
                    "sequence": 0,
                    "intent_ok": False,
                }
            )

    def receivers(self):
        """Copies of the receivers, keys included (what a state file keeps)."""
        with self._lock:
            return [dict(r) for r in self._receivers]

    def restore_receivers(self, receivers):
        """Receivers back from `receivers()` (queued events and the delivery log untouched)."""
        with self._lock:
            self._receivers = [dict(r) for r in receivers]

    def reset(self):
        """Forget every receiver, the queued events and the delivery log."""
        with self._lock:
            self._receivers, self._pending, self._log = [], [], []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def describe(self):
        """Receivers (without their keys), the number of queued events and the delivery log."""
        with self._lock:
            return {
                "receivers": [
                    {
                        "url": r["url"],
                        "tenant_id": r["tenant_id"],
                        "sequence": r["sequence"],
                        "intent_ok": r["intent_ok"],
                    }
                    for r in self._receivers
                ],
                "pending": len(self._pending),
                "deliveries": [dict(entry) for entry in self._log],
            }


def handle_control(webhooks, route, method, body):
    """`/_emulator/webhooks` (GET, POST, DELETE) and `/_emulator/webhooks/intent` (POST); None
    for any other call."""
    if route == "webhooks":
        if method == "POST":
            webhooks.register(body.get("url"), body.get("key"), body.get("tenant_id"))
        elif method == "DELETE":
            webhooks.reset()
        elif method != "GET":
            return None
        return json_response(200, webhooks.describe())
    if route == "webhooks/intent" and method == "POST":
        return json_response(200, {"results": webhooks.intent(body.get("url"))})
    return None
