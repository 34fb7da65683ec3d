"""Credit notes: the credit note `Kind` of the shared document rules, and how Xero renders one.

A credit note is created, updated, approved, voided and deleted like an invoice (same lines,
totals, currencies, contacts and locks). Sales credit notes (ACCRECCREDIT) have unique numbers,
`CN-0001`... when absent, drawn from the invoices' sequence as Xero does; a credit note needs no
DueDate. Its `RemainingCredit` is its total less allocations and refunds; at 0 it is PAID.
Allocations sent inside a credit note are ignored: they are made with
`PUT /CreditNotes/{id}/Allocations` (see allocations.py).
"""

from . import contacts as contact_rules
from .documents import Kind, find_document, upsert_document
from .links import Links, payment_summary
from .wire import quantize

CREDIT_NOTE = Kind(
    collection="credit_notes",
    id_key="CreditNoteID",
    number_key="CreditNoteNumber",
    types=("ACCRECCREDIT", "ACCPAYCREDIT"),
    prefix="CN-",
    due_date_required=False,
    limits={"CreditNoteNumber": 255, "Reference": 255},
    defaults={},
    msg_not_object="A credit note must be a JSON object.",
    msg_type="The credit note Type must be ACCRECCREDIT or ACCPAYCREDIT.",
    msg_number_taken="Credit Note # must be unique.",
    msg_not_found="An existing credit note with the specified ID could not be found",
    msg_not_for_creation="Credit note not of valid status for creation",
    msg_not_for_modification="Credit note not of valid status for modification",
)
# Kept on the stored record for the shared rules, not part of Xero's CreditNote.
INTERNAL = ("AmountPaid", "AmountCredited", "AmountDue")
REFUND_TYPES = {"ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT"}
# The invoice type a credit note of each type may be allocated to.
INVOICE_TYPE_FOR = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def find_credit_note(org, ref):
    """A credit note by id or number (not a DELETED one by number); None when absent."""
    return find_document(org, CREDIT_NOTE, ref)


def upsert_credit_note(org, raw, now, mode="upsert", unitdp=2, path_id=None, warnings=None):
    """Create or update one credit note; returns (stored record or None, errors, echo)."""
    if isinstance(raw, dict) and "Allocations" in raw:
        raw = {k: v for k, v in raw.items() if k != "Allocations"}
    return upsert_document(org, CREDIT_NOTE, raw, now, mode, unitdp, path_id, warnings)


def allocation_summary(org, allocation):
    """An allocation as Xero lists it inside a credit note."""
    invoice = org.invoices.get(allocation["Invoice"]["InvoiceID"].lower(), {})
    return {
        "AllocationID": allocation["AllocationID"],
        "Amount": allocation["Amount"],
        "Date": allocation["Date"],
        "Invoice": {
            "InvoiceID": allocation["Invoice"]["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
        },
    }


def render_credit_note(org, record, with_lines=True, unitdp=2, links=None):
    """The credit note as Xero returns it: contact, RemainingCredit, allocations, refunds."""
    out = {k: v for k, v in record.items() if k not in INTERNAL}
    out["RemainingCredit"] = record["AmountDue"]
    contact = org.contacts.get(str(record.get("Contact", {}).get("ContactID", "")).lower())
    if contact:
        out["Contact"] = contact_rules.contact_summary(contact)
    note_id = record["CreditNoteID"]
    links = Links(org) if links is None else links
    out["Allocations"] = [allocation_summary(org, a) for a in links.allocations(note_id)]
    out["Payments"] = [payment_summary(p) for p in links.payments(note_id)]
    out["HasAttachments"] = False
    out["HasErrors"] = False
    if not with_lines:
        out.pop("LineItems", None)
    elif unitdp != 4:
        out["LineItems"] = [
            dict(line, UnitAmount=quantize(line["UnitAmount"])) for line in out.get("LineItems", [])
        ]
    return out
