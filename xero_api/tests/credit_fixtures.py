"""Helpers for the credit note, allocation and refund tests (helpers only: fixtures live in the
test modules and conftest.py)."""

HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
EXCEEDS = "Payment amount exceeds the amount outstanding on this document."
NOT_AUTHORISED = "Payments can only be made against Authorised documents."


def refusal(exc_info):
    """The messages of a 400 ValidationException."""
    data = exc_info.value.error_data
    assert data["Type"] == "ValidationException"
    return [m["Message"] for e in data["Elements"] for m in e["ValidationErrors"]]


def sales_line(unit=100, tax="OUTPUT2", **extra):
    fields = {"Description": "Item", "Quantity": 1, "UnitAmount": unit, "AccountCode": "200"}
    fields.update(TaxType=tax, **extra)
    return {key: value for key, value in fields.items() if value is not None}


def credit_note_body(contact, *lines, **fields):
    """An AUTHORISED sales credit note (lines default to one 20.00 + GST line: 23.00)."""
    body = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact.contact_id},
        "Date": "2026-03-05",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [sales_line(20)],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def invoice_body(contact, *lines, **fields):
    """An AUTHORISED sales invoice (lines default to one 100.00 + GST line: 115.00)."""
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact.contact_id},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [sales_line()],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def make_credit_note(xero, tenant, contact, *lines, **fields):
    body = credit_note_body(contact, *lines, **fields)
    return xero.create_credit_notes(tenant, {"CreditNotes": [body]}).credit_notes[0]


def make_invoice(xero, tenant, contact, *lines, **fields):
    body = invoice_body(contact, *lines, **fields)
    return xero.create_invoices(tenant, {"Invoices": [body]}).invoices[0]


def allocation(invoice_id, amount, day="2026-03-10"):
    return {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": day}


def allocate(xero, tenant, note_id, *allocations, **options):
    body = {"Allocations": list(allocations)}
    return xero.create_credit_note_allocation(tenant, note_id, body, **options).allocations


def refund(note_id, amount, day="2026-03-12", account=None, **extra):
    body = {
        "CreditNote": {"CreditNoteID": note_id},
        "Account": account or {"Code": "090"},
        "Date": day,
        "Amount": amount,
    }
    body.update(extra)
    return body
