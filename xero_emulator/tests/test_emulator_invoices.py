"""Invoices through the real xero-python SDK: totals, numbers, currencies, statuses, voids."""

import datetime
from decimal import Decimal

import pytest
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

NOT_FOR_MODIFICATION = "Invoice not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."


def refusal(exc_info):
    data = exc_info.value.error_data
    assert data["Type"] == "ValidationException"
    return [m["Message"] for e in data["Elements"] for m in e["ValidationErrors"]]


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Customer Ltd"}]}).contacts[0]


def line(quantity=1, unit=100, tax="OUTPUT2", **extra):
    """A sales line; a field given as None is left out (the SDK cannot send nulls)."""
    fields = {"Description": "Item", "Quantity": quantity, "UnitAmount": unit, "AccountCode": "200"}
    fields.update(TaxType=tax, **extra)
    return {key: value for key, value in fields.items() if value is not None}


def invoice(customer, *lines, **fields):
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": customer.contact_id},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [line()],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def send(xero, tenant, *invoices, **options):
    return xero.create_invoices(tenant, {"Invoices": list(invoices)}, **options).invoices


def pay(xero, tenant, invoice_id, amount, day="2026-03-10"):
    body = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": "090"},
        "Date": day,
        "Amount": amount,
    }
    return xero.create_payments(tenant, {"Payments": [body]}).payments[0]


def test_exclusive_tax_is_rounded_per_line(xero, tenant, customer):
    created = send(xero, tenant, invoice(customer, line(1, 1.05), line(1, 1.05), line(1, 1.05)))[0]
    assert [li.tax_amount for li in created.line_items] == [Decimal("0.16")] * 3
    assert (created.sub_total, created.total_tax, created.total) == (
        Decimal("3.15"),
        Decimal("0.48"),
        Decimal("3.63"),
    )
    assert created.amount_due == Decimal("3.63") and created.amount_paid == 0
    assert created.date == datetime.date(2026, 3, 1) and created.due_date == datetime.date(
        2026, 3, 31
    )
    assert created.invoice_number == "INV-0001"
    assert isinstance(created.updated_date_utc, datetime.datetime)


def test_inclusive_notax_and_discount(xero, tenant, customer):
    inclusive = send(
        xero, tenant, invoice(customer, line(1, 115), line(1, 10), LineAmountTypes="Inclusive")
    )[0]
    assert [li.tax_amount for li in inclusive.line_items] == [Decimal("15.00"), Decimal("1.30")]
    assert (inclusive.sub_total, inclusive.total_tax, inclusive.total) == (
        Decimal("108.70"),
        Decimal("16.30"),
        Decimal("125.00"),
    )
    notax = send(xero, tenant, invoice(customer, line(2, 10), LineAmountTypes="NoTax"))[0]
    assert (notax.total_tax, notax.total) == (0, Decimal("20.00"))
    discounted = send(xero, tenant, invoice(customer, line(2, 50, DiscountRate=10)))[0]
    assert discounted.line_items[0].line_amount == Decimal("90.00")
    assert discounted.total == Decimal("103.50") and discounted.is_discounted is True


def test_line_tax_amount_within_tolerance(xero, tenant, customer):
    accepted = send(xero, tenant, invoice(customer, line(1, 100, TaxAmount=15.04)))[0]
    assert accepted.total_tax == Decimal("15.04")
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, invoice(customer, line(1, 100, TaxAmount=15.06)))
    assert refusal(refused) == [
        "Line 1: the TaxAmount 15.06 differs from the calculated tax 15.00 by more than 0.05."
    ]


def test_invoice_number_unique_for_sales_invoices(xero, tenant, customer):
    send(xero, tenant, invoice(customer, InvoiceNumber="SO-1"))
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, invoice(customer, InvoiceNumber="so-1"))
    assert refusal(refused) == ["Invoice # must be unique."]
    bills = send(
        xero,
        tenant,
        invoice(customer, Type="ACCPAY", InvoiceNumber="SO-1", LineItems=[line(tax="INPUT2")]),
    )
    assert bills[0].invoice_number == "SO-1"
    assert send(xero, tenant, invoice(customer, InvoiceNumber="SO-2"))[0].invoice_number == "SO-2"


def test_currency_must_be_enabled(xero, tenant, customer):
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, invoice(customer, CurrencyCode="EUR"))
    assert refusal(refused) == ["Organisation is not subscribed to currency EUR"]
    assert send(xero, tenant, invoice(customer, CurrencyCode="AUD"))[0].currency_code.value == "AUD"


def test_archived_contact_takes_no_new_invoice(xero, tenant, customer):
    xero.update_contact(tenant, customer.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, invoice(customer))
    assert refusal(refused) == [
        "The contact with the specified contact details has been archived. "
        "The contact must be un-archived before creating new invoices or credit notes."
    ]


