"""Rate limits, injected faults and Idempotency-Key through the real xero-python SDK."""

import threading
import time

import pytest
import urllib3
from xero_emulator.testing import SdkSession
from xero_python.exceptions import ApiException, RateLimitException
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException


def payment_body(invoice_id, amount):
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": "090"},
        "Date": "2026-03-02",
        "Amount": amount,
    }


@pytest.fixture
def invoice(xero, tenant):
    contact = xero.create_contacts(tenant, {"Contacts": [{"Name": "Limits Ltd"}]}).contacts[0]
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact.contact_id},
        "Status": "AUTHORISED",
        "DueDate": "2026-03-31",
        "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}],
    }
    return xero.create_invoices(tenant, {"Invoices": [body]}).invoices[0]


def test_rate_headers_on_every_answer(sdk, xero, tenant):
    xero.get_contacts(tenant)
    first = sdk.last_headers
    xero.get_contacts(tenant)
    second = sdk.last_headers
    assert int(second["X-MinLimit-Remaining"]) == int(first["X-MinLimit-Remaining"]) - 1
    assert int(second["X-DayLimit-Remaining"]) == int(first["X-DayLimit-Remaining"]) - 1
    assert int(second["X-AppMinLimit-Remaining"]) < 10000
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_contacts(tenant, {"Contacts": [{"EmailAddress": "no name"}]})
    assert refused.value.headers["X-MinLimit-Remaining"] == str(
        int(second["X-MinLimit-Remaining"]) - 1
    )
    status, headers, _body = sdk.raw("GET", "/api.xro/2.0/Nothing", tenant=tenant)
    assert status == 404 and "X-DayLimit-Remaining" in headers


def test_minute_limit_then_window_rolls(xero, tenant, control):
    control.limits(per_minute=3)
    for _ in range(3):
        xero.get_contacts(tenant)
    with pytest.raises(RateLimitException) as limited:
        xero.get_contacts(tenant)
    assert limited.value.rate_limit == "minute"
    assert 1 <= int(limited.value.headers["Retry-After"]) <= 60
    assert limited.value.headers["X-MinLimit-Remaining"] == "0"
    control.advance(60)
    assert xero.get_contacts(tenant).contacts == []


def test_a_shorter_minute_for_an_accelerated_clock(xero, tenant, control):
    """``minute_seconds``: Xero's minute lasts that long (a measure on an accelerated clock):
    the window rolls then, not after 60 s, and Retry-After says so."""
    control.limits(per_minute=2, minute_seconds=10)
    for _ in range(2):
        xero.get_contacts(tenant)
    with pytest.raises(RateLimitException) as limited:
        xero.get_contacts(tenant)
    assert 1 <= int(limited.value.headers["Retry-After"]) <= 10
    control.advance(10)
    assert xero.get_contacts(tenant).contacts == []
    assert control.limits()["minute_seconds"] == 10


def test_one_organisations_windows_run_ahead_alone(emu, xero, tenant, control):
    """A client skipping its waits on a clock of its own moves only its organisation's
    windows: another organisation at its limit stays there."""
    tenants = control.seed({"organisations": [{"name": "Other"}]})
    other = next(t for t in tenants if t.lower() != tenant.lower())
    # The other organisation's own custom connection (one organisation each).
    theirs = SdkSession(emu.url, *emu.custom_client(other))
    theirs.client_credentials()
    control.limits(per_minute=2)
    for org, api in ((tenant, xero), (other, theirs.accounting)):
        for _ in range(2):
            api.get_contacts(org)
    control.advance_limits(tenant, 60)
    assert xero.get_contacts(tenant).contacts == []
    with pytest.raises(RateLimitException) as limited:
        theirs.accounting.get_contacts(other)
    assert limited.value.rate_limit == "minute"


def test_day_limit(sdk, xero, tenant, control):
    control.limits(per_day=2)
    xero.get_contacts(tenant)
    xero.get_contacts(tenant)
    with pytest.raises(RateLimitException) as limited:
        xero.get_contacts(tenant)
    assert limited.value.rate_limit == "day"
    assert int(limited.value.headers["Retry-After"]) > 3600
    assert limited.value.headers["X-DayLimit-Remaining"] == "0"
    control.advance(86400)
    sdk.client_credentials()  # the access token expired meanwhile
    assert xero.get_contacts(tenant).contacts == []


