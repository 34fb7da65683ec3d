from odoo import api, models

from ..models.xero_result import Result
from ..xero_api import wire
from . import org_index, xero_reads
from .invoices import NUMBER_TAKEN


class XeroHandlerInvoiceReads(models.AbstractModel):
    """What the invoices' handler (and so the credit notes') reads of Xero: documents by
    number (the organisation's read whole, or looked up) and by id, and the numbers Xero
    refuses as taken, found and linked after an optimistic create."""

    _inherit = "xero.handler.invoices"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the invoices' reads of Xero

    @api.model
    def _fetch_by_number(self, batch, numbers):
        """Sales documents of this kind Xero has under these numbers (not voided or deleted):
        from the organisation's documents read whole when that costs no more than looking up
        the batches left of ``batch`` (``org_index``), else looked up (``_number_queries``)."""
        document, connection = self._document(), batch.connection
        queries = list(self._number_queries(numbers))
        records = org_index.documents_by_number(
            connection,
            document,
            numbers,
            len(queries) * (batch.batches_left or 1),
            fresh=batch.retry or batch.fresh_numbers,
        )
        if records is None:
            records = [
                record
                for query in queries
                for record in connection._xero_read_all(
                    document.read, document.key, unitdp=4, **query
                )
            ]
        return {r[document.number]: r for r in records if self._is_live(r)}

    @api.model
    def _is_live(self, record):
        """A Xero document of this kind that a number can match (not voided or deleted)."""
        return record.get("Type") == self._document().type and record.get("Status") not in (
            "DELETED",
            "VOIDED",
        )

    @api.model
    def _fetch_current(self, connection, xero_ids):
        """Xero's current state of these linked documents, by id, with their lines."""
        return xero_reads.documents_by_id(connection, self._move_type, xero_ids)

    @api.model
    def _number_queries(self, numbers):
        """The reads that find these numbers: ``InvoiceNumbers`` lists, split by length."""
        for chunk in wire.chunk_by_length(numbers, str, separator_len=3):
            yield {"invoice_numbers": chunk}

    @api.model
    def _taken_numbers(self, batch, moves, answers):
        """The documents Xero refused because their number is taken: read those numbers in one
        look-up, then link each (same customer and total) or block it, as a match made before
        creating would have."""
        taken = self.env["account.move"].browse(
            [
                move.id
                for move, answer in zip(moves, answers, strict=True)
                if any(NUMBER_TAKEN in error for error in answer.get("errors") or [])
            ]
        )
        if not taken:
            return {}
        existing = self._fetch_by_number(batch, taken.mapped("name"))
        missing = [name for name in taken.mapped("name") if name not in existing]
        if missing:  # taken since the organisation was read: read what changed
            existing.update(self._fetch_by_number(batch.but(fresh_numbers=True), missing))
        results = {}
        for move in taken.filtered(lambda m: m.name in existing):
            decision = self._match(move, existing[move.name], batch.connection)
            if decision.action == "link":
                move._xero_linked(decision.xero_id, document=decision.xero)
                results[move.id] = Result("linked", decision.xero_id, decision.reason)
            else:
                results[move.id] = Result("blocked", None, decision.reason)
        return results
