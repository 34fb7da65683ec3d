"""Credit notes through the real xero-python SDK: totals, numbers, rules, statuses, lists."""

import datetime
from decimal import Decimal

import pytest
from xero_emulator.testing import (
    credit_note_body,
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

NOT_FOR_MODIFICATION = "Credit note not of valid status for modification"


@pytest.fixture
def customer(xero, tenant):
    return xero.create_contacts(tenant, {"Contacts": [{"Name": "Refund Ltd"}]}).contacts[0]


def send(xero, tenant, *bodies, **options):
    return xero.create_credit_notes(tenant, {"CreditNotes": list(bodies)}, **options).credit_notes


def test_credit_note_totals_number_and_remaining_credit(xero, tenant, customer):
    note = make_credit_note(xero, tenant, customer, sales_line(10.5), sales_line(10.5))
    assert (note.type, note.status, note.credit_note_number) == (
        "ACCRECCREDIT",
        "AUTHORISED",
        "CN-0001",
    )
    assert [li.tax_amount for li in note.line_items] == [Decimal("1.58")] * 2, "tax per line"
    assert (note.sub_total, note.total_tax, note.total) == (
        Decimal("21.00"),
        Decimal("3.16"),
        Decimal("24.16"),
    )
    assert note.remaining_credit == Decimal("24.16") and note.due_date is None
    assert (note.allocations, note.payments, note.currency_rate) == ([], [], 1)
    assert note.date == datetime.date(2026, 3, 5) and note.has_attachments is False
    assert isinstance(note.updated_date_utc, datetime.datetime)
    assert note.contact.contact_id == customer.contact_id
    # Invoices and credit notes share one sequence: INV-0002, then CN-0003.
    assert make_invoice(xero, tenant, customer).invoice_number == "INV-0002"
    assert make_credit_note(xero, tenant, customer).credit_note_number == "CN-0003"


def test_credit_note_number_unique_for_sales_credit_notes(xero, tenant, customer):
    send(xero, tenant, credit_note_body(customer, CreditNoteNumber="CR-1"))
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, credit_note_body(customer, CreditNoteNumber="cr-1"))
    assert refusal(refused) == ["Credit Note # must be unique."]
    supplier = credit_note_body(customer, Type="ACCPAYCREDIT", LineItems=[sales_line(tax="INPUT2")])
    assert send(xero, tenant, supplier)[0].credit_note_number is None, "no number for ACCPAYCREDIT"
    assert (
        send(xero, tenant, dict(supplier, CreditNoteNumber="CR-1"))[0].credit_note_number == "CR-1"
    )


def test_credit_note_rules_are_the_invoice_rules(xero, tenant, customer):
    cases = [
        (
            credit_note_body(customer, sales_line(AccountCode="999")),
            "Account code '999' is not a valid code for this document.",
        ),
        (
            credit_note_body(customer, sales_line(tax="GST99")),
            "The TaxType code 'GST99' does not exist or cannot be used for this type "
            "of transaction.",
        ),
        (
            credit_note_body(customer, sales_line(AccountCode=None)),
            "Account code must be specified",
        ),
        (
            credit_note_body(customer, sales_line(-5)),
            "The Total for this document must be greater than or equal to zero.",
        ),
        (
            credit_note_body(customer, sales_line(0)),
            "The Total for this document must be greater than zero.",
        ),
        (
            credit_note_body(customer, CurrencyCode="EUR"),
            "Organisation is not subscribed to currency EUR",
        ),
        (
            credit_note_body(customer, Reference="r" * 256),
            "Reference must not be more than 255 characters long (it is 256).",
        ),
        (
            credit_note_body(customer, Status="PAID"),
            "Credit note not of valid status for creation",
        ),
        (
            credit_note_body(customer, Type=None),
            "The credit note Type must be ACCRECCREDIT or ACCPAYCREDIT.",
        ),
    ]
    results = send(xero, tenant, *(body for body, _ in cases), summarize_errors=False)
    for result, (_body, message) in zip(results, cases, strict=True):
        assert result.status_attribute_string == "ERROR" and result.has_errors is True
        assert [e.message for e in result.validation_errors] == [message]
    assert xero.get_credit_notes(tenant).credit_notes == []
    with pytest.raises(AccountingBadRequestException) as whole:
        send(xero, tenant, credit_note_body(customer), credit_note_body(customer, sales_line(-5)))
    assert len(whole.value.error_data["Elements"]) == 1
    assert xero.get_credit_notes(tenant).credit_notes == [], "a refused batch writes nothing"
    draft = send(
        xero, tenant, credit_note_body(customer, sales_line(AccountCode=None), Status="DRAFT")
    )
    assert draft[0].status == "DRAFT", "a draft may lack an account code"


