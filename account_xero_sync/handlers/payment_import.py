"""What Fetch New Payments does with each Xero payment (see :mod:`.payment_fetch`)."""

from functools import cached_property

from psycopg2 import IntegrityError

from odoo import Command, _
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..xero_api import payloads
from ..xero_api.wire import xero_day

# Xero payments imported together: a page of 1,000 is imported in chunks of this size, so
# Odoo's work per chunk is bounded (tools/bench_scale.py measured Odoo's time per fetched
# payment 1.8x higher with 400 imported at once than with 80).
IMPORT_CHUNK = 100


def document_id(xp):
    """The id of the invoice a Xero payment pays, or of the credit note a refund pays out
    (Xero lists a refund's credit note under ``CreditNote``, or as its ``Invoice``)."""
    return (xp.get("CreditNote") or {}).get("CreditNoteID") or (xp.get("Invoice") or {}).get(
        "InvoiceID"
    )


class PaymentImport:
    """The handling of one Xero payment: import, link, reverse, or list it.

    A mixin of :class:`~.payment_fetch.PaymentFetch`, which provides ``env``, ``task``,
    ``connection``, ``company`` and ``_mappings``. Each handler returns the values of the task
    log line it writes (or None) and counts what it did in ``state``.
    """

    def _line(self, outcome, xp, record=None, message=None):
        return {
            "task_id": self.task.id if self.task else False,
            "res_model": record._name if record else "account.payment",
            "res_id": record.id if record else 0,
            "res_name": record.display_name if record else (xp.get("Reference") or ""),
            "outcome": outcome,
            "xero_id": xp["PaymentID"],
            "message": message or False,
        }

    def _deleted(self, xp, partial, payment, state, writeoff=False):
        """Deleted in Xero: reverse an imported payment; unlink a payment sent from Odoo.

        ``partial`` is the allocation linked to this Xero payment (``writeoff``: as the payment
        of its written-off part), ``payment`` the Odoo payment fetched from it. The payment is
        cancelled only while one of its allocations is still linked to it: once changed in Odoo
        (re-allocated, its Xero payment replaced or deleted by Send Payment), the deletion is
        Odoo's own doing, or no longer this receipt's.
        """
        if payment and (not partial or partial._xero_odoo_payment() != payment):
            payment = None  # no longer this receipt's Xero payment: leave the payment alone
        if payment and payment.state != "canceled" and self.preview:
            state["reversed"] += 1  # the preview cannot know a cancel Odoo would refuse
            return self._reversed_line(xp, payment)
        if payment and payment.state != "canceled":
            try:
                with self.env.cr.savepoint():
                    payment.with_context(xero_no_removal=True).action_cancel()
            except (UserError, ValidationError) as exc:
                return self._line(
                    "error",
                    xp,
                    payment,
                    _(
                        "Deleted in Xero, but %(payment)s could not be cancelled: %(why)s",
                        payment=payment.display_name,
                        why=exc,
                    ),
                )
            state["reversed"] += 1
            return self._reversed_line(xp, payment)
        if partial and not payment and (partial.xero_writeoff_payment_id or writeoff):
            # Half of a payment with a write-off is gone: both are replaced together.
            message = _(
                "Deleted in Xero on its own, while the payment has a write-off: Action > Xero: "
                "Send Payment on %s replaces both in Xero.",
                partial._xero_odoo_payment().name,
            )
            if not self.preview:
                partial._xero_mark_replacement(message)
            return self._line("blocked", xp, partial, message)
        if partial and not payment:
            message = _(
                "Deleted in Xero on its own: Send New Payments sends this allocation "
                "again, unless it is unreconciled in Odoo."
            )
            # The deleted payment is what the next send replaces (a new idempotency key).
            if not self.preview:
                partial.write(
                    {
                        "xero_pending_payment_id": partial.xero_payment_id,
                        "xero_payment_id": False,
                        "xero_last_error": message,
                    }
                )
            return self._line("blocked", xp, partial, message)
        state["known"] += 1
        return None

    def _reversed_line(self, xp, payment):
        return self._line(
            "updated",
            xp,
            payment,
            _("Deleted in Xero: %s was unreconciled and cancelled in Odoo.", payment.name),
        )

    def _ours(self, xp, partial, invoice, state):
        """Sent from Odoo (our Reference): link it if its allocation still waits for it."""
        if not (
            partial
            and invoice
            and not partial.xero_payment_id
            and not partial.xero_pending_payment_id
            and partial._xero_paid_document() == invoice
        ):
            state["known"] += 1
            return None
        values = self._sent_values(partial, xp)
        if values.get("writeoff"):  # Send New Payments links it with its write-off, or makes it
            state["known"] += 1
            return None
        if not self.preview:
            partial._xero_linked(xp["PaymentID"], values)
        state["linked"] += 1
        return self._line(
            "linked",
            xp,
            partial,
            _(
                "Sent from Odoo (reference %s) but the answer never reached Odoo: linked.",
                xp.get("Reference"),
            ),
        )

    def _unknown(self, xp, state, reported):
        if reported(xp):
            state["known"] += 1
            return None
        document = xp.get("CreditNote") or xp.get("Invoice") or {}
        number = (
            document.get("CreditNoteNumber") or document.get("InvoiceNumber") or document_id(xp)
        )
        state["unknown"].append(
            _(
                "%(number)s (%(amount)s, %(id)s)",
                number=number,
                amount=xp.get("Amount"),
                id=xp["PaymentID"],
            )
        )
        return self._line(
            "skipped",
            xp,
            None,
            _(
                "Xero payment of %(amount)s on invoice %(number)s: the invoice is not in Odoo, "
                "not imported.",
                amount=xp.get("Amount"),
                number=number,
            ),
        )

    def _import(self, xp, invoice, state, unsent):
        """Create, post and reconcile the Odoo payment of a Xero payment, unless Odoo has the
        same receipt not sent yet (same invoice, amount and date): that one is linked."""
        amount = float(xp.get("Amount") or 0)
        rounding = invoice.currency_id.rounding
        twin = next(
            (
                p
                for p in unsent
                if xero_day(xp.get("Date")) == p._xero_odoo_payment().date
                and not float_compare(p._xero_amount(), amount, precision_rounding=rounding)
            ),
            None,
        )
        if twin:
            unsent.remove(twin)
            if not self.preview:
                twin._xero_linked(xp["PaymentID"], self._sent_values(twin, xp))
            state["linked"] += 1
            return self._line(
                "linked",
                xp,
                twin,
                _(
                    "Odoo has this receipt (%s, same invoice, amount and date), not sent yet: "
                    "linked, not imported.",
                    twin._xero_odoo_payment().name,
                ),
            )
        journal, reason = self._journal_for(xp.get("Account"))
        if not reason and invoice.state != "posted":
            reason = _("Invoice %s is not posted in Odoo.", invoice.name)
        due = self._residuals.get(invoice.id, invoice.amount_residual)  # less what is queued
        if not reason and float_compare(amount, due, precision_rounding=rounding) > 0:
            reason = _(
                "The Xero payment of %(amount)s is more than Odoo's amount due "
                "%(due)s on %(invoice)s: a payment recorded in Odoo may not be in Xero "
                "yet.",
                amount=amount,
                due=due,
                invoice=invoice.name,
            )
        if reason:
            self._retry_later(xp["PaymentID"])
            return self._line("blocked", xp, invoice, reason)
        self._residuals[invoice.id] = due - amount
        self._queued.append((xp, invoice, journal, amount))
        return None

    def _import_queued(self, state):
        """Create, post and reconcile the Odoo payments of the page's queued Xero payments
        together, :data:`IMPORT_CHUNK` at a time (Odoo's own register-payment steps, once per
        chunk: Odoo's time per payment stays the same whatever the page holds); should that
        fail, one by one, so each failure is on its own payment's line and the others are
        imported. :return: the log lines' values."""
        queued, self._queued, self._residuals = self._queued, [], {}
        if self.preview:  # the run's line, on the invoice (the payment is not made)
            return [self._imported(*item, None, state) for item in queued]
        lines = []
        for start in range(0, len(queued), IMPORT_CHUNK):
            lines += self._import_chunk(queued[start : start + IMPORT_CHUNK], state)
        return lines

    def _import_chunk(self, queued, state):
        """Import ``queued`` together (see :meth:`_import_queued`)."""
        try:
            with self.env.cr.savepoint():
                payments = self._register_payments(queued)
        except (UserError, ValidationError, IntegrityError):
            return [self._import_one(*item, state) for item in queued]
        partials = self._allocations_of(payments)
        lines = []
        for (xp, invoice, journal, amount), payment in zip(queued, payments, strict=True):
            partial = partials.get((payment.id, invoice.id))
            if not partial:
                self._retry_later(xp["PaymentID"])
                message = _("The payment could not be reconciled with %s.", invoice.name)
                lines.append(self._line("error", xp, invoice, message))
                continue
            partial._xero_linked(xp["PaymentID"], self._sent_values(partial, xp))
            lines.append(self._imported(xp, invoice, journal, amount, payment, state))
        return lines

    def _import_one(self, xp, invoice, journal, amount, state):
        try:
            with self.env.cr.savepoint():
                payment = self._register_payments([(xp, invoice, journal, amount)])
                partial = self._allocations_of(payment).get((payment.id, invoice.id))
                if not partial:
                    raise UserError(_("The payment could not be reconciled with %s.", invoice.name))
                partial._xero_linked(xp["PaymentID"], self._sent_values(partial, xp))
        except (UserError, ValidationError) as exc:
            self._retry_later(xp["PaymentID"])
            return self._line("error", xp, invoice, str(exc))
        except IntegrityError:  # another run stored it first (unique Xero payment id)
            state["known"] += 1
            return self._line(
                "skipped", xp, invoice, _("Fetched at the same time by another run: skipped.")
            )
        return self._imported(xp, invoice, journal, amount, payment, state)

    def _imported(self, xp, invoice, journal, amount, payment, state):
        state["created"] += 1
        return self._line(
            "created",
            xp,
            payment or invoice,
            _(
                "Fetched from Xero: %(amount)s on %(invoice)s in %(journal)s, reconciled.",
                amount=amount,
                invoice=invoice.name,
                journal=journal.name,
            ),
        )

    def _register_payments(self, queued):
        """Odoo's register-payment steps (``account.payment.register``: create, post; the
        reconciliation in one plan) for ``[(xero payment, invoice, journal, amount)]``, as the
        wizard runs them for a payment of a given amount whose difference is left open:
        received for an invoice, paid out (a refund) for a credit note."""
        Register = self.env["account.payment.register"]
        to_process = []
        for xp, invoice, journal, amount in queued:
            receivable = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled
            )
            vals = {
                "date": xero_day(xp.get("Date")),
                "amount": amount,
                "payment_type": "outbound" if invoice.move_type == "out_refund" else "inbound",
                "partner_type": "customer",
                "memo": xp.get("Reference") or _("Xero payment"),
                "journal_id": journal.id,
                "company_id": invoice.company_id.id,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.commercial_partner_id.id,
                "destination_account_id": receivable[:1].account_id.id,
                "xero_import_id": xp["PaymentID"],
                # The invoice's matched payment, set as the payment is made (as Odoo's
                # payment_transaction._create_payment does), not by a write on each posted
                # invoice (the wizard's ``lines.move_id.matched_payment_ids += payment``).
                "invoice_ids": [Command.set(invoice.ids)],
            }
            to_process.append({"create_vals": vals, "to_reconcile": receivable, "batch": {}})
        payments = Register._init_payments(to_process)
        # A payment's journal entry (made as it is posted) has only the lines the payment
        # itself computes: no taxes, terms or rounding lines to sync, as for the entries Odoo
        # itself makes with ``skip_invoice_sync`` (reversed entries, cash basis entries).
        Register.with_context(skip_invoice_sync=True)._post_payments(to_process)
        self._reconcile_all(to_process)
        return payments

    def _reconcile_all(self, to_process):
        """What the wizard's ``_reconcile_payments`` does, in one reconciliation plan for all
        the payments (Odoo reconciles its groups one after the other, so two payments of one
        invoice are fine) instead of one ``reconcile()`` per payment. The invoices' matched
        payments were set when the payments were made (see :meth:`_register_payments`)."""
        Line = self.env["account.move.line"]
        open_lines = [
            ("parent_state", "=", "posted"),
            ("account_type", "in", self.env["account.payment"]._get_valid_payment_account_types()),
            ("reconciled", "=", False),
        ]
        plan = []
        for vals in to_process:
            payment_lines = vals["payment"].move_id.line_ids.filtered_domain(open_lines)
            for account in payment_lines.account_id:
                plan.append(
                    (payment_lines + vals["to_reconcile"]).filtered(
                        lambda line, a=account: line.account_id == a
                    )
                )
        # Reconciling changes no invoice line Odoo syncs (taxes, terms, rounding): only the
        # lines' residuals and the partials; the invoices are posted, so nothing to sync.
        Line.with_context(skip_invoice_sync=True)._reconcile_plan(plan)

    def _allocations_of(self, payments):
        """``{(payment id, invoice id): allocation}`` of these payments (one read)."""
        found = {}
        for partial in payments._xero_allocations():
            key = (partial._xero_odoo_payment().id, partial._xero_paid_document().id)
            found.setdefault(key, partial)
        return found

    @cached_property
    def _payment_maps(self):
        """The connection's mappings, read once per step (see ``xero.mapping._maps``)."""
        return self.env["xero.mapping"]._maps(self.connection)

    def _sent_values(self, partial, xp):
        """What Odoo would send for ``partial`` (so Send Payment sees no change), else Xero's."""
        maps = self._payment_maps
        try:
            return partial._xero_payment_values(maps["journal"], maps["account"][0])
        except payloads.PayloadError:
            return {
                "amount": partial._xero_amount(),
                "date": partial._xero_odoo_payment().date,
                "account_key": (xp.get("Account") or {}).get("Code"),
            }

    def _journal_for(self, account):
        """The Odoo journal a Xero bank account is mapped from (never guessed: a default row
        names no journal). :return: ``(journal or None, reason or None)``"""
        if self._mappings is None:
            self._mappings = self.env["xero.mapping"].search(
                [("connection_id", "=", self.connection.id), ("kind", "=", "journal")]
            )
        code = (account or {}).get("Code") or ""
        account_id = ((account or {}).get("AccountID") or "").lower()
        rows = self._mappings.filtered(
            lambda r: (
                (account_id and (r.xero_id or "").lower() == account_id)
                or (code and r.xero_code == code)
            )
        )
        if rows.journal_id:
            return rows.journal_id[0], None
        return None, _(
            "Xero bank account %s has no Odoo journal: map it on the Xero connection (Mappings).",
            code or account_id,
        )

    def _retry_later(self, xero_id):
        """Re-read ``xero_id`` at a later fetch: at the end of the list, so the waiting
        payments take turns (see ``RETRY_LIMIT``). Not in a preview."""
        if self.preview:
            return
        conn = self.connection.sudo()
        waiting = [x for x in conn.payments_fetch_retry_ids or [] if x != xero_id]
        conn.payments_fetch_retry_ids = [*waiting, xero_id]
