from odoo import _, api, models

from ..models.xero_result import Result
from ..models.xero_texts import xero_text, xero_texts
from ..xero_api import errors as xero_errors
from ..xero_api import payloads


class XeroHandlerPayments(models.AbstractModel):
    """The payments handler's writes to Xero: the payments of allocations created (a
    half-refused one undone), the Xero payments deleted (replaced by Send Payment, of
    allocations removed in Odoo), and the Xero allocations of credit notes removed in Odoo."""

    _inherit = "xero.handler.payments"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the payments' writes to Xero

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
