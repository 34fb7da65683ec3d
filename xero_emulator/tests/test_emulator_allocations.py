"""Credit note allocations through the real xero-python SDK: amounts, statuses, rules, undo."""

import datetime
from decimal import Decimal

import pytest
from xero_emulator.testing import (
    HAS_PAYMENTS,
    allocate,
    allocation,
    make_credit_note,
    make_invoice,
    refusal,
    sales_line,
)
from xero_python.exceptions.http_status_exceptions import (
    AccountingBadRequestException,
    NotFoundException,
)

from xero_emulator import schema

PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
OVER_INVOICE = "Credit Note cannot be allocated as amount is greater than amount outstanding"
OVER_CREDIT = "Amount applied is greater than the remaining credit on this credit note."


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Credited Ltd"}]}).contacts[0]


def test_allocation_moves_both_documents(xero, tenant, customer, control):
    invoice = make_invoice(xero, tenant, customer)  # 115.00
    note = make_credit_note(xero, tenant, customer)  # 23.00
    before = control.advance(60)
    made = allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 20))[0]
    assert made.allocation_id and made.amount == Decimal("20.00")
    assert made.date == datetime.date(2026, 3, 10)
    assert made.invoice.invoice_id == invoice.invoice_id
    assert made.credit_note.credit_note_id == note.credit_note_id
    credited = xero.get_invoice(tenant, invoice.invoice_id).invoices[0]
    assert (credited.amount_credited, credited.amount_due, credited.amount_paid) == (
        Decimal("20.00"),
        Decimal("95.00"),
        0,
    )
    assert [(c.credit_note_id, c.applied_amount) for c in credited.credit_notes] == [
        (note.credit_note_id, Decimal("20.00"))
    ]
    assert credited.status == "AUTHORISED"
    left = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (left.remaining_credit, left.status) == (Decimal("3.00"), "AUTHORISED")
    assert [(a.allocation_id, a.amount, a.invoice.invoice_number) for a in left.allocations] == [
        (made.allocation_id, Decimal("20.00"), invoice.invoice_number)
    ]
    since = datetime.datetime.fromtimestamp(before, tz=datetime.timezone.utc)
    assert [i.invoice_id for i in xero.get_invoices(tenant, if_modified_since=since).invoices] == [
        invoice.invoice_id
    ]
    moved = xero.get_credit_notes(tenant, if_modified_since=since).credit_notes
    assert [c.credit_note_id for c in moved] == [note.credit_note_id]
    allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 3))
    used = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (used.remaining_credit, used.status) == (0, "PAID")
    assert used.fully_paid_on_date == datetime.date(2026, 3, 10)
    # A credit note that covers the rest of an invoice pays it.
    small = make_invoice(xero, tenant, customer, sales_line(20))
    big = make_credit_note(xero, tenant, customer, sales_line(40))
    allocate(xero, tenant, big.credit_note_id, allocation(small.invoice_id, 23))
    paid = xero.get_invoice(tenant, small.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_credited) == ("PAID", 0, Decimal("23.00"))