def test_line_rules_account_tax_quantity_due_date_total(xero, tenant, customer):
    cases = [
        (
            invoice(customer, line(AccountCode="999")),
            "Account code '999' is not a valid code for this document.",
        ),
        (
            invoice(customer, line(tax="GST99")),
            "The TaxType code 'GST99' does not exist or cannot be used for this type "
            "of transaction.",
        ),
        (
            invoice(customer, line(), line(-1, 10)),
            "The quantity value '-1.0000' is invalid. Quantity must not be less than zero.",
        ),
        (invoice(customer, line(AccountCode=None)), "Account code must be specified"),
        (invoice(customer, DueDate=None), "Due date cannot be empty."),
        (
            invoice(customer, line(1, -5)),
            "The Total for this document must be greater than or equal to zero.",
        ),
        (invoice(customer, line(1, 0)), "The Total for this document must be greater than zero."),
        (
            invoice(customer, line(Description="d" * 4001)),
            "Line 1: Description must not be more than 4000 characters long (it is 4001).",
        ),
        (
            invoice(customer, Reference="r" * 256),
            "Reference must not be more than 255 characters long (it is 256).",
        ),
        (invoice(customer, Status="PAID"), "Invoice not of valid status for creation"),
    ]
    results = send(xero, tenant, *(body for body, _message in cases), summarize_errors=False)
    for result, (_body, message) in zip(results, cases, strict=True):
        assert result.status_attribute_string == "ERROR"
        assert [e.message for e in result.validation_errors] == [message]
    assert xero.get_invoices(tenant).invoices == []
    draft = send(
        xero, tenant, invoice(customer, line(AccountCode=None), Status="DRAFT", DueDate=None)
    )[0]
    assert draft.status == "DRAFT", "a draft may lack an account code and a due date"


def test_status_transitions(xero, tenant, customer):
    draft = send(xero, tenant, invoice(customer, Status="DRAFT"))[0]
    approved = xero.update_invoice(
        tenant, draft.invoice_id, {"Invoices": [{"Status": "AUTHORISED"}]}
    ).invoices[0]
    assert approved.status == "AUTHORISED"
    with pytest.raises(AccountingBadRequestException) as back:
        xero.update_invoice(tenant, draft.invoice_id, {"Invoices": [{"Status": "DRAFT"}]})
    assert refusal(back) == [NOT_FOR_MODIFICATION]
    with pytest.raises(AccountingBadRequestException) as delete:
        xero.update_invoice(tenant, draft.invoice_id, {"Invoices": [{"Status": "DELETED"}]})
    assert refusal(delete) == [NOT_FOR_MODIFICATION]
    other = send(xero, tenant, invoice(customer, Status="SUBMITTED"))[0]
    deleted = xero.update_invoice(
        tenant, other.invoice_id, {"Invoices": [{"Status": "DELETED"}]}
    ).invoices[0]
    assert deleted.status == "DELETED" and deleted.amount_due == 0
    with pytest.raises(AccountingBadRequestException) as dead:
        xero.update_invoice(tenant, other.invoice_id, {"Invoices": [{"Reference": "again"}]})
    assert refusal(dead) == [NOT_FOR_MODIFICATION]


def test_void_needs_no_payments(xero, tenant, customer):
    created = send(xero, tenant, invoice(customer))[0]
    payment = pay(xero, tenant, created.invoice_id, 10)
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.update_invoice(tenant, created.invoice_id, {"Invoices": [{"Status": "VOIDED"}]})
    assert refusal(refused) == [NOT_FOR_MODIFICATION, HAS_PAYMENTS]
    xero.delete_payment(tenant, payment.payment_id, {"Status": "DELETED"})
    voided = xero.update_invoice(
        tenant, created.invoice_id, {"Invoices": [{"Status": "VOIDED"}]}
    ).invoices[0]
    assert (voided.status, voided.amount_due) == ("VOIDED", 0)
    draft = send(xero, tenant, invoice(customer, Status="DRAFT"))[0]
    with pytest.raises(AccountingBadRequestException) as not_approved:
        xero.update_invoice(tenant, draft.invoice_id, {"Invoices": [{"Status": "VOIDED"}]})
    assert refusal(not_approved) == [NOT_FOR_MODIFICATION]


