"""Payments through the real xero-python SDK: amounts, statuses, deletion, lists, bank feed."""

import datetime
from decimal import Decimal

import pytest
from xero_emulator.testing import EXCEEDS, NOT_AUTHORISED, refusal
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

from xero_emulator import DEFAULT_BANK_ACCOUNT_ID


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Payer Ltd"}]}).contacts[0]


def make_invoice(xero, tenant, customer, amount=100, status="AUTHORISED", number=None):
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": customer.contact_id},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "Status": status,
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}
        ],
    }
    if number:
        body["InvoiceNumber"] = number
    return xero.create_invoices(tenant, {"Invoices": [body]}).invoices[0]


def payment(invoice_id, amount, day="2026-03-10", account=None, **extra):
    body = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": account or {"Code": "090"},
        "Date": day,
        "Amount": amount,
    }
    body.update(extra)
    return body


def test_payments_move_amount_due_and_status(xero, tenant, customer):
    inv = make_invoice(xero, tenant, customer)
    first = xero.create_payments(
        tenant, {"Payments": [payment(inv.invoice_id, 40, Reference="dep")]}
    ).payments[0]
    assert (first.status, first.payment_type, first.amount) == (
        "AUTHORISED",
        "ACCRECPAYMENT",
        Decimal("40.00"),
    )
    assert first.date == datetime.date(2026, 3, 10) and first.reference == "dep"
    assert first.invoice.invoice_id == inv.invoice_id and first.account.code == "090"
    state = xero.get_invoice(tenant, inv.invoice_id).invoices[0]
    assert (state.amount_paid, state.amount_due, state.status) == (
        Decimal("40.00"),
        Decimal("60.00"),
        "AUTHORISED",
    )
    by_number = {
        "Invoice": {"InvoiceNumber": inv.invoice_number},
        "Account": {"AccountID": DEFAULT_BANK_ACCOUNT_ID},
    }
    second = xero.create_payment(tenant, dict(by_number, Date="2026-03-20", Amount=60)).payments[0]
    paid = xero.get_invoice(tenant, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.fully_paid_on_date) == (
        "PAID",
        0,
        datetime.date(2026, 3, 20),
    )
    assert len(paid.payments) == 2
    deleted = xero.delete_payment(tenant, second.payment_id, {"Status": "DELETED"}).payments[0]
    assert deleted.status == "DELETED"
    back = xero.get_invoice(tenant, inv.invoice_id).invoices[0]
    assert (back.status, back.amount_due, back.fully_paid_on_date) == (
        "AUTHORISED",
        Decimal("60.00"),
        None,
    )
    with pytest.raises(AccountingBadRequestException) as again:
        xero.delete_payment(tenant, second.payment_id, {"Status": "DELETED"})
    assert refusal(again) == ["Payment not of valid status for modification"]


def test_amount_must_not_exceed_amount_due(xero, tenant, customer):
    inv = make_invoice(xero, tenant, customer)
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_payments(tenant, {"Payments": [payment(inv.invoice_id, 100.01)]})
    assert refusal(refused) == [EXCEEDS]
    assert (
        xero.create_payments(tenant, {"Payments": [payment(inv.invoice_id, 100)]})
        .payments[0]
        .amount
        == 100
    )


def test_payments_only_against_authorised_invoices(xero, tenant, customer):
    draft = make_invoice(xero, tenant, customer, status="DRAFT")
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_payments(tenant, {"Payments": [payment(draft.invoice_id, 10)]})
    assert refusal(refused) == [NOT_AUTHORISED]
    paid = make_invoice(xero, tenant, customer, amount=10)
    xero.create_payments(tenant, {"Payments": [payment(paid.invoice_id, 10)]})
    with pytest.raises(AccountingBadRequestException) as twice:
        xero.create_payments(tenant, {"Payments": [payment(paid.invoice_id, 10)]})
    assert refusal(twice) == [NOT_AUTHORISED, EXCEEDS]


