"""Idempotency-Key as Xero keeps it (XERO_NOTES.md, "Where Xero is stricter"): every answer,
server errors included, for the key's lifetime; 429 before the key; a store that is down
answers 500 and remembers nothing."""

import pytest
from xero_python.exceptions import ApiException, RateLimitException

CONTACTS = "/api.xro/2.0/Contacts"


def put(xero, tenant, name, key=None):
    options = {"idempotency_key": key} if key else {}
    return xero.create_contacts(tenant, {"Contacts": [{"Name": name}]}, **options).contacts[0]


def status_of(call):
    with pytest.raises(ApiException) as failed:
        call()
    return failed.value.status


def names(xero, tenant):
    return sorted(c.name for c in xero.get_contacts(tenant).contacts)


def keyed_log(control, key):
    return [
        (r["status"], r["replayed"], r["fault"])
        for r in control.requests()
        if r["idempotency_key"] == key
    ]


def test_a_server_error_is_remembered_under_its_key(emu, xero, tenant, control, monkeypatch):
    accounting = emu.emulator.accounting

    def broken(org, request):
        raise RuntimeError("an emulator bug")

    monkeypatch.setattr(accounting, "handle", broken)
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    monkeypatch.undo()
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500, "replayed"
    assert names(xero, tenant) == []
    assert put(xero, tenant, "Acme", key="k-2").name == "Acme", "a new key goes through"
    assert keyed_log(control, "k-1") == [(500, False, None), (500, True, None)]


def test_the_key_outlives_a_server_error_until_it_expires(emu, xero, tenant, control, monkeypatch):
    monkeypatch.setattr(emu.emulator.accounting, "handle", lambda org, request: 1 / 0)
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    monkeypatch.undo()
    control.advance(359)
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    control.advance(2)  # 361 s: the key is forgotten
    assert put(xero, tenant, "Acme", key="k-1").name == "Acme"


def test_injected_500_on_a_keyed_write_is_remembered(xero, tenant, control):
    control.add_fault("500", count=1, method="PUT", path=CONTACTS)
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    assert control.faults() == [], "the fault is used up"
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500, "the key replays it"
    assert names(xero, tenant) == []
    assert put(xero, tenant, "Acme", key="k-2").name == "Acme"
    assert keyed_log(control, "k-1") == [(500, False, "500"), (500, True, None)]
    control.add_fault("500", count=1, method="PUT", path=CONTACTS)
    assert status_of(lambda: put(xero, tenant, "Beta")) == 500
    assert put(xero, tenant, "Beta").name == "Beta", "without a key nothing is remembered"


def test_idempotency_store_down(xero, tenant, control):
    control.add_fault("idempotency_down", count=2)
    assert xero.get_contacts(tenant).contacts == [], "reads are not affected"
    assert put(xero, tenant, "Unkeyed").name == "Unkeyed", "nor writes without a key"
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    assert names(xero, tenant) == ["Unkeyed"], "not processed"
    assert control.faults() == []
    assert put(xero, tenant, "Acme", key="k-1").name == "Acme", "nothing was remembered"
    assert keyed_log(control, "k-1") == [
        (500, False, "idempotency_down"),
        (500, False, "idempotency_down"),
        (200, False, None),
    ]


def test_500_after_write_is_remembered_so_only_a_read_shows_the_write(xero, tenant, control):
    fault = control.add_fault("500_after_write", count=1, method="PUT", path=CONTACTS)
    assert fault["kind"] == "500_after_write"
    xero.get_contacts(tenant)  # a read does not use the fault up
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500
    assert names(xero, tenant) == ["Acme"], "the write happened"
    assert status_of(lambda: put(xero, tenant, "Acme", key="k-1")) == 500, "replayed"
    assert names(xero, tenant) == ["Acme"]
    assert keyed_log(control, "k-1") == [(500, False, "500_after_write"), (500, True, None)]


def test_rate_limit_is_checked_before_the_key(xero, tenant, control):
    control.limits(per_minute=1)
    xero.get_contacts(tenant)
    with pytest.raises(RateLimitException):
        put(xero, tenant, "Acme", key="k-1")
    control.advance(60)
    assert put(xero, tenant, "Acme", key="k-1").name == "Acme", "a 429 is not remembered"


def test_new_fault_kinds_are_listed_and_validated(control):
    control.add_fault("warning", count=1)
    control.add_fault("warning", count=1, message="Careful.")
    control.add_fault("idempotency_down", fraction=0.5)
    listed = control.faults()
    assert [f["kind"] for f in listed] == ["warning", "warning", "idempotency_down"]
    assert [f.get("message") for f in listed] == [
        "This is a warning injected by the emulator.",
        "Careful.",
        None,
    ]
