"""Webhooks: signed, batched events to a registered receiver (a tiny HTTP server here)."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from xero_emulator.testing import allocate, allocation, make_credit_note, make_invoice

from xero_emulator import EmulatorControlError

KEY = "emulator-webhook-key"
OTHER_TENANT = "22222222-2222-4222-8222-222222222222"


class Receiver:
    """An HTTP endpoint that checks `x-xero-signature` as a Xero app must: 200 or 401."""

    def __init__(self, key=KEY, check=True, delay=0):
        self.key = key
        self.check = check
        self.delay = delay
        self.received = []  # (raw body, signature, answered status)
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signature = self.headers.get("x-xero-signature") or ""
                status = 200 if not receiver.check or receiver.valid(raw, signature) else 401
                time.sleep(receiver.delay)
                # Recorded before the answer: the emulator sends the next delivery only once it
                # has this answer, so `received` keeps the order of delivery.
                with receiver._cond:
                    receiver.received.append((raw, signature, status))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def valid(self, raw, signature):
        digest = hmac.new(self.key.encode(), raw, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature)

    def wait(self, count, timeout=5):
        """The bodies received, once there are `count` (decoded JSON)."""
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.received) >= count, timeout), (
                "%d of %d deliveries arrived" % (len(self.received), count)
            )
            return [json.loads(raw) for raw, _sig, _status in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(emu):
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture
def contact(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Hooked Ltd"}]}).contacts[0]


def bank_payment(invoice_id, amount):
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": "090"},
        "Date": "2026-03-10",
        "Amount": amount,
    }


def listen(control, receiver, tenant_id=None):
    """Register `receiver` and pass Xero's intent-to-receive check, as an app must before any
    event is sent to it; what the check delivered is forgotten by the receiver."""
    control.register_webhook(receiver.url, receiver.key, tenant_id=tenant_id)
    [result] = control.webhook_intent(receiver.url)
    assert result["ok"], result
    receiver.received.clear()


def deliveries(control, count, timeout=5):
    """The emulator's log of event deliveries (intent checks aside), once it holds `count`."""
    deadline = time.monotonic() + timeout
    while True:
        log = [d for d in control.webhooks()["deliveries"] if d["kind"] == "events"]
        if len(log) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


def by_id(body):
    return {(e["eventCategory"], e["resourceId"]): e["eventType"] for e in body["events"]}


def test_bank_payments_send_one_signed_body_per_window(
    emu, control, xero, tenant, contact, receiver
):
    first = make_invoice(xero, tenant, contact)
    second = make_invoice(xero, tenant, contact)
    listen(control, receiver)
    assert control.webhooks()["receivers"] == [
        {"url": receiver.url, "tenant_id": None, "sequence": 0, "intent_ok": True}
    ], "the key is never shown"
    started = time.monotonic()
    answer = control.bank_payments([bank_payment(first.invoice_id, 40)])
    assert answer[0]["Amount"] == 40.0, "the control call answers at once"
    control.bank_payments([bank_payment(second.invoice_id, 115)])
    [body] = receiver.wait(1)
    assert time.monotonic() - started < 5
    assert receiver.received[0][2] == 200, "signed with the registered key"
    assert by_id(body) == {
        ("INVOICE", first.invoice_id): "UPDATE",
        ("INVOICE", second.invoice_id): "UPDATE",
    }, "the payments of one window in one body; payments themselves send no event"
    assert (body["firstEventSequence"], body["lastEventSequence"]) == (1, 2)
    assert len(body["entropy"]) == 20
    event = body["events"][0]
    assert event["tenantId"] == tenant and event["tenantType"] == "ORGANISATION"
    assert event["resourceUrl"] == "%s/api.xro/2.0/Invoices/%s" % (emu.url, event["resourceId"])
    assert len(event["eventDateUtc"]) == len("2026-03-10T10:00:00.000")
    assert [(d["kind"], d["events"], d["status"]) for d in deliveries(control, 1)] == [
        ("events", 2, 200)
    ]
    assert control.webhooks()["pending"] == 0
    # The next body goes on with the sequence.
    control.bank_payments([bank_payment(first.invoice_id, 10)])
    body = receiver.wait(2)[1]
    assert (body["firstEventSequence"], body["lastEventSequence"]) == (3, 3)


def test_api_writes_send_create_and_update_events(emu, control, xero, tenant, contact, receiver):
    listen(control, receiver, tenant_id=tenant)
    invoice = make_invoice(xero, tenant, contact)
    note = make_credit_note(xero, tenant, contact)
    body = receiver.wait(1)[0]
    required = {"resourceUrl", "resourceId", "eventDateUtc", "eventType", "eventCategory"}
    required |= {"tenantId", "tenantType"}  # Xero's webhooks spec, 16.1.0
    assert all(required <= set(event) for event in body["events"])
    [note_event] = [e for e in body["events"] if e["eventCategory"] == "CREDITNOTE"]
    assert note_event["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    events = by_id(body)
    assert events[("INVOICE", invoice.invoice_id)] == "CREATE"
    assert events[("CREDITNOTE", note.credit_note_id)] == "CREATE"
    assert events[("CONTACT", contact.contact_id)] == "UPDATE", "a customer since the invoice"
    allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 23))
    assert by_id(receiver.wait(2)[1]) == {
        ("INVOICE", invoice.invoice_id): "UPDATE",
        ("CREDITNOTE", note.credit_note_id): "UPDATE",
    }


