"""Items answered WARNING with `Warnings` (XERO_NOTES.md, "Where Xero is stricter"): a
foreign-currency document booked at Xero's day rate, and the `warning` fault. xero-python's
Invoice, CreditNote and Payment carry `warnings` (its Contact has none)."""

from decimal import Decimal

import pytest
from gateway_fixtures import make_gateway

DAY_RATE = "No currency rate was given: the rate of %s from XE.com was used."
INJECTED = "This is a warning injected by the emulator."


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Warned Ltd"}]}).contacts[0]


def document(customer, doc_type="ACCREC", **fields):
    body = {
        "Type": doc_type,
        "Contact": {"ContactID": customer.contact_id},
        "Date": "2026-03-02",
        "DueDate": "2026-03-31",
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}],
    }
    body.update(fields)
    return body


def invoices(xero, tenant, *bodies, **options):
    return xero.create_invoices(tenant, {"Invoices": list(bodies)}, **options).invoices


def test_foreign_currency_without_rate_is_booked_with_a_warning(xero, tenant, customer):
    usd, rated, local = invoices(
        xero,
        tenant,
        document(customer, CurrencyCode="USD"),
        document(customer, CurrencyCode="USD", CurrencyRate=0.65),
        document(customer),
        summarize_errors=False,
    )
    assert usd.status_attribute_string == "WARNING"
    assert [w.message for w in usd.warnings] == [DAY_RATE % "2026-03-02"]
    assert usd.currency_rate == Decimal("0.6")
    assert (rated.status_attribute_string, rated.warnings) == ("OK", None)
    assert (local.status_attribute_string, local.warnings) == ("OK", None)
    (kept,) = xero.update_or_create_invoices(
        tenant, {"Invoices": [{"InvoiceID": usd.invoice_id, "Reference": "R1"}]}
    ).invoices
    assert kept.status_attribute_string == "OK", "the stored rate stays: no warning"
    (moved,) = xero.update_or_create_invoices(
        tenant, {"Invoices": [{"InvoiceID": rated.invoice_id, "CurrencyCode": "AUD"}]}
    ).invoices
    assert moved.status_attribute_string == "WARNING" and moved.currency_rate == Decimal("0.92")
    note = document(customer, "ACCRECCREDIT", CurrencyCode="AUD", Date="2026-03-05")
    del note["DueDate"]
    (credit,) = xero.create_credit_notes(
        tenant, {"CreditNotes": [note]}, summarize_errors=False
    ).credit_notes
    assert credit.status_attribute_string == "WARNING"
    assert credit.warnings[0].message == DAY_RATE % "2026-03-05"


def test_warning_fault_marks_every_item_of_the_next_write(xero, tenant, customer, control):
    control.add_fault("warning", count=1, message="Check the rounding.")
    xero.get_invoices(tenant)  # a read does not use it up
    xero.create_contacts(tenant, {"Contacts": [{"Name": "Other"}]})  # nor a contact write
    first, second = invoices(
        xero,
        tenant,
        document(customer),
        document(customer, CurrencyCode="USD"),
        summarize_errors=False,
    )
    assert first.status_attribute_string == "WARNING"
    assert [w.message for w in first.warnings] == ["Check the rounding."]
    assert [w.message for w in second.warnings] == [DAY_RATE % "2026-03-02", "Check the rounding."]
    assert control.faults() == []
    control.add_fault("warning", count=1, path="/api.xro/2.0/Payments")
    body = {
        "Invoice": {"InvoiceID": first.invoice_id},
        "Account": {"Code": "090"},
        "Date": "2026-03-03",
        "Amount": 10,
    }
    (payment,) = xero.create_payments(tenant, {"Payments": [body]}).payments
    assert payment.status_attribute_string == "WARNING"
    assert payment.warnings[0].message == INJECTED
    (plain,) = invoices(xero, tenant, document(customer))
    assert plain.status_attribute_string == "OK"


def test_gateway_hands_warnings_over(emu, control):
    tokens = {}
    gateway = make_gateway(emu.url, token_getter=lambda: tokens["access"])
    tokens["access"] = gateway.fetch_client_credentials_token()["access_token"]
    control.add_fault("warning", count=1, method="PUT")
    contact = gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Gate"}]})
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact["Contacts"][0]["ContactID"]},
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5}],
    }
    answer = gateway.call("create_invoices", invoices={"Invoices": [body]}, summarize_errors=False)
    (item,) = answer["Invoices"]
    assert item["StatusAttributeString"] == "WARNING"
    assert item["Warnings"] == [{"Message": INJECTED}]