def test_allocation_rules(xero, tenant, customer):
    other = xero.create_contacts(tenant, {"Contacts": [{"Name": "Someone Else"}]}).contacts[0]
    note = make_credit_note(xero, tenant, customer, sales_line(100))  # 115.00
    small = make_invoice(xero, tenant, customer, sales_line(10))  # 11.50
    paid = make_invoice(xero, tenant, customer, sales_line(10))
    body = {"Invoice": {"InvoiceID": paid.invoice_id}, "Account": {"Code": "090"}}
    xero.create_payment(tenant, dict(body, Date="2026-03-02", Amount=11.5))
    draft = make_invoice(xero, tenant, customer, Status="DRAFT")
    theirs = make_invoice(xero, tenant, other)
    aud = make_invoice(xero, tenant, customer, CurrencyCode="AUD")
    bill = make_invoice(xero, tenant, customer, sales_line(tax="INPUT2"), Type="ACCPAY")
    big = make_invoice(xero, tenant, customer, sales_line(1000))
    cases = [
        (allocation(big.invoice_id, 115.01), [OVER_CREDIT]),
        (allocation(small.invoice_id, 11.51), [OVER_INVOICE]),
        (allocation(paid.invoice_id, 1), [PAID_OFF, OVER_INVOICE]),
        (
            allocation(draft.invoice_id, 1),
            ["Credit notes can only be allocated to Authorised invoices."],
        ),
        (
            allocation(theirs.invoice_id, 1),
            ["The credit note and the invoice must be for the same contact."],
        ),
        (
            allocation(aud.invoice_id, 1),
            ["The credit note and the invoice must be in the same currency."],
        ),
        (
            allocation(bill.invoice_id, 1),
            ["Credit Note cannot be allocated to an incorrect invoice type"],
        ),
        (allocation("4b6c2c1e-0f0e-4c59-9d7c-1f9a4a8f5e11", 1), ["Document could not be found"]),
        (allocation(small.invoice_id, -1), ["The allocation Amount must be greater than zero."]),
    ]
    results = allocate(
        xero, tenant, note.credit_note_id, *(a for a, _ in cases), summarize_errors=False
    )
    for result, (_body, messages) in zip(results, cases, strict=True):
        assert result.status_attribute_string == "ERROR"
        assert [e.message for e in result.validation_errors] == messages
    unchanged = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (unchanged.remaining_credit, unchanged.allocations) == (Decimal("115.00"), [])
    with pytest.raises(AccountingBadRequestException) as whole:
        allocate(xero, tenant, note.credit_note_id, allocation(small.invoice_id, 5),
                 allocation(small.invoice_id, 7))  # fmt: skip
    assert refusal(whole) == [OVER_INVOICE], "the second sees what the first applied"
    assert xero.get_invoice(tenant, small.invoice_id).invoices[0].amount_due == Decimal("11.50")
    draft_note = make_credit_note(xero, tenant, customer, Status="DRAFT")
    with pytest.raises(AccountingBadRequestException) as not_approved:
        allocate(xero, tenant, draft_note.credit_note_id, allocation(big.invoice_id, 1))
    assert refusal(not_approved) == ["Only an Authorised credit note can be allocated."]
    with pytest.raises(NotFoundException):
        allocate(xero, tenant, big.invoice_id, allocation(small.invoice_id, 1))
    if schema.available():
        with pytest.raises(AccountingBadRequestException) as no_date:
            body = {"Allocations": [{"Invoice": {"InvoiceID": small.invoice_id}, "Amount": 1}]}
            xero.create_credit_note_allocation(tenant, note.credit_note_id, body)
        assert no_date.value.error_data["Type"] == "PostDataInvalidException"
        assert "Allocations[0].Date: is required" in no_date.value.error_data["Message"]


def test_deleting_an_allocation_restores_both_documents(xero, tenant, customer, control):
    invoice = make_invoice(xero, tenant, customer, sales_line(20))  # 23.00
    note = make_credit_note(xero, tenant, customer)  # 23.00
    made = allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 23))[0]
    assert xero.get_invoice(tenant, invoice.invoice_id).invoices[0].status == "PAID"
    mark = control.advance(60)
    deleted = xero.delete_credit_note_allocations(tenant, note.credit_note_id, made.allocation_id)
    assert (deleted.allocation_id, deleted.is_deleted, deleted.amount) == (
        made.allocation_id,
        True,
        Decimal("23.00"),
    )
    back = xero.get_invoice(tenant, invoice.invoice_id).invoices[0]
    assert (back.status, back.amount_due, back.amount_credited, back.credit_notes) == (
        "AUTHORISED",
        Decimal("23.00"),
        0,
        [],
    )
    assert back.fully_paid_on_date is None
    restored = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (restored.status, restored.remaining_credit, restored.allocations) == (
        "AUTHORISED",
        Decimal("23.00"),
        [],
    )
    since = datetime.datetime.fromtimestamp(mark, tz=datetime.timezone.utc)
    assert len(xero.get_invoices(tenant, if_modified_since=since).invoices) == 1
    assert len(xero.get_credit_notes(tenant, if_modified_since=since).credit_notes) == 1
    with pytest.raises(NotFoundException):
        xero.delete_credit_note_allocations(tenant, note.credit_note_id, made.allocation_id)


