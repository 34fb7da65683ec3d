from odoo import api, models

from ..models.xero_common import BATCH_SIZE
from ..xero_api import payloads, wire
from . import number_index


class XeroHandlerCreditNotes(models.AbstractModel):
    """Send New Credit Notes and Send Credit Note: customer credit notes (``out_refund``) as
    Xero ``ACCRECCREDIT`` credit notes, by the invoices' own code path (same values, same
    lines and totals to the cent, match by number before creating, updates and voids).

    Sends: customers not in Xero yet first, then new credit notes (``PUT /CreditNotes``, 50 a
    call), updates and voids (``POST``, 50 a call). Reads: the organisation's credit notes
    once (1,000 a page; then what changed, at most once a minute: ``number_index``), or, when
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
    def _send_batch(self, task, mode, records):
        """A task's first batch in this process reads what changed in Xero first (a task
        resumed after a worker died finds what that worker created)."""
        left = len(task._pending_lines(10 * BATCH_SIZE)) if task else 0
        handler = self.with_context(
            xero_batches_left=-(-left // BATCH_SIZE),
            xero_fresh_numbers=number_index.first_batch(task),
        )
        return super(XeroHandlerCreditNotes, handler)._send_batch(task, mode, records)

    @api.model
    def _fetch_by_number(self, connection, numbers):
        """Credit notes Xero has under these numbers (not voided or deleted): from the
        organisation read whole when that is cheaper (``number_index``), else looked up."""
        context = self.env.context
        found = number_index.lookup(
            connection,
            self._document(),
            numbers,
            context.get("xero_batches_left") or 1,
            fresh=bool(context.get("xero_key_salt") or context.get("xero_fresh_numbers")),
        )
        if found is None:
            return super()._fetch_by_number(connection, numbers)
        number = self._document().number
        return {r[number]: r for r in found if self._is_live(r)}

    @api.model
    def _number_queries(self, numbers):
        """``where`` filters of at most 10 numbers (Xero has no ``CreditNoteNumbers``)."""
        for where in wire.where_any(
            numbers, lambda n: "CreditNoteNumber==%s" % wire.where_string(n)
        ):
            yield {"where": where}

    @api.model
    def _id_queries(self, xero_ids):
        """``where`` filters of at most 10 ids, each read as a page (with the lines)."""
        for where in wire.where_any(xero_ids, lambda x: 'CreditNoteID==Guid("%s")' % x):
            yield {"where": where, "page_size": 100}

    @api.model
    def _amount_applied(self, document):
        """What is allocated to invoices or refunded of this credit note."""
        return float(document.get("Total") or 0) - float(document.get("RemainingCredit") or 0)