def test_archived_contact_takes_no_new_credit_note(xero, tenant, customer):
    xero.update_contact(tenant, customer.contact_id, {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, credit_note_body(customer))
    assert refusal(refused) == [
        "The contact with the specified contact details has been archived. "
        "The contact must be un-archived before creating new invoices or credit notes."
    ]


def test_credit_note_status_transitions(xero, tenant, customer):
    draft = send(xero, tenant, credit_note_body(customer, Status="DRAFT"))[0]
    approved = xero.update_credit_note(
        tenant, draft.credit_note_id, {"CreditNotes": [{"Status": "AUTHORISED"}]}
    ).credit_notes[0]
    assert approved.status == "AUTHORISED" and approved.credit_note_number == "CN-0001"
    for status in ("DRAFT", "DELETED"):
        with pytest.raises(AccountingBadRequestException) as back:
            xero.update_credit_note(
                tenant, draft.credit_note_id, {"CreditNotes": [{"Status": status}]}
            )
        assert refusal(back) == [NOT_FOR_MODIFICATION]
    voided = xero.update_credit_note(
        tenant, draft.credit_note_id, {"CreditNotes": [{"Status": "VOIDED"}]}
    ).credit_notes[0]
    assert (voided.status, voided.remaining_credit) == ("VOIDED", 0)
    other = send(xero, tenant, credit_note_body(customer, Status="SUBMITTED"))[0]
    deleted = xero.update_credit_note(
        tenant, other.credit_note_id, {"CreditNotes": [{"Status": "DELETED"}]}
    ).credit_notes[0]
    assert deleted.status == "DELETED"
    with pytest.raises(AccountingBadRequestException) as dead:
        xero.update_credit_note(tenant, other.credit_note_id, {"CreditNotes": [{"Reference": "x"}]})
    assert refusal(dead) == [NOT_FOR_MODIFICATION]


def test_post_updates_by_id_or_number_and_get_takes_the_id(xero, tenant, customer):
    note = make_credit_note(xero, tenant, customer, Status="DRAFT", CreditNoteNumber="CR-9")
    by_number = {"CreditNoteNumber": "CR-9", "Reference": "by number"}
    updated = xero.update_or_create_credit_notes(tenant, {"CreditNotes": [by_number]})
    assert updated.credit_notes[0].credit_note_id == note.credit_note_id
    assert xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0].reference == (
        "by number"
    )
    line_id = note.line_items[0].line_item_id
    edit = {"LineItems": [{"LineItemID": line_id, "Quantity": 2}], "Status": "AUTHORISED"}
    edited = xero.update_credit_note(tenant, note.credit_note_id, {"CreditNotes": [edit]})
    assert edited.credit_notes[0].total == Decimal("46.00")
    with pytest.raises(NotFoundException):
        xero.get_credit_note(tenant, "CR-9")
    unknown = {"CreditNoteID": "4b6c2c1e-0f0e-4c59-9d7c-1f9a4a8f5e11", "Reference": "x"}
    with pytest.raises(AccountingBadRequestException) as missing:
        xero.update_or_create_credit_notes(tenant, {"CreditNotes": [unknown]})
    assert refusal(missing) == ["An existing credit note with the specified ID could not be found"]
    created = xero.update_or_create_credit_notes(
        tenant, {"CreditNotes": [credit_note_body(customer)]}
    )
    assert created.credit_notes[0].credit_note_number == "CN-0001"


