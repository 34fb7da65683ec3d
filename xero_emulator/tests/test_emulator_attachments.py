"""Invoice attachments through the real xero-python SDK."""

import pytest
from xero_python.exceptions import NotFoundException
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException


@pytest.fixture
def invoice(xero, tenant):
    contact = xero.create_contacts(tenant, {"Contacts": [{"Name": "Files Ltd"}]}).contacts[0]
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact.contact_id},
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}],
    }
    return xero.create_invoices(tenant, {"Invoices": [body]}).invoices[0]


def test_put_list_read_and_replace(xero, sdk, tenant, invoice):
    made = xero.create_invoice_attachment_by_file_name(
        tenant, invoice.invoice_id, "INV 0001.pdf", b"%PDF-1.4 first", include_online=True
    ).attachments[0]
    assert (made.file_name, made.mime_type, made.content_length) == (
        "INV 0001.pdf",
        "application/pdf",
        14,
    )
    assert made.include_online is True
    assert xero.get_invoice(tenant, invoice.invoice_id).invoices[0].has_attachments is True
    replaced = xero.update_invoice_attachment_by_file_name(
        tenant, invoice.invoice_id, "INV 0001.pdf", b"%PDF-1.4 second!"
    ).attachments[0]
    listed = xero.get_invoice_attachments(tenant, invoice.invoice_id).attachments
    assert [(a.file_name, a.content_length) for a in listed] == [("INV 0001.pdf", 16)]
    assert replaced.attachment_id == listed[0].attachment_id
    status, headers, body = sdk.raw(
        "GET",
        "/api.xro/2.0/Invoices/%s/Attachments/INV%%200001.pdf" % invoice.invoice_id,
        tenant=tenant,
    )
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert body == "%PDF-1.4 second!"


def test_at_most_ten_attachments(xero, tenant, invoice):
    for number in range(10):
        xero.create_invoice_attachment_by_file_name(
            tenant, invoice.invoice_id, "f%d.txt" % number, b"x"
        )
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_invoice_attachment_by_file_name(tenant, invoice.invoice_id, "f10.txt", b"x")
    messages = [
        m["Message"] for e in refused.value.error_data["Elements"] for m in e["ValidationErrors"]
    ]
    assert messages == [
        "The maximum number of attachments (10) has been reached for this document."
    ]
    replaced = xero.create_invoice_attachment_by_file_name(
        tenant, invoice.invoice_id, "f3.txt", b"yy"
    )
    assert replaced.attachments[0].content_length == 2, "replacing a file by name is still allowed"
    assert len(xero.get_invoice_attachments(tenant, invoice.invoice_id).attachments) == 10


def test_attachment_on_unknown_invoice_is_404(xero, tenant):
    with pytest.raises(NotFoundException):
        xero.create_invoice_attachment_by_file_name(
            tenant, "0b5e8f0e-7f43-4c6e-9d8a-2f7a5c3e9b10", "a.pdf", b"%PDF"
        )