def test_archived_contact_takes_no_payment(xero, tenant, customer):
    inv = make_invoice(xero, tenant, customer)
    xero.update_contact(tenant, customer.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_payments(tenant, {"Payments": [payment(inv.invoice_id, 10)]})
    assert refusal(refused) == [
        "The contact with the specified contact details has been archived. "
        "The contact must be un-archived before creating new payments."
    ]


def test_payment_fields_checked(xero, tenant, customer):
    inv = make_invoice(xero, tenant, customer)
    cases = [
        (
            payment(inv.invoice_id, 10, account={"Code": "200"}),
            "Payments can only be made to or from a BANK account",
        ),
        (payment(inv.invoice_id, 10, account={"Code": "999"}), "Account could not be found"),
        (payment(inv.invoice_id, -5), "Payment amounts must be positive amounts"),
        (payment("4b6c2c1e-0f0e-4c59-9d7c-1f9a4a8f5e11", 5), "Document could not be found"),
        (
            {"Invoice": {"InvoiceID": inv.invoice_id}, "Account": {"Code": "090"}, "Amount": 5},
            "A valid payment Date",
        ),
    ]
    results = xero.create_payments(
        tenant, {"Payments": [body for body, _ in cases]}, summarize_errors=False
    ).payments
    for result, (_body, message) in zip(results, cases, strict=True):
        assert result.status_attribute_string == "ERROR"
        assert result.validation_errors[0].message.startswith(message)
    assert xero.get_payments(tenant).payments == []


def test_batch_with_summarize_errors_false(xero, tenant, customer):
    one = make_invoice(xero, tenant, customer, amount=50)
    two = make_invoice(xero, tenant, customer, amount=50)
    results = xero.create_payments(
        tenant,
        {"Payments": [payment(one.invoice_id, 50), payment(two.invoice_id, 70)]},
        summarize_errors=False,
    ).payments
    assert [p.status_attribute_string for p in results] == ["OK", "ERROR"]
    assert results[1].validation_errors[0].message == EXCEEDS
    assert len(xero.get_payments(tenant).payments) == 1


def test_payment_lists_if_modified_since_paging_where(xero, tenant, customer, control):
    invoices = [
        make_invoice(xero, tenant, customer, amount=10, number="P-%d" % i) for i in range(5)
    ]
    early = [
        xero.create_payment(tenant, payment(i.invoice_id, 10)).payments[0] for i in invoices[:3]
    ]
    mark = control.advance(300)
    late = [
        xero.create_payment(tenant, payment(i.invoice_id, 10)).payments[0] for i in invoices[3:]
    ]
    control.advance(300)
    xero.delete_payment(tenant, early[0].payment_id, {"Status": "DELETED"})
    since = datetime.datetime.fromtimestamp(mark, tz=datetime.timezone.utc)
    changed = xero.get_payments(tenant, if_modified_since=since).payments
    assert [p.payment_id for p in changed] == [
        late[0].payment_id,
        late[1].payment_id,
        early[0].payment_id,
    ]
    assert changed[-1].status == "DELETED", "deleted payments are listed, so syncs see deletions"
    page = xero.get_payments(tenant, page=1, page_size=2, order="Date ASC")
    assert (
        len(page.payments) == 2
        and page.pagination.item_count == 5
        and page.pagination.page_count == 3
    )
    assert len(xero.get_payments(tenant, page=3, page_size=2).payments) == 1
    where = 'Invoice.InvoiceID==Guid("%s")' % invoices[4].invoice_id
    assert [p.payment_id for p in xero.get_payments(tenant, where=where).payments] == [
        late[1].payment_id
    ]
    live = xero.get_payments(tenant, where='Status=="AUTHORISED" AND PaymentType=="ACCRECPAYMENT"')
    assert len(live.payments) == 4
    naive = since.replace(tzinfo=None)  # xero-python sends If-Modified-Since without a zone
    assert len(xero.get_payments(tenant, if_modified_since=naive).payments) == 3


def test_payments_entered_in_xero_are_fetched(xero, tenant, customer, control):
    inv = make_invoice(xero, tenant, customer, amount=80)
    seen = xero.get_payments(tenant).payments
    mark = control.advance(60)
    made = control.bank_payments([payment(inv.invoice_id, 30, Reference="Bank feed")])
    assert made[0]["IsReconciled"] is True
    since = datetime.datetime.fromtimestamp(mark, tz=datetime.timezone.utc)
    fetched = xero.get_payments(tenant, if_modified_since=since).payments
    assert seen == [] and [p.reference for p in fetched] == ["Bank feed"]
    assert fetched[0].invoice.invoice_number == inv.invoice_number
    assert xero.get_invoice(tenant, inv.invoice_id).invoices[0].amount_due == Decimal("50.00")
