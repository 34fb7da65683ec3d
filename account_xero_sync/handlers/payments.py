from odoo import _, api, models
from odoo.tools import float_compare

from ..models.xero_result import Result
from ..models.xero_texts import xero_text, xero_texts
from ..tasks.common import Decision
from ..xero_api import payloads
from ..xero_api.wire import xero_day
from . import org_index


class XeroHandlerPayments(models.AbstractModel):
    """Send New Payments and Send Payment: allocations as Xero payments and allocations.

    A Xero payment settles one document, so each allocation (``account.partial.reconcile``) is
    one Xero object: a payment on an invoice (plus one from the write-off account for a part
    written off), a credit note's allocation to an invoice (``credit_allocations.py``), or a
    refund paid out on a credit note; unallocated money waits. Sends: invoices and credit notes
    not in Xero yet first (by their handlers, in the same task), then the payments
    (``PUT /Payments``, 50 a call) and the allocations (one call per credit note); deletes the
    Xero allocations of credit notes unreconciled in Odoo (one call each); Send Payment also
    replaces the Xero payments of changed allocations and deletes those of allocations removed
    in Odoo (one call each: Xero has no batch delete). Reads: the invoices' state, once per
    task for a task paying more than 38 invoices (the invoices modified since they were sent,
    1,000 a page: ``org_index``), else per batch (``IDs``, one call per about 38); for
    invoices that already have payments those payments (one call per 10 invoices), and the
    credit notes concerned (one call per 10), to link what Xero already has instead of
    creating it twice. Cost: 1 call per 50 payments plus the task's read (2 to 3 per 50 in a
    small task); 5 to 6 per 50 refunds or credit allocations.

    Replacements are crash-safe: the intent ("delete, then create", with the old id) is written
    and committed by the runner before Xero is called (see :meth:`_before_send`).

    The work list also holds the removals (payments and credit notes whose Xero objects are to
    be deleted): the base's hooks (``_work``, ``_other_lines``, ``_before_send``,
    ``_preview_extras``) take them in; the entry points are the base's.
    """

    _name = "xero.handler.payments"
    _inherit = "xero.task.handler"
    _description = "Xero task handler: payments"
    _records = "account.partial.reconcile"

    # ------------------------------------------------------------------ the base's hooks

    @api.model
    def _work(self, task, mode):
        """The removals first (Xero objects of allocations removed in Odoo), then the
        allocations: of the payments given (Send Payment), else every one not in Xero."""
        if mode == "one_off" and task.res_model == "account.payment":
            payments = self.env["account.payment"].browse(task.res_ids or []).exists()
            return [payments.filtered("xero_removed_payments"), payments._xero_allocations()]
        work = super()._work(task, mode)
        if mode == "new":
            return [self._credit_notes_with_removals(task.connection_id), *work]
        return work

    @api.model
    def _other_lines(self, lines):
        """The removals: lines of payments and credit notes, not of allocations."""
        return lines.filtered(lambda line: line.res_model != self._records)

    @api.model
    def _before_send(self, task, mode, others, records):
        """For Send Payment, changed allocations are first marked for replacement (the step
        ends there: committed by the runner before any call); then the removals of this
        dealer are made in Xero, before the allocations are sent."""
        for model in ("account.payment", "account.move"):
            mine = others.filtered(lambda line, m=model: line.res_model == m)
            removals = self.env[model].browse(mine.mapped("res_id")).exists()
            foreign = removals - self._dealer_records(task, mine, removals)
            others -= mine.filtered(lambda line, f=foreign: line.res_id in f.ids)
        if mode == "one_off" and records._xero_mark_replacements(task.connection_id):
            return False
        for model, delete in (
            ("account.payment", self._delete_removed),
            ("account.move", self._delete_removed_allocations),
        ):
            removal_lines = others.filtered(lambda line, m=model: line.res_model == m)
            if removal_lines:
                removals = self.env[model].browse(removal_lines.mapped("res_id")).exists()
                self._log_results(removal_lines, delete(removals, task.connection_id))
        return True

    @api.model
    def _gone_message(self):
        return _("The allocation no longer exists in Odoo.")

    @api.model
    def _preview_extras(self, connection, mode):
        """Before the allocations, the removals to make in Xero; after them, the money waiting
        for an allocation."""
        return self._removal_rows(connection), self._waiting_rows(connection)

    # ------------------------------------------------------------------ protocol

    @api.model
    def _candidates(self, connection, mode, all_dates=False):
        """Allocations not linked to a Xero payment (nor half way through a replacement),
        made from the connection's "Send documents dated from" (the later of the payment's
        and the document's dates; ``all_dates``: all of them)."""
        return self.env["account.partial.reconcile"].search(
            self._candidates_domain(connection, all_dates), order="id"
        )

    @api.model
    def _candidates_domain(self, connection, all_dates=False):
        """The domain of ``_candidates`` (also what the dealer dashboard counts)."""
        Partial = self.env["account.partial.reconcile"]
        domain = Partial._xero_sendable_domain(connection.company_id) + [
            ("xero_payment_id", "=", False),
            ("xero_pending_action", "=", False),
        ]
        if connection.send_from_date and not all_dates:
            domain.append(("max_date", ">=", connection.send_from_date))
        return domain

    @api.model
    def _preview_row(self, record, decision):
        document = record._xero_paid_document()
        kind = record._xero_kind()
        return dict(
            super()._preview_row(record, decision),
            partner_id=document.commercial_partner_id.id,
            currency_id=document.currency_id.id,
            amount_total=(
                document.amount_total if kind == "credit" else record._xero_odoo_payment().amount
            ),
            amount_allocated=record._xero_amount(),
            invoice_id=record.debit_move_id.move_id.id if kind == "credit" else document.id,
        )

    @api.model
    def _send_batch(self, batch, records):
        """Create one Xero payment per allocation (at most 50 in one call), or link it."""
        connection, mode = batch.connection, batch.mode
        partials = records.with_company(connection.company_id)
        results, todo = {}, partials.browse()
        for partial in partials:
            if partial.xero_payment_id:
                results[partial.id] = Result(
                    "skipped",
                    partial.xero_payment_id,
                    _("Already in Xero.") if mode == "new" else _("Already in Xero, unchanged."),
                )
            elif partial.xero_pending_action and mode != "one_off":
                results[partial.id] = Result(
                    "skipped",
                    None,
                    _("Being replaced in Xero: Send Payment on its payment finishes it."),
                )
            else:
                todo |= partial
        # What each re-creation replaces: it salts the idempotency key, or Xero would replay
        # the answer of the first creation (the deleted payment) for an identical body.
        replaced = sorted(filter(None, todo.mapped("xero_pending_payment_id")))
        results.update(self._finish_deletes(todo, connection))
        todo = todo.filtered(lambda p: p.id not in results)
        self._send_documents_first(batch, todo)
        credits = todo.filtered(lambda p: p._xero_kind() == "credit")
        results.update(self._send_credits(batch, credits))
        todo -= credits
        plan = self._decide(batch, todo)
        to_send = []
        for partial in todo:
            decision = plan[partial.id]
            if decision.action == "blocked":
                results[partial.id] = Result("blocked", None, decision.reason)
                partial.xero_last_error = xero_text(self.env, decision.reason)
            elif decision.action == "link" and not decision.body:
                writeoff_id = (decision.xero or {}).get("WriteOffPaymentID") or False
                partial._xero_linked(decision.xero_id, decision.values, writeoff_id)
                results[partial.id] = Result("linked", decision.xero_id, decision.reason)
            else:
                to_send.append((partial, decision))
        results.update(self._send_payments(connection, to_send, replaced))
        org_index.invoices_paid(batch.task, [d.values["document_id"] for _p, d in to_send])
        return results

    @api.model
    def _send_documents_first(self, batch, partials):
        """Invoices and credit notes of these allocations not in Xero yet are sent first, in
        this task, by their own handlers."""
        moves = (partials.debit_move_id.move_id | partials.credit_move_id.move_id).filtered(
            lambda m: not m.xero_invoice_id
        )
        for move_type, handler in (
            ("out_invoice", "xero.handler.invoices"),
            ("out_refund", "xero.handler.credit_notes"),
        ):
            documents = moves.filtered(lambda m, t=move_type: m.move_type == t)
            if documents:
                self.env[handler]._send_dependencies(batch, documents)

    # ------------------------------------------------------------------ planning

    @api.model
    def _decide(self, batch, records):
        """Decide for each allocation: create, link or blocked, reading Xero but writing nothing.

        The batch's invoices are read (``IDs`` filter; for a task paying many invoices, once
        per task: ``org_index``): their status, AmountDue and live payments. For
        invoices that have payments, one more call reads those payments (``where`` on
        Invoice.InvoiceID) with their Reference: they are matched first by our
        Reference, then (payments typed in Xero, unknown to Odoo) by amount and date. Every
        decision carries the allocation's plain values (``Decision.values``) when they could be
        built.
        """
        credits = records.filtered(lambda p: p._xero_kind() == "credit")
        plan = self._decide_credits(batch, credits)
        records -= credits
        ready = self._decide_before_reading(batch, records, plan)
        xero_invoices, live = self._read_paid_documents(batch, plan, ready)
        known = {
            x.lower()
            for x in records.search(
                [("xero_payment_id", "in", [p["PaymentID"] for ps in live.values() for p in ps])]
            ).mapped("xero_payment_id")
        }
        due = {key: float(inv.get("AmountDue") or 0) for key, inv in xero_invoices.items()}
        for partial in ready.sorted("id"):
            values = plan[partial.id].values
            decision = self._decide_one(partial, values, xero_invoices, live, due, known)
            plan[partial.id] = decision._replace(values=values)
        return plan

    @api.model
    def _decide_before_reading(self, batch, records, plan):
        """Decide what needs no Xero read into ``plan``; return the allocations left to read."""
        maps = self.env["xero.mapping"]._maps(batch.connection)
        ready = records.browse()
        documents = self._documents_preview(batch, records) if batch.preview else {}
        for partial in records:
            invoice = partial._xero_paid_document()
            try:
                values = partial._xero_payment_values(maps["journal"], maps["account"][0])
            except payloads.PayloadError as exc:
                plan[partial.id] = Decision("blocked", reason=str(exc))
                continue
            payment = partial._xero_odoo_payment()
            if payment.xero_removed_payments:  # delete first, or Xero would hold both
                reason = _(
                    "Payment %s still has Xero payments of allocations removed in Odoo: Action "
                    "> Xero: Send Payment on it deletes them, then sends this.",
                    payment.name,
                )
                plan[partial.id] = Decision("blocked", reason=reason, values=values)
            elif values["document_id"]:
                plan[partial.id] = Decision("create", values=values)  # decided below
                ready |= partial
            else:
                plan[partial.id] = self._document_not_in_xero(
                    invoice, batch.preview, documents.get(invoice.id)
                )._replace(values=values)
        return ready

    @api.model
    def _read_paid_documents(self, batch, plan, ready):
        """Read the paid invoices and credit notes from Xero, with their live payments (a
        task's invoices: through its read of the organisation, ``_fetch_invoices``).

        :return: (document by lowercase id, its live payments by the same key); a credit note
            owes its remaining credit (its ``AmountDue``).
        """
        connection = batch.connection
        refunds = ready.filtered(lambda p: p._xero_kind() == "refund")
        xero_invoices = self._fetch_invoices(
            connection,
            {plan[p.id].values["document_id"] for p in ready - refunds},
            batch.task,
            fresh=batch.retry,
        )
        live = self._fetch_live_payments(
            connection, [key for key, inv in xero_invoices.items() if inv.get("Payments")]
        )
        notes = self._fetch_credit_notes(
            connection, {plan[p.id].values["document_id"] for p in refunds}
        )
        for key, note in notes.items():  # a credit note owes its remaining credit
            xero_invoices[key] = dict(note, AmountDue=note.get("RemainingCredit"))
            live[key] = note.get("Payments") or []
        return xero_invoices, live

    @api.model
    def _decide_one(self, partial, vals, xero_invoices, live_payments, due, taken):
        """Plan one allocation (see :meth:`_decide`); updates ``due`` and ``taken``."""
        invoice = partial._xero_paid_document()
        key = vals["document_id"].lower()
        found = xero_invoices.get(key)
        if found is None:
            return Decision(
                "blocked",
                reason=_(
                    "Xero has no document %(id)s (%(name)s).",
                    id=vals["document_id"],
                    name=invoice.name,
                ),
            )
        live = [p for p in live_payments.get(key, []) if p["PaymentID"].lower() not in taken]
        decision = self._link_by_reference(partial, vals, live, taken) or self._link_typed_in_xero(
            invoice, vals, live, taken
        )
        if decision:
            return decision
        settled = vals["amount"] + (vals.get("writeoff") or {}).get("amount", 0.0)
        decision = self._blocked_by_xero(invoice, found, settled, due[key])
        if decision:
            return decision
        decision = self._payment_bodies(vals)
        if decision.action == "create":
            due[key] -= settled
        return decision

    @api.model
    def _link_by_reference(self, partial, vals, live, taken):
        """Link to the Xero payment whose Reference names the allocation (None if none)."""
        mine = next(
            (p for p in live if payloads.parse_payment_reference(p.get("Reference")) == partial.id),
            None,
        )
        if not mine:
            return None
        taken.add(mine["PaymentID"].lower())
        writeoff = next(
            (
                p
                for p in live
                if payloads.parse_writeoff_reference(p.get("Reference")) == partial.id
            ),
            None,
        )
        if writeoff:
            taken.add(writeoff["PaymentID"].lower())
        body = None
        if vals.get("writeoff") and not writeoff:  # its write-off did not reach Xero
            body = [payloads.writeoff_payment_payload(vals)[0]]
        return Decision(
            "link",
            mine["PaymentID"],
            _("Found in Xero by its reference %s.", mine.get("Reference")),
            xero={"WriteOffPaymentID": writeoff["PaymentID"] if writeoff else False},
            body=body,
        )

    @api.model
    def _link_typed_in_xero(self, invoice, vals, live, taken):
        """Link to a payment typed in Xero of the same amount and date (None if none)."""
        rounding = invoice.currency_id.rounding
        twin = next(
            (
                p
                for p in live
                if payloads.parse_payment_reference(p.get("Reference")) is None
                and payloads.parse_writeoff_reference(p.get("Reference")) is None
                and not vals.get("writeoff")
                and xero_day(p.get("Date")) == vals["date"]
                and not float_compare(
                    float(p.get("Amount") or 0), vals["amount"], precision_rounding=rounding
                )
            ),
            None,
        )
        if not twin:
            return None
        taken.add(twin["PaymentID"].lower())
        return Decision(
            "link",
            twin["PaymentID"],
            _(
                "Xero already has a payment of this amount on this date for %s (typed in Xero).",
                invoice.name,
            ),
        )

    @api.model
    def _blocked_by_xero(self, invoice, found, settled, due):
        """Block a payment the Xero document cannot take: not approved, or owing less."""
        rounding = invoice.currency_id.rounding
        status = found.get("Status")
        if status == "PAID":
            return Decision(
                "blocked",
                reason=_(
                    "%s is already fully paid in Xero: fetch payments first, or check it in Xero.",
                    invoice.name,
                ),
            )
        if status != "AUTHORISED":
            return Decision(
                "blocked",
                reason=_(
                    "%(name)s is %(status)s in Xero: only approved documents take payments.",
                    name=invoice.name,
                    status=status,
                ),
            )
        if float_compare(settled, due, precision_rounding=rounding) > 0:
            return Decision(
                "blocked",
                reason=_(
                    "Allocates %(amount)s but Xero's amount due on %(name)s is %(due)s: fetch "
                    "payments first, or check the invoice in Xero.",
                    amount=settled,
                    name=invoice.name,
                    due=due,
                ),
            )
        return None

    @api.model
    def _payment_bodies(self, vals):
        """Decide to create the payment (and its write-off's), with the bodies to send."""
        try:
            body, warnings = payloads.payment_payload(vals)
            bodies = [body]
            if vals.get("writeoff"):
                bodies.append(payloads.writeoff_payment_payload(vals)[0])
                warnings.append(
                    _(
                        "%(cash)s received into the bank, %(written)s written off to Xero "
                        "account %(code)s (%(account)s in Odoo).",
                        cash=vals["amount"],
                        written=vals["writeoff"]["amount"],
                        code=vals["writeoff"]["account_key"],
                        account=vals["writeoff"]["odoo_account"],
                    )
                )
        except payloads.PayloadError as exc:
            return Decision("blocked", reason=str(exc))
        reason = "; ".join(xero_texts(self.env, warnings)) or False
        return Decision("create", reason=reason, body=bodies)
