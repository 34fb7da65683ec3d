from urllib.parse import quote_plus

from odoo import _, api, models

from ..xero_api import errors as xero_errors
from ..xero_api import payloads
from ..xero_api.wire import MAX_QUERY, chunk_by_length, guid_where

LIVE_PAYMENTS = 'Status=="AUTHORISED" AND (%s)'


class XeroHandlerPayments(models.AbstractModel):
    """The payments handler's Xero calls: invoices and their payments read in bulk, deletes
    (also used by Fetch New Payments)."""

    _inherit = "xero.handler.payments"

    @api.model
    def _fetch_invoices(self, connection, xero_invoice_ids):
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
    def _fetch_credit_notes(self, connection, xero_ids):
        """Xero credit notes by id, keyed by lower-case CreditNoteID, with their remaining
        credit, allocations and refunds (``where`` of at most 10 ids a call)."""
        ids = sorted({i for i in xero_ids if i})
        notes = self.env["xero.handler.credit_notes"]._fetch_current(connection, ids) if ids else {}
        return {key.lower(): note for key, note in notes.items()}

    @api.model
    def _fetch_live_payments(self, connection, invoice_keys):
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
    def _delete_payments(self, connection, removals):
        """Delete Xero payments: ``removals`` is ``[(xero_payment_id, xero_invoice_id)]``.

        A payment its invoice no longer lists is already deleted (a rerun after a crash): it is
        not deleted twice. Xero has no batch delete: one call per payment still in Xero.
        :return: ``{xero_payment_id: (done, message)}``
        """
        invoices = self._fetch_invoices(connection, {inv for _pid, inv in removals if inv})
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
                results[payment.id] = ("skipped", None, _("Nothing to delete in Xero."))
                continue
            left = [entry for entry in entries if not done[entry["xero_id"]][0]]
            payment.sudo().xero_removed_payments = left or False
            results[payment.id] = (
                "error" if left else "updated",
                ", ".join(e["xero_id"] for e in entries),
                "; ".join(done[e["xero_id"]][1] for e in entries),
            )
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
                            why=exc.user_message(),
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
            results[note.id] = (outcome, note.xero_invoice_id, "; ".join(done) or False)
        return results
