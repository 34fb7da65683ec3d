from odoo import _, api, models

from ..models.account_partial_reconcile import POSTED_PAYMENT_STATES
from ..models.xero_texts import xero_text
from ..tasks.common import Decision


class XeroHandlerPayments(models.AbstractModel):
    """What the payments handler shows and plans besides the allocations it sends: the
    preview rows of the removals to make in Xero and of the money waiting for an allocation,
    and the plan of an allocation whose invoice or credit note is not in Xero yet (sent first
    by its own handler: a preview asks that handler)."""

    _inherit = "xero.handler.payments"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the payments' previews of what is not an allocation to send

    @api.model
    def _removal_rows(self, connection):
        """Preview rows of the Xero allocations Send New Payments will delete."""
        _ = self.env._  # a list comprehension's frame does not give Odoo the language
        return [
            {
                "res_model": "account.move",
                "res_id": note.id,
                "name": note.name,
                "partner_id": note.commercial_partner_id.id,
                "action": "update",
                "reason": _(
                    "Removed in Odoo, deleted in Xero: %s",
                    ", ".join(
                        "%s (%s)" % (r.get("invoice"), r.get("amount"))
                        for r in note.xero_removed_allocations
                    ),
                ),
                "xero_id": note.xero_invoice_id,
                "currency_id": note.currency_id.id,
                "amount_total": note.amount_total,
            }
            for note in self._credit_notes_with_removals(connection)
        ]

    @api.model
    def _waiting_rows(self, connection):
        """Preview rows of the parts of payments not allocated to any invoice (they wait)."""
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", connection.company_id.id),
                ("parent_state", "=", "posted"),
                ("payment_id.payment_type", "=", "inbound"),
                ("payment_id.partner_type", "=", "customer"),
                ("payment_id.state", "in", POSTED_PAYMENT_STATES),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("credit", ">", 0),
            ],
            order="id",
        )
        rows = []
        for line in lines:
            payment = line.payment_id
            open_amount = abs(line.amount_residual_currency)
            if line.currency_id.is_zero(open_amount):
                continue
            rows.append(
                {
                    "res_model": "account.payment",
                    "res_id": payment.id,
                    "name": payment.name,
                    "partner_id": payment.partner_id.commercial_partner_id.id,
                    "action": "waiting",
                    "reason": _(
                        "%(amount)s not allocated to an invoice (overpayment or payment on "
                        "account): sent once allocated to an invoice.",
                        amount=line.currency_id.format(open_amount),
                    ),
                    "currency_id": line.currency_id.id,
                    "amount_total": payment.amount,
                    "amount_allocated": 0.0,
                }
            )
        return rows

    @api.model
    def _documents_preview(self, batch, partials):
        """``{move id: Decision}``: what the run, which sends them first by their own handlers,
        would do with the invoices and credit notes of ``partials`` not in Xero yet."""
        moves = self.env["account.move"]
        for partial in partials:
            moves |= partial._xero_paid_document()
        moves = moves.filtered(lambda m: not m.xero_invoice_id)
        plan = {}
        for move_type, handler in (
            ("out_invoice", "xero.handler.invoices"),
            ("out_refund", "xero.handler.credit_notes"),
        ):
            documents = moves.filtered(lambda m, t=move_type: m.move_type == t)
            if documents:
                plan.update(self.env[handler]._decide(batch.but(mode="new"), documents))
        return plan

    @api.model
    def _document_not_in_xero(self, document, preview, decision=None):
        """The invoice or credit note is not in Xero: sent first (preview: unless its own plan,
        ``decision``, blocks it), else blocked."""
        if preview and not (decision and decision.action == "blocked"):
            return Decision("create", reason=_("%s is sent to Xero first.", document.name))
        return Decision(
            "blocked",
            reason=_(
                "%(name)s is not in Xero: %(why)s",
                name=document.name,
                why=xero_text(self.env, decision.reason if decision else document.xero_last_error)
                or _("it could not be sent."),
            ),
        )
