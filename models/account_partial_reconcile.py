from collections import defaultdict

from odoo import _, api, fields, models
from odoo.tools import float_compare

from ..xero_api import payloads
from ..xero_api.payloads import totals as xero_totals

POSTED_PAYMENT_STATES = ("in_process", "paid")


class AccountPartialReconcile(models.Model):
    """Allocations of customer payments to customer invoices, as Xero payments.

    A Xero payment settles exactly one invoice, so one Odoo allocation (the partial reconcile of
    a payment's receivable line with an invoice's) is one Xero payment, linked by
    ``xero_payment_id``. Its Reference names the payment and the allocation
    (``payloads.payment_reference``): a create that reached Xero before a crash is found again
    by invoice and reference, and linked, never created twice.

    Xero payments are never edited. An allocation changed in Odoo is replaced: the intent
    (``xero_pending_action`` and the old id) is recorded and committed before Xero is called,
    so a crash between the delete and the create is finished by the next run. An allocation
    deleted in Odoo (unreconciled, payment or invoice reset or cancelled) leaves its Xero id on
    the payment (``account.payment.xero_removed_payments``) until Send Payment deletes it.
    What Send (New) Payment(s) does is in ``handlers/payments.py``.
    """

    _inherit = "account.partial.reconcile"

    xero_payment_id = fields.Char(string="Xero payment ID", copy=False, index="btree_not_null")
    xero_pending_action = fields.Selection(
        [("delete_then_create", "Delete in Xero, then create again")],
        copy=False,
        help="A replacement started and not finished: the next Send Payment finishes it.",
    )
    xero_pending_payment_id = fields.Char(
        string="Xero payment to delete",
        copy=False,
        index="btree_not_null",
        help="The Xero payment this allocation replaces; deleted before the new one is created.",
    )
    xero_amount = fields.Float(string="Amount sent to Xero", copy=False)
    xero_date = fields.Date(string="Date sent to Xero", copy=False)
    xero_account_code = fields.Char(string="Xero bank account sent", copy=False)
    xero_last_sync = fields.Datetime(string="Last sent to Xero", copy=False)
    xero_last_error = fields.Text(string="Last Xero error", copy=False)
    xero_invoice_move_id = fields.Many2one(related="debit_move_id.move_id", string="Invoice")
    xero_odoo_payment_id = fields.Many2one(related="credit_move_id.payment_id", string="Payment")

    _sql_constraints = [
        (
            "xero_payment_id_uniq",
            "UNIQUE(xero_payment_id)",
            "This Xero payment is already linked to another allocation.",
        ),
    ]

    @api.depends("debit_move_id", "credit_move_id")
    def _compute_display_name(self):
        for partial in self:
            source = partial.credit_move_id.payment_id.name or partial.credit_move_id.move_id.name
            partial.display_name = f"{source or '?'} → {partial.debit_move_id.move_id.name or '?'}"

    def unlink(self):
        """Remember the Xero payments of deleted allocations, so Send Payment deletes them."""
        if not self.env.context.get("xero_no_removal"):
            self._xero_remember_removed()
        return super().unlink()

    def _xero_remember_removed(self):
        by_payment = defaultdict(list)
        for partial in self.filtered(lambda p: p.xero_payment_id or p.xero_pending_payment_id):
            payment = partial.credit_move_id.payment_id
            invoice = partial.debit_move_id.move_id
            for xero_id in filter(None, (partial.xero_pending_payment_id, partial.xero_payment_id)):
                by_payment[payment].append(
                    {
                        "xero_id": xero_id,
                        "xero_invoice_id": invoice.xero_invoice_id or None,
                        "invoice": invoice.name,
                        "amount": partial.xero_amount,
                        "allocation": partial.id,
                    }
                )
        for payment, removed in by_payment.items():
            if payment:
                kept = payment.xero_removed_payments or []
                payment.sudo().xero_removed_payments = kept + removed

    # ------------------------------------------------------------------ helpers

    @api.model
    def _xero_allocation_domain(self, company=None):
        """Allocations of posted inbound customer payments to posted customer invoices."""
        domain = [
            ("debit_move_id.move_id.move_type", "=", "out_invoice"),
            ("debit_move_id.move_id.state", "=", "posted"),
            ("credit_move_id.payment_id.payment_type", "=", "inbound"),
            ("credit_move_id.payment_id.partner_type", "=", "customer"),
            ("credit_move_id.payment_id.state", "in", POSTED_PAYMENT_STATES),
        ]
        return ([("company_id", "=", company.id)] if company else []) + domain

    def _xero_mark_replacements(self, connection):
        """Linked allocations changed since sent: record "delete, then create" (no Xero call).

        :return: the allocations marked now.
        """
        resolver = self.env["xero.mapping"]._resolver(connection, "journal")
        changed = self.filtered(lambda p: p.xero_payment_id and p._xero_changed(resolver))
        for partial in changed:
            partial.write(
                {
                    "xero_pending_action": "delete_then_create",
                    "xero_pending_payment_id": partial.xero_payment_id,
                    "xero_payment_id": False,
                    "xero_last_error": False,
                }
            )
        return changed

    def _xero_changed(self, resolver):
        """True when the amount, date or Xero bank account differs from what was sent."""
        self.ensure_one()
        if not self.xero_date:  # linked without a record of what was sent: nothing to compare
            return False
        try:
            values = self._xero_payment_values(resolver)
        except payloads.PayloadError:
            return False
        rounding = self.debit_move_id.move_id.currency_id.rounding
        return bool(
            float_compare(values["amount"], self.xero_amount, precision_rounding=rounding)
            or values["date"] != self.xero_date
            or values["account_key"] != self.xero_account_code
        )

    def _xero_payment_values(self, resolver):
        """The plain values ``payloads.payment_payload`` maps, plus ``account_key``.

        :raise payloads.PayloadError: the payment's journal has no Xero bank account.
        """
        self.ensure_one()
        journals, default = resolver
        invoice = self.debit_move_id.move_id
        payment = self.credit_move_id.payment_id
        mapping = journals.get(payment.journal_id.id) or default
        if not mapping:
            raise payloads.PayloadError(
                _("Journal %s has no Xero bank account mapping.", payment.journal_id.display_name)
            )
        code, account_id = mapping
        currency = invoice.currency_id
        amount = currency.round(self.debit_amount_currency)
        rate = None
        if currency != invoice.company_id.currency_id:
            rate = self._xero_currency_rate(amount)
        return {
            "invoice_id": invoice.xero_invoice_id or None,
            "account_id": account_id or None,
            "account_code": code,
            "account_key": code or account_id,
            "date": payment.date,
            "amount": amount,
            "reference": payloads.payment_reference(payment.name, self.id),
            "currency_rate": rate,
        }

    def _xero_currency_rate(self, amount):
        """Units of the invoice's currency per unit of the company's: Odoo's rate on the
        payment's date (6 decimals) when it gives the amount the payment booked in the
        company's currency to the cent, else the booked ratio (``totals.currency_rate``)."""
        line = self.credit_move_id
        if line.amount_currency:
            company_amount = self.credit_amount_currency * abs(line.balance / line.amount_currency)
        else:
            company_amount = self.amount
        rate = xero_totals.currency_rate(
            amount, line.company_currency_id.round(company_amount), line.currency_rate
        )
        return float(rate) if rate is not None else None

    def _xero_linked(self, xero_id, values):
        """Link to Xero payment ``xero_id``; remember what was sent, to notice later changes."""
        self.write(
            {
                "xero_payment_id": xero_id,
                "xero_amount": values["amount"],
                "xero_date": values["date"],
                "xero_account_code": values["account_key"],
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
                "xero_pending_action": False,
                "xero_pending_payment_id": False,
            }
        )
