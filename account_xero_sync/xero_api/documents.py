"""How Xero names the kinds of sales documents the addon sends and reads: their list keys,
types, id and number fields, the SDK methods that write and read them, and their path in
Xero's web app. Invoices and credit notes are sent by one code path (``handlers/invoices.py``)
and read by the read layer (``handlers/org_index.py``), which take the names from here."""

from typing import NamedTuple


class XeroDocument(NamedTuple):
    """How Xero names one kind of sales document: invoices and credit notes are sent by one
    code path (``handlers/invoices.py``), which reads the names it needs from here."""

    move_type: str
    key: str  # the list key of bodies and answers ("Invoices")
    type: str  # Xero's Type
    id: str  # the id field ("InvoiceID")
    number: str  # the number field ("InvoiceNumber")
    create: str  # SDK methods
    update: str
    read: str
    url: str  # the document's path in Xero's web app (see xero.connection._xero_deep_link)


XERO_DOCUMENTS = {
    "out_invoice": XeroDocument(
        "out_invoice",
        "Invoices",
        "ACCREC",
        "InvoiceID",
        "InvoiceNumber",
        "create_invoices",
        "update_or_create_invoices",
        "get_invoices",
        "/AccountsReceivable/View.aspx?InvoiceID=%s",
    ),
    "out_refund": XeroDocument(
        "out_refund",
        "CreditNotes",
        "ACCRECCREDIT",
        "CreditNoteID",
        "CreditNoteNumber",
        "create_credit_notes",
        "update_or_create_credit_notes",
        "get_credit_notes",
        "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=%s",
    ),
}