def test_sixth_concurrent_call_is_refused(xero, tenant, control):
    control.add_fault("delay", count=5, method="GET", delay=1.5)
    errors = []

    def slow_call():
        try:
            xero.get_contacts(tenant)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=slow_call) for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while control.limits()["in_flight"].get(tenant, 0) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(RateLimitException) as limited:
        xero.get_contacts(tenant)
    assert limited.value.rate_limit == "concurrent"
    for thread in threads:
        thread.join()
    assert errors == []
    assert xero.get_contacts(tenant).contacts == []


def test_faults_429_500_503_for_next_calls(xero, tenant, control):
    control.add_fault("429", count=1, retry_after=7, problem="minute")
    with pytest.raises(RateLimitException) as limited:
        xero.get_contacts(tenant)
    assert limited.value.headers["Retry-After"] == "7" and limited.value.rate_limit == "minute"
    control.add_fault("500", count=1, path="/api.xro/2.0/Invoices")
    xero.get_contacts(tenant)  # another path: untouched
    with pytest.raises(ApiException) as failed:
        xero.get_invoices(tenant)
    assert failed.value.status == 500
    control.add_fault("503", fraction=1.0, method="PUT")
    with pytest.raises(ApiException) as down:
        xero.create_contacts(tenant, {"Contacts": [{"Name": "Down"}]})
    assert down.value.status == 503
    xero.get_contacts(tenant)  # GETs pass
    control.clear_faults()
    assert xero.create_contacts(tenant, {"Contacts": [{"Name": "Up"}]}).contacts[0].name == "Up"
    faults = [r["fault"] for r in control.requests() if r["fault"]]
    assert faults == ["429", "500", "503"]


def test_delay_past_client_timeout(xero, tenant, control, invoice):
    control.add_fault("delay", count=1, method="PUT", delay=1.5)
    with pytest.raises(urllib3.exceptions.HTTPError):
        xero.create_payments(
            tenant, {"Payments": [payment_body(invoice.invoice_id, 10)]}, _request_timeout=1
        )
    time.sleep(0.8)  # the emulator finishes the call the client gave up on
    assert len(xero.get_payments(tenant).payments) == 1


def test_drop_after_write_and_idempotent_retry(xero, tenant, control, invoice):
    control.add_fault("drop_after_write", count=1, method="PUT", path="/api.xro/2.0/Payments")
    body = {"Payments": [payment_body(invoice.invoice_id, 30)]}
    with pytest.raises(urllib3.exceptions.HTTPError):
        xero.create_payments(tenant, body, idempotency_key="pay-1")
    assert len(xero.get_payments(tenant).payments) == 1, "the write happened"
    replay = xero.create_payments(tenant, body, idempotency_key="pay-1").payments
    assert len(xero.get_payments(tenant).payments) == 1, "a retry with the key creates nothing"
    assert replay[0].payment_id == xero.get_payments(tenant).payments[0].payment_id
    xero.create_payments(tenant, body)  # a naive retry without the key duplicates
    assert xero.get_invoice(tenant, invoice.invoice_id).invoices[0].amount_paid == 60
    log = [
        r
        for r in control.requests()
        if r["path"] == "/api.xro/2.0/Payments" and r["method"] == "PUT"
    ]
    assert [(r["dropped"], r["replayed"], r["idempotency_key"], r["items"]) for r in log] == [
        (True, False, "pay-1", 1),
        (False, True, "pay-1", 1),
        (False, False, None, 1),
    ]


