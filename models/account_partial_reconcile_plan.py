from urllib.parse import quote_plus

from odoo import _, api, fields, models
from odoo.tools import float_compare

from ..xero_api import errors as xero_errors
from ..xero_api import payloads
from ..xero_api.wire import MAX_QUERY, chunk_by_length
from .account_partial_reconcile import guid_where, xero_day

LIVE_PAYMENTS = 'Status=="AUTHORISED" AND (%s)'


class AccountPartialReconcile(models.Model):
    """Allocations as Xero payments: planning (match before create, amount rules), values,
    and the Xero calls (invoices read in bulk, payments created in one call, deletes)."""

    _inherit = "account.partial.reconcile"

    # ------------------------------------------------------------------ planning

    def _xero_plan(self, connection, mode, preview=False):
        """Decide for each allocation: create, link or blocked, reading Xero but writing nothing.

        One call per batch reads the batch's invoices (``IDs`` filter): their status, AmountDue
        and live payments. For invoices that have payments, one more call reads those payments
        (``where`` on Invoice.InvoiceID) with their Reference: they are matched first by our
        Reference, then (payments typed in Xero, unknown to Odoo) by amount and date.
        :return: ``{partial_id: (action, xero_id, reason, payment_body)}`` and, under
            ``"_values"``, the plain values of each allocation.
        """
        resolver = self.env["xero.mapping"]._resolver(connection, "journal")
        plan, values, ready = {"_values": {}}, {}, self.browse()
        for partial in self:
            invoice = partial.debit_move_id.move_id
            try:
                values[partial.id] = partial._xero_payment_values(resolver)
            except payloads.PayloadError as exc:
                plan[partial.id] = ("blocked", None, str(exc), None)
                continue
            payment = partial.credit_move_id.payment_id
            if payment.xero_removed_payments:  # delete first, or Xero would hold both
                plan[partial.id] = (
                    "blocked",
                    None,
                    _(
                        "Payment %s still has Xero payments of allocations removed in Odoo: Action "
                        "> Xero: Send Payment on it deletes them, then sends this.",
                        payment.name,
                    ),
                    None,
                )
                continue
            if values[partial.id]["invoice_id"]:
                ready |= partial
            elif preview:
                plan[partial.id] = (
                    "create",
                    None,
                    _("Invoice %s is sent to Xero first.", invoice.name),
                    None,
                )
            else:
                plan[partial.id] = (
                    "blocked",
                    None,
                    _(
                        "Invoice %(name)s is not in Xero: %(why)s",
                        name=invoice.name,
                        why=invoice.xero_last_error or _("it could not be sent."),
                    ),
                    None,
                )
        plan["_values"] = values
        xero_invoices = self._xero_fetch_invoices(
            connection, {values[p.id]["invoice_id"] for p in ready}
        )
        live = self._xero_fetch_live_payments(
            connection, [key for key, inv in xero_invoices.items() if inv.get("Payments")]
        )
        known = {
            x.lower()
            for x in self.search(
                [("xero_payment_id", "in", [p["PaymentID"] for ps in live.values() for p in ps])]
            ).mapped("xero_payment_id")
        }
        due = {key: float(inv.get("AmountDue") or 0) for key, inv in xero_invoices.items()}
        for partial in ready.sorted("id"):
            plan[partial.id] = partial._xero_decide(
                values[partial.id], xero_invoices, live, due, known
            )
        return plan

    def _xero_decide(self, vals, xero_invoices, live_payments, due, taken):
        """Plan one allocation (see :meth:`_xero_plan`); updates ``due`` and ``taken``."""
        invoice = self.debit_move_id.move_id
        key = vals["invoice_id"].lower()
        found = xero_invoices.get(key)
        if found is None:
            return (
                "blocked",
                None,
                _(
                    "Xero has no invoice %(id)s (%(name)s).",
                    id=vals["invoice_id"],
                    name=invoice.name,
                ),
                None,
            )
        rounding = invoice.currency_id.rounding
        live = [p for p in live_payments.get(key, []) if p["PaymentID"].lower() not in taken]
        mine = next(
            (p for p in live if payloads.parse_payment_reference(p.get("Reference")) == self.id),
            None,
        )
        if mine:
            taken.add(mine["PaymentID"].lower())
            return (
                "link",
                mine["PaymentID"],
                _("Found in Xero by its reference %s.", mine.get("Reference")),
                None,
            )
        twin = next(
            (
                p
                for p in live
                if payloads.parse_payment_reference(p.get("Reference")) is None
                and xero_day(p.get("Date")) == vals["date"]
                and not float_compare(
                    float(p.get("Amount") or 0), vals["amount"], precision_rounding=rounding
                )
            ),
            None,
        )
        if twin:
            taken.add(twin["PaymentID"].lower())
            return (
                "link",
                twin["PaymentID"],
                _(
                    "Xero already has a payment of this amount on this date for %s (typed in "
                    "Xero).",
                    invoice.name,
                ),
                None,
            )
        status = found.get("Status")
        if status == "PAID":
            return (
                "blocked",
                None,
                _(
                    "Invoice %s is already fully paid in Xero: fetch payments first, or check "
                    "it in Xero.",
                    invoice.name,
                ),
                None,
            )
        if status != "AUTHORISED":
            return (
                "blocked",
                None,
                _(
                    "Invoice %(name)s is %(status)s in Xero: only approved invoices take payments.",
                    name=invoice.name,
                    status=status,
                ),
                None,
            )
        if float_compare(vals["amount"], due[key], precision_rounding=rounding) > 0:
            return (
                "blocked",
                None,
                _(
                    "Allocates %(amount)s but Xero's amount due on %(name)s is %(due)s: fetch "
                    "payments first, or check the invoice in Xero.",
                    amount=vals["amount"],
                    name=invoice.name,
                    due=due[key],
                ),
                None,
            )
        try:
            body, warnings = payloads.payment_payload(vals)
        except payloads.PayloadError as exc:
            return ("blocked", None, str(exc), None)
        due[key] -= vals["amount"]
        return ("create", None, "; ".join(warnings) or False, body)

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
        """Units of the invoice's currency per unit of the company's, at the payment's rate."""
        line = self.credit_move_id
        if line.amount_currency:
            company_amount = self.credit_amount_currency * abs(line.balance / line.amount_currency)
        else:
            company_amount = self.amount
        return round(amount / company_amount, 6) if company_amount else None

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

    # ------------------------------------------------------------------ Xero calls

    @api.model
    def _xero_fetch_invoices(self, connection, xero_invoice_ids):
        """Xero invoices by id, keyed by lower-case InvoiceID.

        ``IDs`` filter, split so each query string stays under Xero's limit (about 38 GUIDs a
        call), each chunk read page by page.
        """
        ids = sorted({i for i in xero_invoice_ids if i})
        found = {}
        for chunk in chunk_by_length(ids, str, separator_len=3):
            for invoice in connection._xero_read_all("get_invoices", "Invoices", i_ds=chunk):
                found[invoice["InvoiceID"].lower()] = invoice
        return found

    @api.model
    def _xero_fetch_live_payments(self, connection, invoice_keys):
        """Live (AUTHORISED) payments of these invoices with their Reference:
        ``{lower-case InvoiceID: [payment]}``.

        ``where`` on Invoice.InvoiceID, split so each query string stays under Xero's limit
        (about 19 invoices a call), each chunk read page by page.
        """
        found = {}
        limit = MAX_QUERY - len(quote_plus(LIVE_PAYMENTS % ""))
        for chunk in chunk_by_length(
            sorted(invoice_keys), lambda key: guid_where("Invoice.InvoiceID", [key]), limit
        ):
            where = LIVE_PAYMENTS % guid_where("Invoice.InvoiceID", chunk)
            for payment in connection._xero_read_all("get_payments", "Payments", where=where):
                key = ((payment.get("Invoice") or {}).get("InvoiceID") or "").lower()
                found.setdefault(key, []).append(payment)
        return found

    @api.model
    def _xero_delete_payments(self, connection, removals):
        """Delete Xero payments: ``removals`` is ``[(xero_payment_id, xero_invoice_id)]``.

        A payment its invoice no longer lists is already deleted (a rerun after a crash): it is
        not deleted twice. Xero has no batch delete: one call per payment still in Xero.
        :return: ``{xero_payment_id: (done, message)}``
        """
        invoices = self._xero_fetch_invoices(connection, {inv for _pid, inv in removals if inv})
        out = {}
        for xero_id, invoice_id in removals:
            if xero_id in out:
                continue
            invoice = invoices.get((invoice_id or "").lower())
            live = {p["PaymentID"].lower() for p in (invoice or {}).get("Payments") or []}
            if invoice is not None and xero_id.lower() not in live:
                out[xero_id] = (True, _("Xero payment %s is already deleted.", xero_id))
                continue
            try:
                connection._xero_call(
                    "delete_payment",
                    payment_id=xero_id,
                    payment_delete=payloads.delete_payment_payload(),
                )
            except xero_errors.XeroNotFound:
                out[xero_id] = (True, _("Xero has no payment %s.", xero_id))
            except xero_errors.XeroValidationError as exc:
                out[xero_id] = (
                    False,
                    _(
                        "Xero payment %(id)s could not be deleted: %(why)s",
                        id=xero_id,
                        why=exc.user_message(),
                    ),
                )
            else:
                out[xero_id] = (True, _("Xero payment %s deleted.", xero_id))
        self._xero_forget_imports(connection, [xid for xid, (done, _m) in out.items() if done])
        return out

    @api.model
    def _xero_forget_imports(self, connection, xero_ids):
        """Odoo deleted these Xero payments itself (a replacement, or an allocation removed in
        Odoo): the Odoo payments fetched from them no longer stand for them. Without this, the
        next fetch would read the deletion as made in Xero and cancel a real receipt."""
        if xero_ids:
            self.env["account.payment"].sudo().search(
                [
                    ("company_id", "=", connection.company_id.id),
                    ("xero_import_id", "in", xero_ids),
                ]
            ).xero_import_id = False