def test_paid_invoice_accepts_only_editable_fields(xero, tenant, customer):
    created = send(xero, tenant, invoice(customer, line(1, 100)))[0]
    pay(xero, tenant, created.invoice_id, 20)
    line_id = created.line_items[0].line_item_id
    edit = {
        "Reference": "PO 42",
        "DueDate": "2026-04-30",
        "InvoiceNumber": "INV-RENAMED",
        "LineItems": [{"LineItemID": line_id, "Description": "Renamed", "AccountCode": "260"}],
    }
    edited = xero.update_invoice(tenant, created.invoice_id, {"Invoices": [edit]}).invoices[0]
    assert (edited.reference, edited.invoice_number) == ("PO 42", "INV-RENAMED")
    assert (
        edited.line_items[0].description == "Renamed" and edited.line_items[0].account_code == "260"
    )
    for change in (
        {"LineItems": [{"LineItemID": line_id, "UnitAmount": 90}]},
        {"LineItems": [{"LineItemID": line_id}, line()]},
        {"Date": "2026-03-02"},
        {"CurrencyCode": "AUD"},
    ):
        with pytest.raises(AccountingBadRequestException) as refused:
            xero.update_invoice(tenant, created.invoice_id, {"Invoices": [change]})
        assert refusal(refused) == [HAS_PAYMENTS], change


def test_line_items_update_add_and_remove(xero, tenant, customer):
    created = send(xero, tenant, invoice(customer, line(1, 10), line(1, 20), Status="DRAFT"))[0]
    first, _second = created.line_items
    body = {"LineItems": [{"LineItemID": first.line_item_id, "Quantity": 3}, line(1, 5)]}
    updated = xero.update_invoice(tenant, created.invoice_id, {"Invoices": [body]}).invoices[0]
    assert [(li.quantity, li.unit_amount) for li in updated.line_items] == [(3, 10), (1, 5)]
    assert updated.line_items[0].line_item_id == first.line_item_id
    assert updated.sub_total == Decimal("35.00")


def test_contact_by_name_is_created(xero, tenant):
    created = send(
        xero, tenant, {"Type": "ACCREC", "Contact": {"Name": "Walk-in"}, "LineItems": [line()]}
    )[0]
    contact = xero.get_contact(tenant, created.contact.contact_id).contacts[0]
    assert contact.name == "Walk-in" and contact.is_customer is True


def test_unitdp(sdk, xero, tenant, customer):
    created = send(xero, tenant, invoice(customer, line(3, 1.2345)), unitdp=4)[0]
    assert created.line_items[0].unit_amount == Decimal("1.2345")
    assert created.line_items[0].line_amount == Decimal("3.70")
    assert xero.get_invoice(tenant, created.invoice_id).invoices[0].line_items[
        0
    ].unit_amount == Decimal("1.23")
    for flag in ("unitdp=4", "UnitDP=4", "UNITDP=4"):
        _status, _headers, body = sdk.raw(
            "GET", "/api.xro/2.0/Invoices/" + created.invoice_id, tenant=tenant, query=flag
        )
        assert body["Invoices"][0]["LineItems"][0]["UnitAmount"] == 1.2345
    rounded = send(xero, tenant, invoice(customer, line(3, 1.2345)))[0]
    assert rounded.line_items[0].unit_amount == Decimal("1.23")


def test_invoice_list_filters_and_paging(xero, tenant, customer):
    other = xero.create_contacts(tenant, {"Contacts": [{"Name": "Other"}]}).contacts[0]
    made = send(
        xero,
        tenant,
        invoice(customer, InvoiceNumber="A-1"),
        invoice(customer, InvoiceNumber="A-2", Status="DRAFT"),
        invoice(other, InvoiceNumber="A-3", Reference="Ref three"),
    )
    summary = xero.get_invoices(tenant).invoices
    assert len(summary) == 3 and summary[0].line_items is None, "no lines without paging"
    assert xero.get_invoices(tenant, page=1).invoices[0].line_items[0].line_amount == Decimal(
        "100.00"
    )
    assert [
        i.invoice_number for i in xero.get_invoices(tenant, invoice_numbers=["A-2", "A-3"]).invoices
    ] == ["A-2", "A-3"]
    assert [
        i.invoice_number for i in xero.get_invoices(tenant, i_ds=[made[0].invoice_id]).invoices
    ] == ["A-1"]
    assert len(xero.get_invoices(tenant, statuses=["DRAFT"]).invoices) == 1
    assert [
        i.invoice_number
        for i in xero.get_invoices(tenant, contact_i_ds=[other.contact_id]).invoices
    ] == ["A-3"]
    where = 'Status=="AUTHORISED" AND Contact.ContactID==Guid("%s")' % customer.contact_id
    assert [i.invoice_number for i in xero.get_invoices(tenant, where=where).invoices] == ["A-1"]
    assert [i.invoice_number for i in xero.get_invoices(tenant, search_term="three").invoices] == [
        "A-3"
    ]
    page = xero.get_invoices(tenant, page=2, page_size=2)
    assert [i.invoice_number for i in page.invoices] == ["A-3"] and page.pagination.page_count == 2
    found = xero.get_invoice(tenant, "A-2").invoices[0]
    assert found.invoice_id == made[1].invoice_id
