"""The control API (seeds, state, request log, clock), start-up options and the CLI."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from xero_emulator.testing import SdkSession
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

from xero_emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_TENANT_ID,
    EmulatorControlError,
    EmulatorServer,
)

ROOT = Path(__file__).resolve().parents[1]  # the package's project folder
TENANT = "33333333-3333-4333-8333-333333333333"
SEED = {
    "organisations": [
        {
            "tenant_id": TENANT,
            "name": "Staged Ltd",
            "base_currency": "NZD",
            "currencies": ["AUD"],
            "accounts": [
                {
                    "Code": "092",
                    "Name": "Card Clearing",
                    "Type": "CURRENT",
                    "EnablePaymentsToAccount": True,
                }
            ],
            "tax_rates": [{"TaxType": "OUTPUT3", "Name": "9% Tax", "Rate": 9}],
            "contacts": [
                {
                    "ContactID": "44444444-4444-4444-8444-444444444444",
                    "Name": "Existing Customer",
                    "ContactNumber": "EX-1",
                },
                {"Name": "Old Customer", "ContactStatus": "ARCHIVED"},
            ],
            "invoices": [
                {
                    "InvoiceID": "55555555-5555-4555-8555-555555555555",
                    "Type": "ACCREC",
                    "InvoiceNumber": "OLD-1",
                    "Status": "PAID",
                    "Contact": {"ContactNumber": "EX-1"},
                    "Date": "2026-01-05",
                    "DueDate": "2026-01-31",
                    "LineItems": [
                        {
                            "Description": "Old",
                            "Quantity": 1,
                            "UnitAmount": 100,
                            "AccountCode": "200",
                            "TaxType": "OUTPUT3",
                        }
                    ],
                },
                {
                    "Type": "ACCREC",
                    "InvoiceNumber": "OLD-2",
                    "Status": "VOIDED",
                    "Contact": {"ContactNumber": "EX-1"},
                    "Date": "2026-01-05",
                    "DueDate": "2026-01-31",
                    "LineItems": [
                        {
                            "Description": "Void",
                            "Quantity": 1,
                            "UnitAmount": 5,
                            "AccountCode": "200",
                        }
                    ],
                },
            ],
            "payments": [
                {
                    "Invoice": {"InvoiceNumber": "OLD-1"},
                    "Account": {"Code": "092"},
                    "Date": "2026-01-15",
                    "Amount": 109,
                }
            ],
        }
    ]
}


def test_seed_stages_records_already_in_xero(emu, control):
    assert control.reset(SEED) == [TENANT]
    session = SdkSession(emu.url, emu.client_id, emu.client_secret)
    session.client_credentials()
    xero = session.accounting
    paid = xero.get_invoice(TENANT, "OLD-1").invoices[0]
    assert (paid.status, paid.total, paid.amount_due) == ("PAID", Decimal("109.00"), 0)
    assert xero.get_invoice(TENANT, "OLD-2").invoices[0].status == "VOIDED"
    assert [c.name for c in xero.get_contacts(TENANT, include_archived=True).contacts] == [
        "Existing Customer",
        "Old Customer",
    ]
    assert xero.get_payments(TENANT).payments[0].account.code == "092"
    state = control.state(TENANT)["organisations"][0]
    assert state["name"] == "Staged Ltd" and state["currencies"] == ["NZD", "AUD"]
    assert {a["Code"] for a in state["accounts"]} >= {"090", "091", "092", "200"}
    assert control.reset(control.state()) == [TENANT], "a dump loads back as a seed"


def test_seed_merges_and_refuses_what_xero_would(emu, control):
    control.seed(
        {"organisations": [{"tenant_id": DEFAULT_TENANT_ID, "contacts": [{"Name": "Added"}]}]}
    )
    names = [c["Name"] for c in control.state(DEFAULT_TENANT_ID)["organisations"][0]["contacts"]]
    assert names == ["Added"]
    bad = {"organisations": [{"tenant_id": DEFAULT_TENANT_ID, "contacts": [{"Name": "Added"}]}]}
    with pytest.raises(EmulatorControlError) as refused:
        control.seed(bad)
    assert refused.value.status == 400
    assert "already assigned to another contact" in refused.value.body["errors"][0]


def test_nothing_changes_in_a_locked_period(emu, control):
    seed = json.loads(json.dumps(SEED))
    seed["organisations"][0]["invoices"][0]["Status"] = "AUTHORISED"
    seed["organisations"][0]["payments"][0]["Amount"] = 9
    seed["organisations"][0]["period_lock_date"] = "2026-02-28"
    control.reset(seed)
    session = SdkSession(emu.url, emu.client_id, emu.client_secret)
    session.client_credentials()
    xero = session.accounting
    locked = "The document date cannot be on or before the period lock date, currently set at %s."
    locked %= "2026-02-28"
    with pytest.raises(AccountingBadRequestException) as edit:
        xero.update_invoice(TENANT, "OLD-1", {"Invoices": [{"Reference": "late edit"}]})
    assert edit.value.reason == locked
    old_payment = xero.get_payments(TENANT).payments[0]
    with pytest.raises(AccountingBadRequestException) as delete:
        xero.delete_payment(TENANT, old_payment.payment_id, {"Status": "DELETED"})
    assert delete.value.reason == locked
    body = {"Invoice": {"InvoiceNumber": "OLD-1"}, "Account": {"Code": "090"}, "Amount": 1}
    with pytest.raises(AccountingBadRequestException) as backdated:
        xero.create_payment(TENANT, dict(body, Date="2026-02-01"))
    assert backdated.value.reason == locked
    assert xero.create_payment(TENANT, dict(body, Date="2026-03-01")).payments[0].amount == 1
    organisation = xero.get_organisations(TENANT).organisations[0]
    assert organisation.period_lock_date.isoformat() == "2026-02-28"


def test_request_log(xero, tenant, control):
    control.clear_requests()
    xero.create_contacts(
        tenant, {"Contacts": [{"Name": "A"}, {"Name": "B"}]}, idempotency_key="log-1"
    )
    xero.get_contacts(tenant, where='Name=="A"')
    put, get = control.requests()
    assert (put["method"], put["path"], put["tenant"], put["status"]) == (
        "PUT",
        "/api.xro/2.0/Contacts",
        tenant,
        200,
    )
    assert (put["idempotency_key"], put["items"]) == ("log-1", 2)
    assert get["query"] == {"where": 'Name=="A"'} and get["items"] == 0
    control.clear_requests()
    assert control.requests() == []


def test_clock_and_limits_controls(control):
    now = control.now()
    assert control.advance(90) == pytest.approx(now + 90)
    assert control.set_clock(1_800_000_000) == 1_800_000_000
    assert control.limits(per_minute=5)["per_minute"] == 5
    with pytest.raises(EmulatorControlError):
        control.limits(per_hour=5)
    with pytest.raises(EmulatorControlError):
        control.add_fault("418", count=1)
    info = control.info()
    assert info["client_id"] == DEFAULT_CLIENT_ID and info["virtual_clock"] is True


def test_options_name_currency_and_credentials():
    with EmulatorServer(
        port=0, org_name="Kiwi Co", base_currency="AUD", client_id="id-1", client_secret="s-1"
    ) as srv:
        session = SdkSession(srv.url, "id-1", "s-1")
        session.client_credentials()
        organisation = session.accounting.get_organisations(srv.tenant_id).organisations[0]
        assert (organisation.name, organisation.base_currency.value) == ("Kiwi Co", "AUD")
        assert "client_id=id-1 client_secret=s-1" in srv.banner()


def test_command_line_start_talk_stop(tmp_path):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(
        json.dumps({"organisations": [{"tenant_id": TENANT, "name": "From File"}]})
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xero_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            str(seed_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert "client_id=emulator-client client_secret=emulator-secret" in banner
        assert TENANT in banner and "From File" in banner
        url = banner.split(" at ", 1)[1].split()[0]
        session = SdkSession(url, DEFAULT_CLIENT_ID, "emulator-secret")
        session.client_credentials()
        assert session.accounting.get_organisations(TENANT).organisations[0].name == "From File"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()
        process.stderr.close()


def test_seed_credit_notes_allocations_and_refunds(emu, control):
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}
    staged = {
        "tenant_id": TENANT,
        "contacts": [{"Name": "Credited", "ContactNumber": "C-1"}],
        "invoices": [
            {
                "Type": "ACCREC",
                "InvoiceNumber": "I-1",
                "Status": "AUTHORISED",
                "Contact": {"ContactNumber": "C-1"},
                "Date": "2026-01-05",
                "DueDate": "2026-01-31",
                "LineItems": [line],
            }
        ],
        "credit_notes": [
            {
                "Type": "ACCRECCREDIT",
                "CreditNoteNumber": "CN-OLD",
                "Status": "PAID",
                "Contact": {"ContactNumber": "C-1"},
                "Date": "2026-01-06",
                "LineItems": [dict(line, UnitAmount=20)],
            }
        ],
        "allocations": [
            {
                "CreditNote": {"CreditNoteNumber": "CN-OLD"},
                "Invoice": {"InvoiceNumber": "I-1"},
                "Amount": 15,
                "Date": "2026-01-07",
            }
        ],
        "payments": [
            {
                "CreditNote": {"CreditNoteNumber": "CN-OLD"},
                "Account": {"Code": "090"},
                "Date": "2026-01-08",
                "Amount": 8,
            }
        ],
    }
    control.reset({"organisations": [staged]})
    session = SdkSession(emu.url, emu.client_id, emu.client_secret)
    session.client_credentials()
    xero = session.accounting

    def check():
        note = xero.get_credit_notes(TENANT, page=1).credit_notes[0]
        assert (note.status, note.remaining_credit, note.total) == ("PAID", 0, Decimal("23.00"))
        assert [a.amount for a in note.allocations] == [Decimal("15.00")]
        assert [p.amount for p in note.payments] == [Decimal("8.00")]
        invoice = xero.get_invoice(TENANT, "I-1").invoices[0]
        assert (invoice.amount_credited, invoice.amount_due) == (Decimal("15.00"), 100)
        assert xero.get_payments(TENANT).payments[0].payment_type == "ARCREDITPAYMENT"
        return note.allocations[0].allocation_id

    allocation_id = check()
    assert control.reset(control.state()) == [TENANT], "a dump loads back as a seed"
    assert check() == allocation_id
    wrong = json.loads(json.dumps(staged))
    wrong["allocations"][0]["Amount"] = 24
    with pytest.raises(EmulatorControlError) as refused:
        control.reset({"organisations": [wrong]})
    assert refused.value.body["errors"] == [
        "organisations[0].allocations[0]: Amount applied is greater than the remaining credit "
        "on this credit note."
    ]