def test_idempotency_key_replay_conflict_and_window(xero, tenant, control, invoice):
    body = {"Payments": [payment_body(invoice.invoice_id, 10)]}
    first = xero.create_payments(tenant, body, idempotency_key="k-1").payments[0]
    again = xero.create_payments(tenant, body, idempotency_key="k-1").payments[0]
    assert again.payment_id == first.payment_id
    assert len(xero.get_payments(tenant).payments) == 1
    with pytest.raises(AccountingBadRequestException) as conflict:
        xero.create_payments(
            tenant, {"Payments": [payment_body(invoice.invoice_id, 11)]}, idempotency_key="k-1"
        )
    assert conflict.value.status == 400
    assert "different request" in conflict.value.error_data["Message"]
    control.advance(361)
    later = xero.create_payments(tenant, body, idempotency_key="k-1").payments[0]
    assert later.payment_id != first.payment_id, "past the window the key is forgotten"
    refused = {"Payments": [payment_body(invoice.invoice_id, 1000)]}
    for _ in range(2):  # a refused write replays its refusal
        with pytest.raises(AccountingBadRequestException):
            xero.create_payments(tenant, refused, idempotency_key="k-2")
    assert len(xero.get_payments(tenant).payments) == 2


def _storm_calls(sdk, tenant, control, seed, calls):
    """`calls` reads and `calls` keyed contact writes under a seeded fault storm: the faults
    met, in order, and the answers' statuses by fault."""
    control.clear_faults()
    control.clear_requests()
    control.seed_faults(seed)
    control.storm(retry_after=1)
    lost = 0
    for n in range(calls):
        sdk.raw("GET", "/api.xro/2.0/Contacts", tenant=tenant)
        body = {"Contacts": [{"Name": "Storm %s %05d" % (seed, n)}]}
        try:
            sdk.raw("PUT", "/api.xro/2.0/Contacts", body, tenant, {"Idempotency-Key": "s%d" % n})
        except OSError:  # the answer was lost (the socket closed)
            lost += 1
    return control.requests(), lost


def test_fault_storm_each_kind_its_share_seeded(sdk, tenant, control):
    """`storm()`: 30% 429 (Retry-After 1), 5% 503, 3% 500 (a write done first, then 500
    remembered under its key), 5% of writes done with their answer lost, each its own share;
    the same seed gives the same storm."""
    control.limits(per_minute=100000, per_day=100000, app_per_minute=100000)
    calls = 1000
    log, lost = _storm_calls(sdk, tenant, control, 7, calls)
    reads = [r["fault"] for r in log if r["method"] == "GET"]
    writes = [r["fault"] for r in log if r["method"] == "PUT"]
    assert len(reads) == len(writes) == calls

    def share(faults, kind):
        return faults.count(kind) / len(faults)

    for faults in (reads, writes):
        assert 0.26 < share(faults, "429") < 0.34
        assert 0.03 < share(faults, "503") < 0.07
    assert 0.015 < share(reads, "500") < 0.045 and share(reads, "500_after_write") == 0
    assert 0.015 < share(writes, "500_after_write") < 0.045 and share(writes, "500") == 0
    assert 0.03 < share(writes, "drop_after_write") < 0.07 and "drop_after_write" not in reads
    assert lost == writes.count("drop_after_write")
    assert {r["status"] for r in log if r["fault"] == "429"} == {429}
    done = [r for r in log if r["method"] == "PUT" and r["fault"] in ("500_after_write", None)]
    assert {r["status"] for r in done if r["fault"]} == {500}
    names = {c["Name"] for c in control.state(tenant)["organisations"][0]["contacts"]}
    # Done: the writes answered 200, those answered 500 after writing, those whose answer
    # was lost; not done: 429 and 503.
    applied = len(done) + lost
    assert len([n for n in names if n.startswith("Storm 7 ")]) == applied
    key = next(r["idempotency_key"] for r in done if r["fault"] == "500_after_write")
    n = int(key[1:])
    body = {"Contacts": [{"Name": "Storm 7 %05d" % n}]}
    control.clear_faults()
    status, _headers, _body = sdk.raw(
        "PUT", "/api.xro/2.0/Contacts", body, tenant, {"Idempotency-Key": key}
    )
    assert status == 500, "the 500 is remembered under its key"
    again, _lost = _storm_calls(sdk, tenant, control, 7, 50)
    assert [r["fault"] for r in again] == [r["fault"] for r in log[: len(again)]]