def test_no_void_or_paid_edit_with_an_allocation(xero, tenant, customer):
    invoice = make_invoice(xero, tenant, customer)
    note = make_credit_note(xero, tenant, customer)
    made = allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 5))[0]
    with pytest.raises(AccountingBadRequestException) as void_note:
        xero.update_credit_note(
            tenant, note.credit_note_id, {"CreditNotes": [{"Status": "VOIDED"}]}
        )
    assert refusal(void_note) == ["Credit note not of valid status for modification", HAS_PAYMENTS]
    with pytest.raises(AccountingBadRequestException) as void_invoice:
        xero.update_invoice(tenant, invoice.invoice_id, {"Invoices": [{"Status": "VOIDED"}]})
    assert refusal(void_invoice) == ["Invoice not of valid status for modification", HAS_PAYMENTS]
    line_id = invoice.line_items[0].line_item_id
    change = {"LineItems": [{"LineItemID": line_id, "UnitAmount": 90}]}
    with pytest.raises(AccountingBadRequestException) as edit:
        xero.update_invoice(tenant, invoice.invoice_id, {"Invoices": [change]})
    assert refusal(edit) == [HAS_PAYMENTS]
    renamed = xero.update_invoice(
        tenant, invoice.invoice_id, {"Invoices": [{"Reference": "still editable"}]}
    )
    assert renamed.invoices[0].reference == "still editable"
    xero.delete_credit_note_allocations(tenant, note.credit_note_id, made.allocation_id)
    voided = xero.update_credit_note(
        tenant, note.credit_note_id, {"CreditNotes": [{"Status": "VOIDED"}]}
    ).credit_notes[0]
    assert voided.status == "VOIDED"


def test_allocation_replayed_by_idempotency_key(sdk, xero, tenant, customer, control):
    invoice = make_invoice(xero, tenant, customer)
    note = make_credit_note(xero, tenant, customer)
    control.clear_requests()
    for _ in range(2):
        made = xero.create_credit_note_allocation(
            tenant,
            note.credit_note_id,
            {"Allocations": [allocation(invoice.invoice_id, 10)]},
            idempotency_key="alloc-1",
        ).allocations[0]
    assert xero.get_invoice(tenant, invoice.invoice_id).invoices[0].amount_credited == 10
    log = [r for r in control.requests() if r["method"] == "PUT"]
    assert [(r["items"], r["replayed"]) for r in log] == [(1, False), (1, True)]
    assert made.allocation_id


def test_nothing_allocated_or_undone_in_a_locked_period(xero, tenant, customer, control):
    invoice = make_invoice(xero, tenant, customer)
    note = make_credit_note(xero, tenant, customer)
    made = allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 5))[0]
    control.seed({"organisations": [{"tenant_id": tenant, "period_lock_date": "2026-03-15"}]})
    locked = "The document date cannot be on or before the period lock date, currently set at "
    locked += "2026-03-15."
    with pytest.raises(AccountingBadRequestException) as backdated:
        allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 5, "2026-03-14"))
    assert refusal(backdated) == [locked]
    with pytest.raises(AccountingBadRequestException) as undo:
        xero.delete_credit_note_allocations(tenant, note.credit_note_id, made.allocation_id)
    assert refusal(undo) == [locked]
    later = allocate(
        xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 5, "2026-03-16")
    )
    assert later[0].amount == 5
