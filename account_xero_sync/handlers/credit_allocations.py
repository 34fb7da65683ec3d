from collections import defaultdict

from odoo import _, api, models
from odoo.tools import float_compare

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import Decision
from ..xero_api import payloads
from ..xero_api.wire import xero_day


class XeroHandlerPayments(models.AbstractModel):
    """Credit notes allocated to invoices (Send New Payments): a Xero allocation each.

    Odoo reconciles a credit note with an invoice (``account.partial.reconcile`` of their
    receivable lines); Xero gets ``PUT /CreditNotes/{id}/Allocations`` for it, the
    allocations of one credit note in one call. The AllocationID is kept on the partial
    (``xero_payment_id``). Reads: the batch's credit notes (their remaining credit and
    allocations) and invoices (amount due), to link an allocation Xero already has (same
    invoice, amount and date, not linked to another) instead of making it twice.
    """

    _inherit = "xero.handler.payments"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: credit note allocations

    @api.model
    def _credit_values(self, partial):
        note = partial.credit_move_id.move_id
        invoice = partial.debit_move_id.move_id
        return {
            "credit_note_id": note.xero_invoice_id or None,
            "invoice_id": invoice.xero_invoice_id or None,
            "amount": invoice.currency_id.round(partial.debit_amount_currency),
            "date": partial.max_date,
        }

    @api.model
    def _decide_credits(self, batch, partials):
        """``{partial id: Decision}`` for credit notes allocated to invoices."""
        connection = batch.connection
        plan, values = {}, {}
        for partial in partials:
            vals = self._credit_values(partial)
            missing = next(
                (
                    move
                    for move, key in (
                        (partial.credit_move_id.move_id, "credit_note_id"),
                        (partial.debit_move_id.move_id, "invoice_id"),
                    )
                    if not vals[key]
                ),
                None,
            )
            if missing:
                plan[partial.id] = self._document_not_in_xero(missing, batch.preview)._replace(
                    values=vals
                )
            else:
                values[partial.id] = vals
        if not values:
            return plan
        ready = partials.browse(list(values))
        notes = self._fetch_credit_notes(connection, {v["credit_note_id"] for v in values.values()})
        invoices = self._fetch_invoices(connection, {v["invoice_id"] for v in values.values()})
        known = set(
            ready.search(
                [
                    (
                        "xero_payment_id",
                        "in",
                        [
                            a["AllocationID"]
                            for n in notes.values()
                            for a in n.get("Allocations") or []
                        ],
                    )
                ]
            ).mapped("xero_payment_id")
        )
        remaining = {k: float(n.get("RemainingCredit") or 0) for k, n in notes.items()}
        due = {k: float(i.get("AmountDue") or 0) for k, i in invoices.items()}
        for partial in ready.sorted("id"):
            vals = values[partial.id]
            decision = self._decide_credit(partial, vals, notes, invoices, remaining, due, known)
            plan[partial.id] = decision._replace(values=vals)
        return plan

    @api.model
    def _decide_credit(self, partial, vals, notes, invoices, remaining, due, known):
        """Plan one credit allocation; updates ``remaining``, ``due`` and ``known``."""
        note_move, invoice_move = partial.credit_move_id.move_id, partial.debit_move_id.move_id
        note_key, invoice_key = vals["credit_note_id"].lower(), vals["invoice_id"].lower()
        note, invoice = notes.get(note_key), invoices.get(invoice_key)
        if note is None or invoice is None:
            missing = note_move if note is None else invoice_move
            return Decision("blocked", reason=_("Xero has no %s any more.", missing.name))
        rounding = invoice_move.currency_id.rounding
        twin = self._credit_twin(note, invoice_key, vals, known, rounding)
        if twin:
            known.add(twin["AllocationID"])
            return Decision(
                "link",
                twin["AllocationID"],
                _("Xero already has this allocation of %s.", note_move.name),
            )
        for move, document in ((note_move, note), (invoice_move, invoice)):
            if document.get("Status") != "AUTHORISED":
                return Decision(
                    "blocked",
                    reason=_(
                        "%(name)s is %(status)s in Xero: only approved documents take allocations.",
                        name=move.name,
                        status=(document.get("Status") or "").lower(),
                    ),
                )
        for move, left, what in (
            (note_move, remaining[note_key], _("remaining credit")),
            (invoice_move, due[invoice_key], _("amount due")),
        ):
            if float_compare(vals["amount"], left, precision_rounding=rounding) > 0:
                return Decision(
                    "blocked",
                    reason=_(
                        "Allocates %(amount)s but Xero's %(what)s on %(name)s is %(left)s: "
                        "fetch payments first, or check it in Xero.",
                        amount=vals["amount"],
                        what=what,
                        name=move.name,
                        left=left,
                    ),
                )
        try:
            body = payloads.allocation_payload(vals)
        except payloads.PayloadError as exc:
            return Decision("blocked", reason=str(exc))
        remaining[note_key] -= vals["amount"]
        due[invoice_key] -= vals["amount"]
        return Decision("create", body=body)

    @api.model
    def _credit_twin(self, note, invoice_key, vals, known, rounding):
        """The credit note's live Xero allocation to the same invoice, date and amount, not
        linked yet (None if none)."""
        return next(
            (
                a
                for a in note.get("Allocations") or []
                if a.get("AllocationID") not in known
                and not a.get("IsDeleted")
                and ((a.get("Invoice") or {}).get("InvoiceID") or "").lower() == invoice_key
                and xero_day(a.get("Date")) == vals["date"]
                and not float_compare(
                    float(a.get("Amount") or 0), vals["amount"], precision_rounding=rounding
                )
            ),
            None,
        )

    @api.model
    def _send_credits(self, batch, partials):
        """Link or create the Xero allocations of these credit notes; one call per credit note."""
        if not partials:
            return {}
        connection = batch.connection
        plan = self._decide_credits(batch, partials)
        results, by_note = {}, defaultdict(list)
        for partial in partials:
            decision = plan[partial.id]
            if decision.action == "blocked":
                results[partial.id] = Result("blocked", None, decision.reason)
                partial.xero_last_error = xero_text(self.env, decision.reason)
            elif decision.action == "link":
                partial._xero_linked(decision.xero_id, decision.values)
                results[partial.id] = Result("linked", decision.xero_id, decision.reason)
            else:
                by_note[decision.values["credit_note_id"]].append((partial, decision))
        for note_id, items in by_note.items():
            answers = self._batch_call(
                connection,
                "create_credit_note_allocation",
                "Allocations",
                [d.body for _p, d in items],
                credit_note_id=note_id,
            )
            for (partial, decision), answer in zip(items, answers, strict=True):
                xero_id = (answer.get("record") or {}).get("AllocationID")
                if not xero_id:
                    message = "; ".join(answer.get("errors") or [_("Xero gave no allocation id.")])
                    partial.xero_last_error = message
                    results[partial.id] = Result("error", None, message)
                    continue
                partial._xero_linked(xero_id, decision.values)
                results[partial.id] = Result(
                    "created", xero_id, "; ".join(answer["warnings"]) or False
                )
        return results
