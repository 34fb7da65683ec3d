from odoo import api, models

from . import org_index, xero_reads


class XeroHandlerPayments(models.AbstractModel):
    """The payments handler's reads of Xero: the invoices and credit notes paid, and the
    invoices' live payments, in bulk through ``xero_reads`` (the layer the send family shares
    with Fetch New Payments: neither imports the other); a task's invoices through its read of
    the organisation (``org_index``)."""

    _inherit = "xero.handler.payments"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the payments' reads of Xero

    @api.model
    def _fetch_invoices(self, connection, xero_invoice_ids, task=None, fresh=False):
        """Xero invoices by id, keyed by lower-case InvoiceID.

        ``IDs`` filter, split so each query string stays under Xero's limit (about 38 GUIDs a
        call), each chunk read page by page; for a ``task``, what its read of the organisation
        holds first (``org_index``; ``fresh``: what changed is read at once, as when the batch
        is tried again).
        """
        ids = sorted({i for i in xero_invoice_ids if i})
        found = {}
        if task is not None and ids:
            found = org_index.task_invoices(connection, task, ids, fresh)
            ids = [i for i in ids if i.lower() not in found]
        found.update(xero_reads.by_lower_id(connection, "out_invoice", ids))
        return found

    @api.model
    def _fetch_credit_notes(self, connection, xero_ids):
        """Xero credit notes by id, keyed by lower-case CreditNoteID, with their remaining
        credit, allocations and refunds (``where`` of at most 10 ids a call)."""
        return xero_reads.by_lower_id(connection, "out_refund", xero_ids)

    @api.model
    def _fetch_live_payments(self, connection, invoice_keys):
        """Live (AUTHORISED) payments of these invoices with their Reference:
        ``{lower-case InvoiceID: [payment]}``.

        ``where`` on Invoice.InvoiceID, at most 10 invoices a call (``wire.where_any``: Xero
        refuses long ``OR`` chains on large organisations), each read page by page
        (``xero_reads``).
        """
        return xero_reads.live_payments(connection, invoice_keys)
