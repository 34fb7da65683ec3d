from odoo import api, models

from ..xero_api import payloads, wire


class XeroHandlerCreditNotes(models.AbstractModel):
    """Send New Credit Notes and Send Credit Note: customer credit notes (``out_refund``) as
    Xero ``ACCRECCREDIT`` credit notes, by the invoices' own code path (same values, same
    lines and totals to the cent, match by number before creating, updates and voids).

    Sends: customers not in Xero yet first, then new credit notes (``PUT /CreditNotes``, 50 a
    call), updates and voids (``POST``, 50 a call). Reads: the organisation's credit notes
    once (1,000 a page; then what changed, at most once a minute: ``org_index``), or, when
    the organisation has more pages than the task has batches, the batch's numbers with
    ``where`` filters of at most 10 terms (Xero has no ``CreditNoteNumbers`` list parameter:
    5 calls per 50); for updates the linked credit notes by id. Cost: 1 call per 50 new credit
    notes, plus the organisation's pages. Their allocations to invoices and the refunds paid
    out are sent by Send New Payments (``handlers/payments.py``).
    """

    _name = "xero.handler.credit_notes"
    _inherit = "xero.handler.invoices"
    _description = "Xero task handler: credit notes"
    _move_type = "out_refund"
    # Xero's documentation does not say its credit note numbers are unique: look up first.
    _optimistic = False

    @api.model
    def _as_document(self, invoice):
        return payloads.as_credit_note(invoice)

    @api.model
    def _number_queries(self, numbers):
        """``where`` filters of at most 10 numbers (Xero has no ``CreditNoteNumbers``)."""
        for where in wire.where_any(
            numbers, lambda n: "CreditNoteNumber==%s" % wire.where_string(n)
        ):
            yield {"where": where}

    @api.model
    def _amount_applied(self, document):
        """What is allocated to invoices or refunded of this credit note."""
        return float(document.get("Total") or 0) - float(document.get("RemainingCredit") or 0)
