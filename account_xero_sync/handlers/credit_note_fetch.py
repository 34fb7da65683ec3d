"""Fetch New Payments, last phase: credit notes allocated (or unallocated) in Xero.

Read only when Odoo has credit notes of the dealer linked to Xero (else there is nothing they
could be allocated to in Odoo): the credit notes modified since the last fetch, 1,000 a page.
For each allocation of a linked credit note to a linked invoice that Odoo does not know:
an allocation not sent yet between the same two documents for the same amount is linked;
else the two are reconciled in Odoo when the allocation takes all that the credit note or the
invoice has left (Odoo reconciles whole amounts), otherwise it is listed for a person to do.
A linked allocation that Xero no longer lists was deleted in Xero: it is unreconciled in Odoo.
"""

from datetime import datetime

from odoo import _
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..xero_api import paging
from ..xero_api.wire import xero_day

NOTES_PAGE = 1000


class CreditNoteFetch:
    """A mixin of :class:`~.payment_fetch.PaymentFetch` (``env``, ``task``, ``connection``,
    ``company``, ``_line``)."""

    def _credit_notes_step(self, state):
        """Read and handle one page of credit notes; return True after the last one."""
        Move = self.env["account.move"]
        if not Move.search_count(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "=", "out_refund"),
                ("xero_invoice_id", "!=", False),
            ],
            limit=1,
        ):
            return True
        kwargs = {"page": state.get("notes_page", 1), "page_size": NOTES_PAGE}
        if state.get("notes_since"):
            kwargs["if_modified_since"] = datetime.fromisoformat(state["notes_since"])
        notes, more = paging.read_page(
            self.connection._xero_call, "get_credit_notes", "CreditNotes", **kwargs
        )
        notes = [n for n in notes if n.get("Type") == "ACCRECCREDIT"]
        self._handle_credit_notes(notes, state)
        if not more:
            return True
        state["notes_page"] = kwargs["page"] + 1
        return False

    def _handle_credit_notes(self, notes, state):
        """Link, reconcile or unreconcile in Odoo what one page of credit notes allocates."""
        Partial = self.env["account.partial.reconcile"]
        docs = self._credit_note_documents(notes)
        for note in notes:  # an allocation Xero lists as deleted is not one
            note["Allocations"] = [
                a for a in note.get("Allocations") or [] if not a.get("IsDeleted")
            ]
        known = self._known_allocations(notes, docs)
        by_note = self._credit_allocations_by_note(docs)
        lines = []
        for note in notes:
            move = docs.get(note["CreditNoteID"].lower())
            if not move:
                continue
            current = {a["AllocationID"].lower(): a for a in note.get("Allocations") or []}
            credits = by_note.get(move.id, Partial.browse())
            linked = {p.xero_payment_id.lower(): p for p in credits if p.xero_payment_id}
            for key, partial in linked.items():
                if key not in current:  # deleted in Xero
                    lines.append(self._allocation_deleted(partial, move, state))
            for key, allocation in current.items():
                if key in linked or key in known:
                    continue
                invoice = docs.get(
                    ((allocation.get("Invoice") or {}).get("InvoiceID") or "").lower()
                )
                lines.append(self._allocation_made(allocation, move, invoice, credits, state))
        self.env["xero.task.line"].create([line for line in lines if line])

    def _credit_note_documents(self, notes):
        """The Odoo credit notes of the page and the invoices they are allocated to, by
        lowercase Xero id."""
        env = self.env
        docs = {
            m.xero_invoice_id.lower(): m
            for m in env["account.move"].search(
                [
                    ("company_id", "=", self.company.id),
                    ("xero_invoice_id", "in", [n["CreditNoteID"] for n in notes]),
                ]
            )
        }
        ids = {
            (a.get("Invoice") or {}).get("InvoiceID")
            for n in notes
            for a in n.get("Allocations") or []
        } - {None}
        docs.update(
            {
                m.xero_invoice_id.lower(): m
                for m in env["account.move"].search(
                    [("company_id", "=", self.company.id), ("xero_invoice_id", "in", list(ids))]
                )
            }
        )
        return docs

    def _known_allocations(self, notes, docs):
        """The lowercase ids of the page's allocations that are Odoo's: linked, or removed in
        Odoo and waiting to be deleted in Xero."""
        Partial = self.env["account.partial.reconcile"]
        in_xero = [a["AllocationID"] for n in notes for a in n.get("Allocations") or []]
        # Allocations Odoo removed and Send New Payments has yet to delete are Odoo's: not
        # reconciled again.
        known = {
            entry["xero_id"].lower()
            for move in docs.values()
            for entry in move.xero_removed_allocations or []
        }
        known |= {
            x.lower()
            for x in Partial.search([("xero_payment_id", "in", in_xero)]).mapped("xero_payment_id")
        }
        return known

    def _credit_allocations_by_note(self, docs):
        """The credit allocations in Odoo of the page's credit notes, per credit note id."""
        Partial = self.env["account.partial.reconcile"]
        by_note = {}
        for partial in Partial.search(
            [("credit_move_id.move_id", "in", [m.id for m in docs.values()])]
        ):
            if partial._xero_kind() == "credit":
                by_note.setdefault(partial.credit_move_id.move_id.id, partial.browse())
                by_note[partial.credit_move_id.move_id.id] |= partial
        return by_note

    def _allocation_line(self, outcome, allocation_id, record, message):
        return {
            "task_id": self.task.id,
            "res_model": record._name,
            "res_id": record.id,
            "res_name": record.display_name,
            "outcome": outcome,
            "xero_id": allocation_id,
            "message": message,
        }

    def _allocation_deleted(self, partial, note, state):
        allocation_id = partial.xero_payment_id
        invoice = partial.debit_move_id.move_id
        try:
            with self.env.cr.savepoint():
                partial.with_context(xero_no_removal=True).unlink()
        except (UserError, ValidationError) as exc:
            return self._allocation_line(
                "error",
                allocation_id,
                note,
                _("Deleted in Xero, but Odoo could not unreconcile it: %s", exc),
            )
        state["unallocated"] = state.get("unallocated", 0) + 1
        state["invoices"].append(invoice.id)  # its amount due is checked at the end
        return self._allocation_line(
            "updated",
            allocation_id,
            note,
            _(
                "The allocation of %(note)s to %(invoice)s was deleted in Xero: unreconciled "
                "in Odoo.",
                note=note.name,
                invoice=invoice.name,
            ),
        )

    def _allocation_made(self, allocation, note, invoice, credits, state):
        """Handle an allocation made in Xero that Odoo does not know: skip, link or reconcile."""
        allocation_id = allocation["AllocationID"]
        amount = float(allocation.get("Amount") or 0)
        if not invoice:
            state["known"] += 1
            return self._allocation_line(
                "skipped",
                allocation_id,
                note,
                _("Allocated in Xero to an invoice that is not in Odoo: not imported."),
            )
        state["invoices"].append(invoice.id)  # its amount due is checked at the end
        linked = self._allocation_twin(allocation_id, amount, invoice, credits, state)
        if linked:
            return linked
        lines = (note.line_ids | invoice.line_ids).filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        blocked = self._allocation_blocked(allocation_id, amount, note, invoice, lines)
        if blocked:
            return blocked
        return self._allocation_reconciled(allocation, amount, note, invoice, lines, state)

    def _allocation_twin(self, allocation_id, amount, invoice, credits, state):
        """Link the allocation to one in Odoo not sent yet, same invoice and amount (None if
        there is none)."""
        rounding = invoice.currency_id.rounding
        twin = credits.filtered(
            lambda p: (
                not p.xero_payment_id
                and p.debit_move_id.move_id == invoice
                and not float_compare(p.debit_amount_currency, amount, precision_rounding=rounding)
            )
        )[:1]
        if twin:
            twin._xero_linked(allocation_id, {"amount": amount, "date": twin.max_date})
            state["allocated"] = state.get("allocated", 0) + 1
            return self._allocation_line(
                "linked", allocation_id, twin, _("Odoo has this allocation: linked.")
            )
        return None

    def _allocation_blocked(self, allocation_id, amount, note, invoice, lines):
        """Block what Odoo cannot reconcile by itself: a document not posted, or an allocation
        of less than either has left (None when it can)."""
        rounding = invoice.currency_id.rounding
        whole = min(note.amount_residual, invoice.amount_residual)
        if note.state != "posted" or invoice.state != "posted":
            return self._allocation_line(
                "blocked",
                allocation_id,
                note,
                _(
                    "Allocated in Xero: %(note)s to %(invoice)s, but one of them is not posted "
                    "in Odoo: reconcile it by hand once it is.",
                    note=note.name,
                    invoice=invoice.name,
                ),
            )
        if len(lines) != 2 or float_compare(amount, whole, precision_rounding=rounding):
            return self._allocation_line(
                "blocked",
                allocation_id,
                note,
                _(
                    "Allocated in Xero: %(amount)s of %(note)s to %(invoice)s, less than what "
                    "either has left in Odoo (%(whole)s): reconcile it in Odoo by hand (Add "
                    "the credit on the invoice, then adjust).",
                    amount=amount,
                    note=note.name,
                    invoice=invoice.name,
                    whole=whole,
                ),
            )
        return None

    def _allocation_reconciled(self, allocation, amount, note, invoice, lines, state):
        """Reconcile the credit note with the invoice in Odoo and link the allocation made."""
        allocation_id = allocation["AllocationID"]
        try:
            with self.env.cr.savepoint():
                lines.reconcile()
        except (UserError, ValidationError) as exc:
            return self._allocation_line(
                "error",
                allocation_id,
                note,
                _(
                    "Allocated in Xero: %(note)s to %(invoice)s, but Odoo could not reconcile "
                    "them: %(why)s",
                    note=note.name,
                    invoice=invoice.name,
                    why=exc,
                ),
            )
        partial = self.env["account.partial.reconcile"].search(
            [
                ("credit_move_id.move_id", "=", note.id),
                ("debit_move_id.move_id", "=", invoice.id),
                ("xero_payment_id", "=", False),
            ],
            order="id desc",
            limit=1,
        )
        partial._xero_linked(
            allocation_id, {"amount": amount, "date": xero_day(allocation.get("Date"))}
        )
        state["allocated"] = state.get("allocated", 0) + 1
        return self._allocation_line(
            "created",
            allocation_id,
            partial,
            _(
                "Allocated in Xero: %(amount)s of %(note)s to %(invoice)s, reconciled in Odoo.",
                amount=amount,
                note=note.name,
                invoice=invoice.name,
            ),
        )
