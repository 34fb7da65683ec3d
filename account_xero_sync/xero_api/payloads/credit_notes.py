"""Sales credit notes (``ACCRECCREDIT``): the invoice's body under the credit note's names.

A credit note is built like a sales invoice (same lines, taxes, totals rules and limits), so
the invoice builders make it and :func:`as_credit_note` renames what differs.
"""

from ..texts import _lt
from ..wire import PayloadError, date_text, rounded

RENAMED = {"InvoiceID": "CreditNoteID", "InvoiceNumber": "CreditNoteNumber"}


def as_credit_note(invoice):
    """A body of ``invoice_payload``, ``invoice_update_payload`` or ``void_invoice_payload``
    as the same body for a sales credit note."""
    body = {RENAMED.get(field, field): value for field, value in invoice.items()}
    if "Type" in body:
        body["Type"] = "ACCRECCREDIT"
    return body


def allocation_payload(values):
    """``PUT /CreditNotes/{id}/Allocations`` item: ``values`` has ``invoice_id``, ``amount``
    (in the documents' currency) and ``date``."""
    if not values.get("invoice_id"):
        raise PayloadError(_lt("The invoice is not in Xero: the credit cannot be allocated."))
    amount = rounded(values.get("amount"), 2, _lt("Allocation amount"))
    if amount <= 0:
        raise PayloadError(_lt("An allocation must be above zero."))
    return {
        "Invoice": {"InvoiceID": values["invoice_id"]},
        "Amount": amount,
        "Date": date_text(values.get("date"), _lt("Allocation date"), required=True),
    }