def test_no_event_without_a_change_or_for_another_tenant(
    emu, control, xero, tenant, contact, receiver
):
    invoice = make_invoice(xero, tenant, contact)
    other = Receiver()
    try:
        listen(control, receiver)
        listen(control, other, tenant_id=OTHER_TENANT)
        xero.get_invoices(tenant)
        with pytest.raises(EmulatorControlError):  # refused: more than the amount due
            control.bank_payments([bank_payment(invoice.invoice_id, 1000)])
        control.seed({"organisations": [{"tenant_id": tenant, "contacts": [{"Name": "Seeded"}]}]})
        emu.emulator.webhooks.flush()  # what the timer would send now
        assert deliveries(control, 0) == [] and not receiver.received
        control.bank_payments([bank_payment(invoice.invoice_id, 15)])
        emu.emulator.webhooks.flush()
        assert len(receiver.wait(1)) == 1
        assert not other.received, "events of its own organisation only"
    finally:
        other.close()


def test_intent_to_receive_reports_both_statuses(control, receiver):
    lax = Receiver(check=False)
    try:
        control.register_webhook(receiver.url, KEY)
        control.register_webhook(lax.url, KEY)
        results = control.webhook_intent()
        assert results == [
            {"url": receiver.url, "good": 200, "bad": 401, "ok": True},
            {"url": lax.url, "good": 200, "bad": 200, "ok": False},
        ], "a receiver that takes a bad signature shows it, and fails"
        bodies = receiver.wait(2)
        assert bodies[0] == bodies[1] and bodies[0]["events"] == []
        assert [r[2] for r in receiver.received] == [200, 401]
        assert control.webhook_intent(lax.url) == [
            {"url": lax.url, "good": 200, "bad": 200, "ok": False}
        ]
        kinds = [(d["kind"], d["status"]) for d in control.webhooks()["deliveries"]][:2]
        assert kinds == [("intent", 200), ("intent_bad_signature", 401)]
    finally:
        lax.close()


def test_registration_checked_and_cleared(emu, control, receiver):
    for body in ({"url": "ftp://x", "key": KEY}, {"url": receiver.url, "key": ""}):
        with pytest.raises(EmulatorControlError) as exc:
            control.call("POST", "webhooks", body)
        assert exc.value.status == 400
    control.register_webhook(receiver.url, KEY)
    control.register_webhook(receiver.url, "another key")  # the same URL: replaced
    assert len(control.webhooks()["receivers"]) == 1
    assert control.clear_webhooks() == {"receivers": [], "pending": 0, "deliveries": []}
    control.register_webhook(receiver.url, KEY)
    control.reset()
    assert control.webhooks()["receivers"] == []
    unreachable = "http://127.0.0.1:9/hook"
    control.register_webhook(unreachable, KEY)
    [result] = control.webhook_intent()
    assert result == {"url": unreachable, "good": None, "bad": None, "ok": False}
    assert control.webhooks()["deliveries"][0]["error"]


def test_no_event_before_intent_to_receive_has_passed(emu, control, xero, tenant, contact):
    """Xero sends no events until intent to receive has passed: not to a receiver that never
    took the check, nor to one that answers 200 to a wrongly signed body."""
    silent, lax = Receiver(), Receiver(check=False)
    try:
        control.register_webhook(silent.url, KEY)
        control.register_webhook(lax.url, KEY)
        assert [r["ok"] for r in control.webhook_intent(lax.url)] == [False]
        lax.received.clear()
        make_invoice(xero, tenant, contact)
        emu.emulator.webhooks.flush()
        assert deliveries(control, 0, timeout=0) == []
        assert not silent.received and not lax.received
        listen(control, silent)
        make_invoice(xero, tenant, contact)
        emu.emulator.webhooks.flush()
        assert len(silent.wait(1)) == 1 and not lax.received
    finally:
        silent.close()
        lax.close()


def test_an_answer_later_than_xero_waits_is_a_failed_delivery(
    emu, control, xero, tenant, contact, monkeypatch
):
    """Xero waits 5 seconds for an answer (here 0.3 s, the emulator's limit made short): a
    later 200 is a failed delivery, logged with its time."""
    from xero_emulator import webhooks

    slow = Receiver()
    try:
        listen(control, slow)
        slow.delay = 0.6
        monkeypatch.setattr(webhooks, "TIMEOUT", 0.3)
        make_invoice(xero, tenant, contact)
        emu.emulator.webhooks.flush()
        [delivery] = deliveries(control, 1)
        assert delivery["status"] is None and delivery["error"], delivery
        assert delivery["seconds"] >= 0.3
    finally:
        slow.close()
