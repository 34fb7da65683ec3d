"""Refunds of credit notes, accounts that take payments, and currency rates, through the SDK."""

from decimal import Decimal

import pytest
from xero_emulator.testing import (
    EXCEEDS,
    NOT_AUTHORISED,
    credit_note_body,
    invoice_body,
    make_credit_note,
    make_invoice,
    refund,
    refusal,
    sales_line,
)
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

ACCOUNT_TYPE = (
    "Payments can only be made to or from a BANK account "
    "or an account with 'Enable payments to this account' set."
)


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Refunded Ltd"}]}).contacts[0]


def pay(invoice_id, amount, **extra):
    body = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": "090"},
        "Date": "2026-03-10",
        "Amount": amount,
    }
    body.update(extra)
    return body


def test_refund_pays_out_remaining_credit(xero, tenant, customer):
    note = make_credit_note(xero, tenant, customer, sales_line(40))  # 46.00
    first = xero.create_payments(tenant, {"Payments": [refund(note.credit_note_id, 20)]})
    paid_out = first.payments[0]
    assert (paid_out.payment_type, paid_out.amount, paid_out.status) == (
        "ARCREDITPAYMENT",
        Decimal("20.00"),
        "AUTHORISED",
    )
    # Xero shows the refunded credit note in the payment's Invoice block.
    assert (paid_out.invoice.type, paid_out.invoice.invoice_id) == (
        "ACCRECCREDIT",
        note.credit_note_id,
    )
    assert paid_out.invoice.invoice_number == note.credit_note_number
    left = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (left.remaining_credit, left.status) == (Decimal("26.00"), "AUTHORISED")
    assert [(p.payment_id, p.amount) for p in left.payments] == [
        (paid_out.payment_id, Decimal("20.00"))
    ]
    with pytest.raises(AccountingBadRequestException) as too_much:
        xero.create_payment(tenant, refund(note.credit_note_id, 26.01))
    assert refusal(too_much) == [EXCEEDS]
    by_number = refund(None, 26, CreditNote={"CreditNoteNumber": note.credit_note_number})
    rest = xero.create_payment(tenant, by_number).payments[0]
    done = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (done.status, done.remaining_credit) == ("PAID", 0)
    xero.delete_payment(tenant, rest.payment_id, {"Status": "DELETED"})
    back = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert (back.status, back.remaining_credit, len(back.payments)) == (
        "AUTHORISED",
        Decimal("26.00"),
        1,
    )
    with pytest.raises(AccountingBadRequestException) as void:
        xero.update_credit_note(
            tenant, note.credit_note_id, {"CreditNotes": [{"Status": "VOIDED"}]}
        )
    assert "This document cannot be edited" in refusal(void)[-1], "no void with a refund"


def test_refund_needs_an_authorised_credit_note(xero, tenant, customer):
    draft = make_credit_note(xero, tenant, customer, Status="DRAFT")
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_payment(tenant, refund(draft.credit_note_id, 1))
    assert refusal(refused) == [NOT_AUTHORISED]
    note = make_credit_note(xero, tenant, customer)
    both = dict(refund(note.credit_note_id, 1), Invoice={"InvoiceID": note.credit_note_id})
    with pytest.raises(AccountingBadRequestException) as two:
        xero.create_payment(tenant, both)
    assert refusal(two) == [
        "A payment must be applied to exactly one Invoice, CreditNote, Prepayment or Overpayment."
    ]


def test_payment_lists_show_payments_and_refunds(xero, tenant, customer):
    invoice = make_invoice(xero, tenant, customer)
    note = make_credit_note(xero, tenant, customer)
    xero.create_payments(
        tenant, {"Payments": [pay(invoice.invoice_id, 15), refund(note.credit_note_id, 3)]}
    )
    listed = xero.get_payments(tenant).payments
    assert [p.payment_type for p in listed] == ["ACCRECPAYMENT", "ARCREDITPAYMENT"]
    refunds = xero.get_payments(tenant, where='PaymentType=="ARCREDITPAYMENT"').payments
    assert [p.invoice.invoice_id for p in refunds] == [note.credit_note_id]
    receipts = xero.get_payments(tenant, where='PaymentType=="ACCRECPAYMENT"').payments
    assert [p.invoice.invoice_id for p in receipts] == [invoice.invoice_id]
    assert xero.get_invoice(tenant, invoice.invoice_id).invoices[0].amount_due == Decimal("100.00")