def test_credit_note_lists(xero, tenant, customer, control):
    other = xero.create_contacts(tenant, {"Contacts": [{"Name": "Other"}]}).contacts[0]
    first = send(
        xero,
        tenant,
        credit_note_body(customer, CreditNoteNumber="C-1"),
        credit_note_body(customer, CreditNoteNumber="C-2", Status="DRAFT"),
    )
    mark = control.advance(300)
    late = send(xero, tenant, credit_note_body(other, CreditNoteNumber="C-3", Reference="Three"))
    summary = xero.get_credit_notes(tenant).credit_notes
    assert [c.credit_note_number for c in summary] == ["C-1", "C-2", "C-3"]
    assert summary[0].line_items is None, "no lines without paging"
    since = datetime.datetime.fromtimestamp(mark, tz=datetime.timezone.utc)
    changed = xero.get_credit_notes(tenant, if_modified_since=since).credit_notes
    assert [c.credit_note_id for c in changed] == [late[0].credit_note_id]
    where = 'Status=="AUTHORISED" AND Contact.ContactID==Guid("%s")' % customer.contact_id
    assert [
        c.credit_note_number for c in xero.get_credit_notes(tenant, where=where).credit_notes
    ] == ["C-1"]
    assert [
        c.credit_note_number
        for c in xero.get_credit_notes(
            tenant, where="RemainingCredit>0", order="CreditNoteNumber DESC"
        ).credit_notes
    ] == ["C-3", "C-2", "C-1"]
    page = xero.get_credit_notes(tenant, page=2, page_size=2)
    assert [c.credit_note_number for c in page.credit_notes] == ["C-3"]
    assert (page.pagination.page_count, page.pagination.item_count) == (2, 3)
    assert page.credit_notes[0].line_items[0].line_amount == Decimal("20.00")
    assert first[0].credit_note_id in {c.credit_note_id for c in summary}


def test_unitdp_and_schema(sdk, xero, tenant, customer):
    note = send(xero, tenant, credit_note_body(customer, sales_line(1.2345)), unitdp=4)[0]
    assert note.line_items[0].unit_amount == Decimal("1.2345")
    shown = xero.get_credit_note(tenant, note.credit_note_id).credit_notes[0]
    assert shown.line_items[0].unit_amount == Decimal("1.23")
    assert xero.get_credit_note(tenant, note.credit_note_id, unitdp=4).credit_notes[0].line_items[
        0
    ].unit_amount == Decimal("1.2345")
    if not schema.available():
        return
    bad = credit_note_body(customer, sales_line(Quantity="two"))
    status, _headers, body = sdk.raw(
        "PUT", "/api.xro/2.0/CreditNotes", {"CreditNotes": [bad]}, tenant=tenant
    )
    assert status == 400 and body["Type"] == "PostDataInvalidException"
    assert "CreditNotes[0].LineItems[0].Quantity: expected a number" in body["Message"]


@pytest.mark.parametrize("discount", [{"DiscountRate": 10}, {"DiscountAmount": 2}])
def test_credit_notes_take_no_line_discount(xero, tenant, customer, discount):
    """Spec, LineItem.DiscountRate and DiscountAmount: "credit notes in Xero do not support
    discounts": refused, nothing saved; the same line at its net unit price is taken."""
    with pytest.raises(AccountingBadRequestException) as refused:
        send(xero, tenant, credit_note_body(customer, sales_line(20, **discount)))
    assert refusal(refused) == [
        "Discounts (DiscountRate, DiscountAmount) are not supported on credit notes."
    ]
    assert xero.get_credit_notes(tenant).credit_notes == []
    note = make_credit_note(xero, tenant, customer, sales_line(18))
    assert note.total == Decimal("20.70")
