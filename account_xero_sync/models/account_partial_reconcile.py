from collections import defaultdict

from odoo import _, api, fields, models
from odoo.osv import expression
from odoo.tools import float_compare

from ..xero_api import payloads
from ..xero_api.payloads import totals as xero_totals

POSTED_PAYMENT_STATES = ("in_process", "paid")


class AccountPartialReconcile(models.Model):
    """Allocations (partial reconciles of receivable lines) as Xero objects, of three kinds
    (:meth:`_xero_kind`): a customer payment on an invoice (a Xero payment), a credit note on
    an invoice (a Xero allocation of the credit note), a refund paid out on a credit note (a
    Xero payment on the credit note). A Xero payment settles exactly one document, so one
    allocation is one Xero object, linked by ``xero_payment_id``, plus for a payment with a
    write-off the payment of the part written off (``xero_writeoff_payment_id``). A payment's
    Reference names the payment and the allocation (``payloads.payment_reference``): a create
    that reached Xero before a crash is found again by document and reference, and linked,
    never created twice.

    Xero payments are never edited. An allocation changed in Odoo is replaced: the intent
    (``xero_pending_action`` and the old ids) is recorded and committed before Xero is called,
    so a crash between the delete and the create is finished by the next run. An allocation
    deleted in Odoo (unreconciled, payment or invoice reset or cancelled) leaves its Xero ids on
    the payment (``account.payment.xero_removed_payments``) until Send Payment deletes them, or
    for a credit note on the credit note (``account.move.xero_removed_allocations``) until Send
    New Payments deletes them. What the tasks do is in ``handlers/payments.py``.
    """

    _inherit = "account.partial.reconcile"

    xero_payment_id = fields.Char(
        string="Xero payment ID",
        copy=False,
        index="btree_not_null",
        help="The Xero payment of this allocation, or for a credit note allocated to an invoice "
        "the Xero allocation (AllocationID).",
    )
    xero_pending_action = fields.Selection(
        [("delete_then_create", "Delete in Xero, then create again")],
        string="To finish in Xero",
        copy=False,
        help="A replacement started and not finished: the next Send Payment finishes it.",
    )
    xero_pending_payment_id = fields.Char(
        string="Xero payment to delete",
        copy=False,
        index="btree_not_null",
        help="The Xero payment this allocation replaces; deleted before the new one is created.",
    )
    xero_writeoff_payment_id = fields.Char(
        string="Xero write-off payment ID",
        copy=False,
        index="btree_not_null",
        help="The part of the allocation written off in Odoo (bank fee, discount), as a Xero "
        "payment from the mapped write-off account.",
    )
    xero_pending_writeoff_id = fields.Char(
        string="Xero write-off payment to delete",
        copy=False,
        index="btree_not_null",
        help="The write-off payment this allocation replaces; deleted with the payment.",
    )
    xero_amount = fields.Float(string="Amount sent to Xero", copy=False)
    xero_date = fields.Date(string="Date sent to Xero", copy=False)
    xero_account_code = fields.Char(string="Xero bank account sent", copy=False)
    xero_last_sync = fields.Datetime(string="Last sent to Xero", copy=False)
    xero_last_error = fields.Text(string="Last Xero error", copy=False)
    xero_invoice_move_id = fields.Many2one(
        "account.move",
        string="Invoice / credit note",
        compute="_compute_xero_invoice_move_id",
        help="The document the Xero payment is on: the invoice paid, or the credit note refunded.",
    )

    _sql_constraints = [
        (
            "xero_payment_id_uniq",
            "UNIQUE(xero_payment_id)",
            "This Xero payment is already linked to another allocation.",
        ),
    ]

    @api.depends("debit_move_id", "credit_move_id")
    def _compute_xero_invoice_move_id(self):
        for partial in self:
            partial.xero_invoice_move_id = partial._xero_paid_document()

    @api.depends("debit_move_id", "credit_move_id")
    def _compute_display_name(self):
        for partial in self:
            source = partial.credit_move_id.payment_id.name or partial.credit_move_id.move_id.name
            partial.display_name = f"{source or '?'} → {partial.debit_move_id.move_id.name or '?'}"

    def unlink(self):
        """Remember the Xero payments of deleted allocations, so Send Payment deletes them, and
        the Xero allocations of credit notes, so Send New Payments deletes them.

        Not when the context has ``xero_no_removal``: Fetch New Payments undoes in Odoo what
        was deleted in Xero (cancelling a payment, unreconciling a credit note), so there is
        nothing to delete in Xero. That flag stays in the context: it crosses Odoo's own code
        (``account.payment.action_cancel`` resets the payment's entry to draft, whose
        ``remove_move_reconcile`` unlinks the allocations), which takes no argument of ours."""
        if not self.env.context.get("xero_no_removal"):
            self._xero_remember_removed()
        return super().unlink()

    def _xero_remember_removed(self):
        by_payment, by_credit_note = defaultdict(list), defaultdict(list)
        for partial in self.filtered(lambda p: p.xero_payment_id or p.xero_pending_payment_id):
            kind = partial._xero_kind()
            if kind == "credit":
                note = partial.credit_move_id.move_id
                by_credit_note[note].append(
                    {
                        "xero_id": partial.xero_payment_id,
                        "credit_note_id": note.xero_invoice_id,
                        "invoice": partial.debit_move_id.move_id.name,
                        "amount": partial.xero_amount,
                        "allocation": partial.id,
                    }
                )
                continue
            payment = partial._xero_odoo_payment()
            invoice = partial._xero_paid_document()
            for xero_id in filter(
                None,
                (
                    partial.xero_pending_payment_id,
                    partial.xero_payment_id,
                    partial.xero_pending_writeoff_id,
                    partial.xero_writeoff_payment_id,
                ),
            ):
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
        for note, removed in by_credit_note.items():
            note.sudo().xero_removed_allocations = (note.xero_removed_allocations or []) + removed

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

    @api.model
    def _xero_sendable_domain(self, company):
        """Everything Send New Payments sends: payments allocated to invoices, credit notes
        allocated to invoices, and refunds (outbound customer payments) of credit notes."""
        credit = [
            ("debit_move_id.move_id.move_type", "=", "out_invoice"),
            ("debit_move_id.move_id.state", "=", "posted"),
            ("credit_move_id.move_id.move_type", "=", "out_refund"),
            ("credit_move_id.move_id.state", "=", "posted"),
        ]
        refund = [
            ("credit_move_id.move_id.move_type", "=", "out_refund"),
            ("credit_move_id.move_id.state", "=", "posted"),
            ("debit_move_id.payment_id.payment_type", "=", "outbound"),
            ("debit_move_id.payment_id.partner_type", "=", "customer"),
            ("debit_move_id.payment_id.state", "in", POSTED_PAYMENT_STATES),
        ]
        kinds = expression.OR([self._xero_allocation_domain(), credit, refund])
        return expression.AND([[("company_id", "=", company.id)], kinds])

    def _xero_kind(self):
        """``payment`` (a customer payment on an invoice), ``credit`` (a credit note on an
        invoice: a Xero allocation), ``refund`` (money paid back on a credit note), or False."""
        self.ensure_one()
        debit, credit = self.debit_move_id, self.credit_move_id
        if debit.move_id.move_type == "out_invoice":
            if credit.payment_id:
                return "payment"
            if credit.move_id.move_type == "out_refund":
                return "credit"
        elif debit.payment_id and credit.move_id.move_type == "out_refund":
            return "refund"
        return False

    def _xero_paid_document(self):
        """The invoice a payment pays, or the credit note a refund or credit comes from."""
        self.ensure_one()
        if self._xero_kind() == "payment":
            return self.debit_move_id.move_id
        return self.credit_move_id.move_id

    def _xero_amount(self):
        """This allocation's amount in the currency of its paid document."""
        self.ensure_one()
        kind = self._xero_kind()
        return self.credit_amount_currency if kind == "refund" else self.debit_amount_currency

    def _xero_payment_side(self):
        """``(receivable line, amount in its currency)`` of the payment's side."""
        self.ensure_one()
        if self._xero_kind() == "refund":
            return self.debit_move_id, self.debit_amount_currency
        return self.credit_move_id, self.credit_amount_currency

    def _xero_odoo_payment(self):
        """The customer payment (received, or a refund paid out) of this allocation."""
        return self._xero_payment_side()[0].payment_id

    def _xero_mark_replacements(self, connection):
        """Linked allocations changed since sent: record "delete, then create" (no Xero call).

        :return: the allocations marked now.
        """
        maps = self.env["xero.mapping"]._maps(connection)
        changed = self.filtered(
            lambda p: (
                p.xero_payment_id
                and p._xero_kind() != "credit"
                and p._xero_changed(maps["journal"], maps["account"][0])
            )
        )
        for partial in changed:
            partial._xero_mark_replacement()
        return changed

    def _xero_mark_replacement(self, message=False):
        """Record "delete in Xero, then create again" for this allocation's Xero payments (the
        cash and its write-off, together); Send Payment finishes it."""
        self.ensure_one()
        self.write(
            {
                "xero_pending_action": "delete_then_create",
                "xero_pending_payment_id": self.xero_payment_id or self.xero_pending_payment_id,
                "xero_payment_id": False,
                "xero_pending_writeoff_id": self.xero_writeoff_payment_id
                or self.xero_pending_writeoff_id,
                "xero_writeoff_payment_id": False,
                "xero_last_error": message,
            }
        )

    def _xero_changed(self, resolver, accounts=None):
        """True when the amount, date or Xero bank account differs from what was sent."""
        self.ensure_one()
        if not self.xero_date:  # linked without a record of what was sent: nothing to compare
            return False
        try:
            values = self._xero_payment_values(resolver, accounts)
        except payloads.PayloadError:
            return False
        rounding = self._xero_paid_document().currency_id.rounding
        return bool(
            float_compare(values["amount"], self.xero_amount, precision_rounding=rounding)
            or values["date"] != self.xero_date
            or values["account_key"] != self.xero_account_code
        )

    def _xero_payment_values(self, resolver, accounts=None):
        """The plain values ``payloads.payment_payload`` maps, plus ``account_key``, and under
        ``writeoff`` the part written off in Odoo (see :meth:`_xero_writeoff`): ``amount`` is
        then the cash that reached the bank.

        :param accounts: the account mappings ``{account id: (code, xero id)}`` of the
            write-off accounts (``xero.mapping._maps(connection)["account"][0]``).
        :raise payloads.PayloadError: the payment's journal has no Xero bank account, or its
            write-off cannot be sent.
        """
        self.ensure_one()
        journals, default = resolver
        refund = self._xero_kind() == "refund"
        invoice = self._xero_paid_document()
        payment = self._xero_odoo_payment()
        mapping = journals.get(payment.journal_id.id) or default
        if not mapping:
            raise payloads.PayloadError(
                _("Journal %s has no Xero bank account mapping.", payment.journal_id.display_name)
            )
        code, account_id = mapping
        currency = invoice.currency_id
        amount = currency.round(self._xero_amount())
        rate = None
        if currency != invoice.company_id.currency_id:
            rate = self._xero_currency_rate(amount)
        values = {
            "document_id": invoice.xero_invoice_id or None,
            "credit_note_id" if refund else "invoice_id": invoice.xero_invoice_id or None,
            "account_id": account_id or None,
            "account_code": code,
            "account_key": code or account_id,
            "date": payment.date,
            "amount": amount,
            "reference": payloads.payment_reference(payment.name, self.id),
            "currency_rate": rate,
        }
        writeoff = self._xero_writeoff(amount, accounts or {})
        if writeoff:
            values["amount"] = currency.round(amount - writeoff["amount"])
            values["writeoff"] = writeoff
        return values

    def _xero_writeoff(self, amount, accounts):
        """The share of this allocation's ``amount`` that its payment wrote off (a bank fee, a
        small difference, an early-payment discount), or None.

        Odoo books a payment that settles more than the cash received with write-off lines on
        the payment's entry (``account.payment._seek_for_lines``); each allocation carries its
        share of them, in proportion: cash = amount x (settled - written off) / settled.
        """
        payment = self._xero_odoo_payment()
        if not payment:
            return None
        _liquidity, counterpart, writeoff_lines = payment._seek_for_lines()
        if not writeoff_lines:
            return None
        settled = abs(sum(counterpart.mapped("amount_currency")))
        written = sum(writeoff_lines.mapped("amount_currency"))
        account = writeoff_lines.account_id
        if not settled or payment.currency_id.is_zero(written):
            return None
        if self._xero_kind() == "refund":
            raise payloads.PayloadError(
                _(
                    "Refund %s writes part of the credit off: not sent to Xero; settle it there "
                    "by hand.",
                    payment.name,
                )
            )
        if len(account) > 1 or written < 0:
            raise payloads.PayloadError(
                _(
                    "Payment %s writes off over several accounts, or writes off money received "
                    "in excess: not sent to Xero; settle it there by hand.",
                    payment.name,
                )
            )
        mapping = accounts.get(account.id)
        if not mapping:
            raise payloads.PayloadError(
                _(
                    "Payment %(payment)s writes off to %(account)s, which has no Xero account "
                    "mapping: map it to a Xero account that takes payments (e.g. Bank Fees).",
                    payment=payment.name,
                    account=account.display_name,
                )
            )
        code, xero_id = mapping
        return {
            "amount": self._xero_writeoff_share(payment, written, settled),
            "account_code": code,
            "account_id": xero_id or None,
            "account_key": code or xero_id,
            "odoo_account": account.display_name,
            "reference": payloads.payment_reference(payment.name, self.id, writeoff=True),
        }

    def _xero_writeoff_share(self, payment, written, settled):
        """This allocation's share of the payment's write-off, split once over all of the
        payment's allocations to invoices so that the shares add up to the write-off to the
        cent (the cents of rounding go, one by one, to the largest shares)."""
        siblings = payment._xero_allocations().filtered(lambda p: p._xero_kind() == "payment")
        currency = self._xero_paid_document().currency_id
        exact = {p.id: p.debit_amount_currency * written / settled for p in siblings | self}
        shares = {pid: currency.round(value) for pid, value in exact.items()}
        cents = currency.round(sum(exact.values()) - sum(shares.values()))
        order = sorted(shares, key=lambda pid: (-abs(exact[pid]), pid))
        step = currency.rounding if cents > 0 else -currency.rounding
        for pid in order:
            if currency.is_zero(cents):
                break
            shares[pid] += step
            cents = currency.round(cents - step)
        return currency.round(shares[self.id])

    def _xero_currency_rate(self, amount):
        """Units of the document's currency per unit of the company's: Odoo's rate on the
        payment's date (6 decimals) when it gives the amount the payment booked in the
        company's currency to the cent, else the booked ratio (``totals.currency_rate``)."""
        line, line_amount = self._xero_payment_side()
        if line.amount_currency:
            company_amount = line_amount * abs(line.balance / line.amount_currency)
        else:
            company_amount = self.amount
        rate = xero_totals.currency_rate(
            amount, line.company_currency_id.round(company_amount), line.currency_rate
        )
        return float(rate) if rate is not None else None

    def _xero_linked(self, xero_id, values, writeoff_id=False):
        """Link to Xero payment ``xero_id`` (and its write-off payment); remember what was
        sent, to notice later changes."""
        self.write(
            {
                "xero_payment_id": xero_id,
                "xero_writeoff_payment_id": writeoff_id,
                "xero_pending_writeoff_id": False,
                "xero_amount": values["amount"],
                "xero_date": values["date"],
                "xero_account_code": values.get("account_key") or False,
                "xero_last_sync": fields.Datetime.now(),
                "xero_last_error": False,
                "xero_pending_action": False,
                "xero_pending_payment_id": False,
            }
        )
