from collections import defaultdict
from datetime import date, datetime

from odoo import _, api, fields, models
from odoo.tools import float_compare

from ..xero_api import payloads
from .xero_task import BATCH_SIZE

POSTED_PAYMENT_STATES = ("in_process", "paid")


def xero_day(value):
    """A Xero date (``date``, ``datetime`` or ``/Date(...)/``) as a ``date``, or None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return payloads.parse_xero_date(value, as_date=True) if value else None


def guid_where(field, ids):
    """A Xero ``where`` clause matching any of ``ids`` on the Guid field ``field``."""
    return " OR ".join('%s==Guid("%s")' % (field, xero_id) for xero_id in ids)


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
    """

    _name = "account.partial.reconcile"
    _inherit = ["account.partial.reconcile", "xero.sync.mixin"]

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

    # ------------------------------------------------------------------ sync protocol

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
    def _xero_candidates(self, connection, mode):
        """Allocations not linked to a Xero payment (nor half way through a replacement)."""
        domain = self._xero_allocation_domain(connection.company_id) + [
            ("xero_payment_id", "=", False),
            ("xero_pending_payment_id", "=", False),
        ]
        return self.search(domain, order="id")

    @api.model
    def _xero_preview(self, connection, mode, records=None):
        partials = records if records is not None else self._xero_candidates(connection, mode)
        rows = []
        for start in range(0, len(partials), BATCH_SIZE):
            chunk = partials[start : start + BATCH_SIZE]
            plan = chunk._xero_plan(connection, mode, preview=True)
            for partial in chunk:
                action, xero_id, reason, _body = plan[partial.id]
                invoice = partial.debit_move_id.move_id
                rows.append(
                    {
                        "res_id": partial.id,
                        "name": partial.display_name,
                        "partner_id": invoice.commercial_partner_id.id,
                        "action": action,
                        "reason": reason,
                        "xero_id": xero_id,
                        "currency_id": invoice.currency_id.id,
                        "amount_total": partial.credit_move_id.payment_id.amount,
                        "amount_allocated": partial.debit_amount_currency,
                        "invoice_id": invoice.id,
                    }
                )
        if records is None:
            rows += self.env["account.payment"]._xero_waiting_rows(connection)
        return rows

    @api.model
    def _xero_task_plan(self, task, mode):
        """Send Payment on payments: their Xero payments to delete, then their allocations."""
        if mode != "one_off" or task.res_model != "account.payment":
            return super()._xero_task_plan(task, mode)
        payments = self.env["account.payment"].browse(task.res_ids or []).exists()
        task._add_lines(payments.filtered("xero_removed_payments"))
        task._add_lines(payments._xero_allocations())

    @api.model
    def _xero_task_step(self, task, mode):
        """One batch; for Send Payment, record replacements first (committed by the runner)."""
        if mode != "one_off":
            return super()._xero_task_step(task, mode)
        lines = task._pending_lines(BATCH_SIZE)
        own = lines.filtered(lambda line: line.res_model == self._name)
        partials = self.browse(own.mapped("res_id")).exists()
        if partials._xero_mark_replacements(task.connection_id):
            return False
        removal_lines = lines - own
        if removal_lines:
            payments = self.env["account.payment"].browse(removal_lines.mapped("res_id")).exists()
            results = payments._xero_delete_removed(task.connection_id)
            self.env["account.payment"]._xero_log_results(removal_lines, results)
        if own:
            results = {
                pid: ("skipped", None, _("The allocation no longer exists in Odoo."))
                for pid in set(own.mapped("res_id")) - set(partials.ids)
            }
            if partials:
                results.update(partials._xero_send_batch(task, mode, partials))
            self._xero_log_results(own, results)
        return not task._pending_lines(1)

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

    def _xero_send_batch(self, task, mode, records):
        """Create one Xero payment per allocation (at most 50 in one call), or link it."""
        connection = task.connection_id
        partials = records.with_company(connection.company_id)
        results, todo = {}, self.browse()
        for partial in partials:
            if partial.xero_payment_id:
                results[partial.id] = (
                    "skipped",
                    partial.xero_payment_id,
                    _("Already in Xero.") if mode == "new" else _("Already in Xero, unchanged."),
                )
            elif partial.xero_pending_payment_id and mode != "one_off":
                results[partial.id] = (
                    "skipped",
                    None,
                    _("Being replaced in Xero: Send Payment on its payment finishes it."),
                )
            else:
                todo |= partial
        results.update(todo._xero_finish_deletes(connection))
        todo = todo.filtered(lambda p: p.id not in results)
        invoices = todo.debit_move_id.move_id.filtered(lambda m: not m.xero_invoice_id)
        if invoices:
            self.env["account.move"]._xero_send_dependencies(task, "new", invoices)
        plan = todo._xero_plan(connection, mode)
        to_create = []
        for partial in todo:
            action, xero_id, reason, body = plan[partial.id]
            if action == "blocked":
                results[partial.id] = ("blocked", None, reason)
                partial.xero_last_error = reason
            elif action == "link":
                partial._xero_linked(xero_id, plan["_values"][partial.id])
                results[partial.id] = ("linked", xero_id, reason)
            else:
                to_create.append((partial, body, reason))
        answers = self._xero_batch_call(
            connection, "create_payments", "Payments", [body for _p, body, _r in to_create]
        )
        for (partial, _body, reason), answer in zip(to_create, answers, strict=True):
            xero_id = (answer.get("record") or {}).get("PaymentID")
            if not xero_id:
                message = "; ".join(
                    filter(None, answer.get("errors") or [_("Xero gave no payment id.")])
                )
                partial.xero_last_error = message
                results[partial.id] = ("error", None, message)
                continue
            partial._xero_linked(xero_id, plan["_values"][partial.id])
            notes = [n for n in [reason, *answer.get("warnings", [])] if n]
            results[partial.id] = ("created", xero_id, "; ".join(notes) or False)
        return results

    def _xero_finish_deletes(self, connection):
        """Delete the Xero payments these allocations replace; errors keep them pending."""
        pending = self.filtered("xero_pending_payment_id")
        if not pending:
            return {}
        done = self._xero_delete_payments(
            connection,
            [(p.xero_pending_payment_id, p.debit_move_id.move_id.xero_invoice_id) for p in pending],
        )
        results = {}
        for partial in pending:
            ok, message = done[partial.xero_pending_payment_id]
            if ok:
                partial.write({"xero_pending_action": False, "xero_pending_payment_id": False})
            else:
                partial.xero_last_error = message
                results[partial.id] = ("error", None, message)
        return results