def test_payments_need_a_bank_account_or_one_that_takes_payments(xero, tenant, customer):
    fees = [a for a in xero.get_accounts(tenant).accounts if a.code == "404"]
    assert [(a.name, a.type.value, a.enable_payments_to_account) for a in fees] == [
        ("Bank Fees", "EXPENSE", True)
    ]
    invoice = make_invoice(xero, tenant, customer)
    written_off = xero.create_payment(tenant, pay(invoice.invoice_id, 5, Account={"Code": "404"}))
    assert written_off.payments[0].account.code == "404"
    note = make_credit_note(xero, tenant, customer)
    results = xero.create_payments(
        tenant,
        {
            "Payments": [
                pay(invoice.invoice_id, 5, Account={"Code": "200"}),
                refund(note.credit_note_id, 1, account={"Code": "400"}),
            ]
        },
        summarize_errors=False,
    ).payments
    assert [[e.message for e in r.validation_errors] for r in results] == [[ACCOUNT_TYPE]] * 2


def test_currency_rate_kept_or_day_rate(xero, tenant, customer):
    sent = make_invoice(xero, tenant, customer, CurrencyCode="AUD", CurrencyRate=0.8123)
    assert (sent.currency_rate, sent.total) == (Decimal("0.8123"), Decimal("115.00"))
    day = make_invoice(xero, tenant, customer, CurrencyCode="AUD")
    assert (day.currency_rate, day.total) == (Decimal("0.92"), Decimal("115.00"))
    usd = make_credit_note(xero, tenant, customer, CurrencyCode="USD")
    assert (usd.currency_rate, usd.remaining_credit) == (Decimal("0.6"), Decimal("23.00"))
    base = make_invoice(xero, tenant, customer, CurrencyRate=2)
    assert base.currency_rate == 1, "a base-currency document is always at 1"
    draft = make_invoice(xero, tenant, customer, Status="DRAFT")
    moved = xero.update_invoice(
        tenant, draft.invoice_id, {"Invoices": [{"CurrencyCode": "USD"}]}
    ).invoices[0]
    assert moved.currency_rate == Decimal("0.6"), "a new currency takes its day rate"
    payment = xero.create_payment(tenant, pay(day.invoice_id, 46)).payments[0]
    assert (payment.currency_rate, payment.bank_amount) == (Decimal("0.92"), Decimal("50.00"))
    kept = xero.create_payment(tenant, pay(day.invoice_id, 23, CurrencyRate=0.5)).payments[0]
    assert (kept.currency_rate, kept.bank_amount) == (Decimal("0.5"), Decimal("46.00"))
    refunded = xero.create_payment(tenant, refund(usd.credit_note_id, 6)).payments[0]
    assert (refunded.currency_rate, refunded.bank_amount) == (Decimal("0.6"), Decimal("10.00"))
    with pytest.raises(AccountingBadRequestException) as locked:
        xero.update_invoice(tenant, day.invoice_id, {"Invoices": [{"CurrencyRate": 0.9}]})
    assert "This document cannot be edited" in refusal(locked)[0], "paid: the rate stays"
    results = xero.create_invoices(
        tenant,
        {"Invoices": [invoice_body(customer, CurrencyCode="AUD", CurrencyRate=-1)]},
        summarize_errors=False,
    ).invoices
    assert [e.message for e in results[0].validation_errors] == [
        "CurrencyRate must be greater than zero."
    ]
    note_rate = xero.create_credit_notes(
        tenant, {"CreditNotes": [credit_note_body(customer, CurrencyCode="AUD", CurrencyRate=0.7)]}
    ).credit_notes[0]
    assert note_rate.currency_rate == Decimal("0.7")
