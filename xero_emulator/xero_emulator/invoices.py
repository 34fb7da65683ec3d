"""Invoices: the invoice `Kind` of the shared document rules, and how Xero renders one."""

from . import contacts as contact_rules
from .documents import MSG_HAS_PAYMENTS, MSG_LOCKED, Kind, find_document, upsert_document
from .lines import ZERO, compute_totals
from .links import Links, payment_summary
from .wire import quantize

__all__ = [
    "INVOICE",
    "MSG_HAS_PAYMENTS",
    "MSG_LOCKED",
    "ZERO",
    "compute_totals",
    "find_invoice",
    "render_invoice",
    "upsert_invoice",
]

INVOICE = Kind(
    collection="invoices",
    id_key="InvoiceID",
    number_key="InvoiceNumber",
    types=("ACCREC", "ACCPAY"),
    prefix="INV-",
    due_date_required=True,
    limits={"InvoiceNumber": 255, "Reference": 255},
    defaults={"Prepayments": [], "Overpayments": [], "CreditNotes": []},
    msg_not_object="An invoice must be a JSON object.",
    msg_type="The invoice Type must be ACCREC or ACCPAY.",
    msg_number_taken="Invoice # must be unique.",
    msg_not_found="An existing invoice with the specified ID could not be found",
    msg_not_for_creation="Invoice not of valid status for creation",
    msg_not_for_modification="Invoice not of valid status for modification",
)


def find_invoice(org, ref):
    """An invoice by id or (sales) number; None when absent."""
    return find_document(org, INVOICE, ref)


def upsert_invoice(org, raw, now, mode="upsert", unitdp=2, path_id=None, warnings=None):
    """Create or update one invoice; returns (stored record or None, errors, echo).

    `mode` is `create` (PUT) or `upsert` (POST, which also finds an invoice by its number).
    Nothing is stored on error. `warnings` (a list) receives the item's warnings.
    """
    record, errors, echo = upsert_document(org, INVOICE, raw, now, mode, unitdp, path_id, warnings)
    if record and record["Type"] == "ACCREC" and record.get("Contact"):
        contact = org.contacts.get(record["Contact"]["ContactID"].lower())
        if contact:
            contact_rules.mark_customer(org, contact, now)
    return record, errors, echo


def credit_note_summary(org, allocation):
    """A credit note allocated to an invoice, as Xero lists it in the invoice's CreditNotes."""
    note = org.credit_notes.get(allocation["CreditNote"]["CreditNoteID"].lower(), {})
    summary = {
        "CreditNoteID": allocation["CreditNote"]["CreditNoteID"],
        "CreditNoteNumber": note.get("CreditNoteNumber", ""),
        "AppliedAmount": allocation["Amount"],
        "Date": allocation["Date"],
        "LineItems": [],
        "HasErrors": False,
    }
    if "Total" in note:
        summary["Total"] = note["Total"]
    return summary


def render_invoice(org, record, with_lines=True, unitdp=2, links=None):
    """The invoice as Xero returns it: current contact, payments, credit notes, attachments.

    Without `unitdp=4`, unit amounts are shown to 2 decimals as Xero does.
    """
    out = dict(record)
    contact = org.contacts.get(str(record.get("Contact", {}).get("ContactID", "")).lower())
    if contact:
        out["Contact"] = contact_rules.contact_summary(contact)
    invoice_id = record["InvoiceID"]
    links = Links(org) if links is None else links
    out["Payments"] = [payment_summary(p) for p in links.payments(invoice_id)]
    out["CreditNotes"] = [credit_note_summary(org, a) for a in links.allocations(invoice_id)]
    out["HasAttachments"] = bool(org.attachments.get(invoice_id.lower()))
    out["HasErrors"] = False
    if not with_lines:
        out.pop("LineItems", None)
    elif unitdp != 4:
        out["LineItems"] = [
            dict(line, UnitAmount=quantize(line["UnitAmount"])) for line in out.get("LineItems", [])
        ]
    return out
