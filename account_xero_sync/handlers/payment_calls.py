from odoo import _, api, models

from ..models.account_partial_reconcile import POSTED_PAYMENT_STATES
from ..models.xero_result import Result
from ..models.xero_texts import xero_text, xero_texts
from ..tasks.common import Decision
from ..xero_api import errors as xero_errors
from ..xero_api import payloads
from . import org_index, xero_reads


class XeroHandlerPayments(models.AbstractModel):
    """The payments handler's Xero calls (invoices, credit notes and their payments read in
    bulk through ``xero_reads``, the layer it shares with Fetch New Payments; deletes), the
    preview rows of what is not an allocation to send (removals to make in Xero, money waiting
    for an allocation), and the plan of an allocation whose invoice or credit note is not in
    Xero yet."""

    _inherit = "xero.handler.payments"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the payments' Xero calls

    @api.model
    def _fetch_invoices(self, connection, xero_invoice_ids, task=None):
        """Xero invoices by id, keyed by lower-case InvoiceID.

        ``IDs`` filter, split so each query string stays under Xero's limit (about 38 GUIDs a
        call), each chunk read page by page; for a ``task``, what its read of the organisation
        holds first (``org_index``; read again at once when the batch is tried again).
        """
        ids = sorted({i for i in xero_invoice_ids if i})
        found = {}
        if task is not None and ids:
            fresh = bool(self.env.context.get("xero_key_salt"))
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

    @api.model
    def _delete_payments(self, connection, removals):
        """Delete Xero payments: ``removals`` is ``[(xero_payment_id, xero_invoice_id)]``.

        A payment its document (the invoice, or the credit note of a refund) no longer lists is
        already deleted (a rerun after a crash): it is not deleted twice. Xero has no batch
        delete: one call per payment still in Xero.
        :return: ``{xero_payment_id: (done, message)}``
        """
        documents = {doc for _pid, doc in removals if doc}
        invoices = self._fetch_invoices(connection, documents)
        missing = {doc for doc in documents if doc.lower() not in invoices}
        invoices.update(self._fetch_credit_notes(connection, missing))
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
                        why=xero_text(self.env, exc),
                    ),
                )
            else:
                out[xero_id] = (True, _("Xero payment %s deleted.", xero_id))
        self._forget_imports(connection, [xid for xid, (done, _m) in out.items() if done])
        return out

    @api.model
    def _forget_imports(self, connection, xero_ids):
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

    @api.model
    def _delete_removed(self, payments, connection):
        """Delete in Xero the payments of allocations deleted in Odoo; keep what failed."""
        removals = [
            (r["xero_id"], r.get("xero_invoice_id"))
            for payment in payments
            for r in payment.xero_removed_payments or []
        ]
        done = self._delete_payments(connection, removals)
        results = {}
        for payment in payments:
            entries = payment.xero_removed_payments or []
            if not entries:
                results[payment.id] = Result("skipped", None, _("Nothing to delete in Xero."))
                continue
            left = [entry for entry in entries if not done[entry["xero_id"]][0]]
            payment.sudo().xero_removed_payments = left or False
            results[payment.id] = Result(
                "error" if left else "updated",
                ", ".join(e["xero_id"] for e in entries),
                "; ".join(done[e["xero_id"]][1] for e in entries),
            )
        return results

    # ------------------------------------------------------------------ writes

    @api.model
    def _send_payments(self, connection, to_send, replaced=()):
        """Create the Xero payments of these allocations in one call: the cash, and the part
        written off when there is one. An allocation is linked only when all of its payments
        were made; what Xero took of a half-refused one is deleted again, so Xero never holds
        a payment without its write-off. ``replaced``: the Xero payments these re-create (they
        make the call's idempotency key new)."""
        bodies = [(partial, body) for partial, decision in to_send for body in decision.body]
        key = None
        if replaced and bodies:
            key = connection._gateway().idempotency_key(
                "create_payments",
                {"payments": [body for _p, body in bodies], "replacing": list(replaced)},
            )
        answers = self._batch_call(
            connection,
            "create_payments",
            "Payments",
            [body for _p, body in bodies],
            idempotency_key=key,
        )
        made, errors, warnings = {}, {}, {}
        for (partial, _body), answer in zip(bodies, answers, strict=True):
            xero_id = (answer.get("record") or {}).get("PaymentID")
            made.setdefault(partial.id, []).append(xero_id)
            if not xero_id:
                errors.setdefault(partial.id, []).extend(
                    answer.get("errors") or [_("Xero gave no payment id.")]
                )
            warnings.setdefault(partial.id, []).extend(answer.get("warnings") or [])
        results = {}
        for partial, decision in to_send:
            ids = made[partial.id]
            linked = decision.action == "link"  # its cash payment was already in Xero
            if partial.id in errors:
                document = decision.values["document_id"]
                undo = [(xero_id, document) for xero_id in ids if xero_id]
                if undo:
                    self._delete_payments(connection, undo)
                message = "; ".join(filter(None, errors[partial.id]))
                partial.xero_last_error = message
                results[partial.id] = Result("error", None, message)
                continue
            cash_id = decision.xero_id if linked else ids[0]
            writeoff_id = ids[-1] if decision.values.get("writeoff") else False
            partial._xero_linked(cash_id, decision.values, writeoff_id)
            notes = [n for n in xero_texts(self.env, [decision.reason, *warnings[partial.id]]) if n]
            results[partial.id] = Result(
                "linked" if linked else "created",
                cash_id,
                "; ".join(notes) or False,
            )
        return results

    @api.model
    def _finish_deletes(self, partials, connection):
        """Delete the Xero payments these allocations replace; errors keep them pending."""
        pending = partials.filtered("xero_pending_payment_id")
        if not pending:
            return {}
        removals = {
            p.id: [
                (xero_id, p._xero_paid_document().xero_invoice_id)
                for xero_id in (p.xero_pending_payment_id, p.xero_pending_writeoff_id)
                if xero_id
            ]
            for p in pending
        }
        done = self._delete_payments(connection, [r for rs in removals.values() for r in rs])
        results = {}
        for partial in pending:
            failed = [
                done[xero_id][1] for xero_id, _doc in removals[partial.id] if not done[xero_id][0]
            ]
            if not failed:
                partial.write(
                    {
                        "xero_pending_action": False,
                        "xero_pending_payment_id": False,
                        "xero_pending_writeoff_id": False,
                    }
                )
            else:
                message = "; ".join(failed)
                partial.xero_last_error = message
                results[partial.id] = Result("error", None, message)
        return results

    # ------------------------------------------------------------------ credit note removals

    @api.model
    def _credit_notes_with_removals(self, connection):
        """The dealer's credit notes whose Xero allocations wait to be deleted."""
        return self.env["account.move"].search(
            [
                ("company_id", "=", connection.company_id.id),
                ("move_type", "=", "out_refund"),
                ("xero_removed_allocations", "!=", False),
            ],
            order="id",
        )

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
    def _delete_removed_allocations(self, notes, connection):
        """Delete in Xero the allocations of these credit notes removed in Odoo (one call each:
        Xero has no batch delete); an allocation Xero no longer has counts as deleted."""
        results = {}
        for note in notes:
            left, done = [], []
            for entry in note.xero_removed_allocations or []:
                try:
                    connection._xero_call(
                        "delete_credit_note_allocations",
                        credit_note_id=entry["credit_note_id"],
                        allocation_id=entry["xero_id"],
                    )
                except xero_errors.XeroNotFound:
                    done.append(_("Xero allocation %s was already deleted.", entry["xero_id"]))
                except xero_errors.XeroValidationError as exc:
                    left.append(entry)
                    done.append(
                        _(
                            "Xero allocation %(id)s could not be deleted: %(why)s",
                            id=entry["xero_id"],
                            why=xero_text(self.env, exc),
                        )
                    )
                else:
                    done.append(
                        _(
                            "Allocation to %(invoice)s deleted in Xero.",
                            invoice=entry.get("invoice"),
                        )
                    )
            note.sudo().xero_removed_allocations = left or False
            outcome = "error" if left else "updated"
            results[note.id] = Result(outcome, note.xero_invoice_id, "; ".join(done) or False)
        return results

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
    def _documents_preview(self, partials, connection):
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
                plan.update(self.env[handler]._decide(documents, connection, "new", preview=True))
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
