from odoo import _, api, models

from ..models.xero_result import Result
from ..xero_api import payloads

COMPARED_LINE_FIELDS = ("Quantity", "UnitAmount", "DiscountRate", "TaxType", "TaxAmount")


def _same(a, b):
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        try:
            return abs(float(a or 0) - float(b or 0)) < 0.00005
        except (TypeError, ValueError):
            return False
    return str(a or "")[:10] == str(b or "")[:10] if a and b else (a or None) == (b or None)


class XeroHandlerInvoices(models.AbstractModel):
    """Send Invoice on a linked invoice: updating and voiding invoices already in Xero."""

    _inherit = "xero.handler.invoices"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: updating and voiding linked invoices

    @api.model
    def _update(self, connection, updates, voids):
        """Update or void linked invoices in one call, after one bulk read of their Xero state.

        A paid or part-paid invoice gets only the fields Xero allows; the log says which of the
        changes could not be sent. A void needs an invoice without payments in Xero.
        """
        moves = list(updates) + list(voids)
        if not moves:
            return {}
        current = self._fetch_current(connection, [m.xero_invoice_id for m in moves])
        # What Xero has now, recorded in one UPDATE (not found: "Not found in Xero").
        self.env["account.move"].browse([m.id for m in moves])._xero_store_reads(
            {xero_id.lower(): document for xero_id, document in current.items()}
        )
        results, bodies, sent = {}, [], []
        maps = self.env["xero.mapping"]._maps(connection)
        for move in moves:
            cur = current.get(move.xero_invoice_id)
            if not cur:
                results[move.id] = Result(
                    "error",
                    move.xero_invoice_id,
                    _("Xero has no invoice %s any more.", move.xero_invoice_id),
                )
                continue
            if move in voids:
                result, to_send = self._void_one(move, cur)
            else:
                result, to_send = self._update_one(connection, maps, move, cur)
            if result:
                results[move.id] = result
                continue
            body, warnings, kind = to_send
            bodies.append(body)
            sent.append((move, warnings, kind))
        answers = self._put(connection, self._document().update, bodies)
        self._record_updates(connection, sent, answers, results)
        return results

    @api.model
    def _void_one(self, move, cur):
        """Plan the void of one invoice from its Xero state ``cur``.

        :return: (result, None) when nothing is sent, else (None, (body, [], "void")).
        """
        status, amount_paid = cur.get("Status"), self._amount_applied(cur)
        if status == "VOIDED":  # recorded by the read (``_update``)
            return Result("skipped", move.xero_invoice_id, _("Already voided.")), None
        if amount_paid or status == "PAID":
            return Result(
                "blocked",
                move.xero_invoice_id,
                _(
                    "Cancelled in Odoo, but it has payments in Xero (%s paid): remove them "
                    "in Xero before it can be voided.",
                    amount_paid,
                ),
            ), None
        body = self._as_document(payloads.void_invoice_payload(move.xero_invoice_id))
        return None, (body, [], "void")

    @api.model
    def _update_one(self, connection, maps, move, cur):
        """Plan the update of one invoice from its Xero state ``cur``; a paid one gets only
        the fields Xero allows.

        :return: (result, None) when nothing is sent, else (None, (body, warnings, kind)).
        """
        status, amount_paid = cur.get("Status"), self._amount_applied(cur)
        if status in ("VOIDED", "DELETED"):
            return Result(
                "blocked",
                move.xero_invoice_id,
                _("The invoice is %s in Xero: it cannot be updated.", status.lower()),
            ), None
        values = dict(move._xero_invoice_values(connection, maps), status=None)
        try:
            invoice, warnings, left_out = payloads.invoice_update_payload(
                values, paid=bool(amount_paid) or status == "PAID"
            )
        except payloads.PayloadError as exc:  # Xero's totals would differ from Odoo's
            return Result("blocked", move.xero_invoice_id, str(exc)), None
        # Only compared when paid, where Xero keeps its own amounts.
        wanted = payloads.invoice_payload(dict(values, total=None))[0]
        unsent = self._unsent_changes(wanted, cur, left_out)
        if unsent:
            warnings.append(
                _("Paid in Xero: these changes could not be sent: %s.", ", ".join(unsent))
            )
        return None, (self._as_document(invoice), warnings, "update_paid" if left_out else "update")

    @api.model
    def _record_updates(self, connection, sent, answers, results):
        """Record Xero's answers to the updates and voids ``sent`` into ``results``."""
        voided = self.env["account.move"]
        for (move, warnings, kind), answer in zip(sent, answers, strict=True):
            if kind == "void" and not answer.get("errors"):
                voided |= move
                results[move.id] = Result("updated", move.xero_invoice_id, _("Voided in Xero."))
            else:
                # A paid invoice keeps Xero's amounts: its totals are not Odoo's to compare.
                results[move.id] = move._xero_record_answer(
                    answer, warnings, "updated", check_totals=kind == "update"
                )
        voided._xero_set_voided()  # one UPDATE
        updated = [
            (move, answer)
            for (move, _warnings, kind), answer in zip(sent, answers, strict=True)
            if kind == "update"
        ]
        if updated:
            moves, answers = zip(*updated, strict=True)
            results.update(self._void_wrong(connection, moves, answers, results))

    @api.model
    def _amount_applied(self, document):
        """What Xero has settled on this invoice (payments and credit)."""
        return float(document.get("AmountPaid") or 0) + float(document.get("AmountCredited") or 0)

    @api.model
    def _unsent_changes(self, wanted, current, left_out):
        """The left-out fields whose Odoo value differs from Xero's (what a user must know):
        none when nothing was left out (an invoice not paid in Xero gets every change)."""
        changed = set()
        for field in left_out:
            if (
                "." not in field
                and field in wanted
                and not _same(wanted[field], current.get(field))
            ):
                changed.add(field)
        by_id = {item.get("LineItemID"): item for item in current.get("LineItems") or []}
        for item in wanted.get("LineItems") or []:
            old = by_id.get(item.get("LineItemID"))
            if old is None:
                if "LineItems" in left_out and item.get("Quantity") is not None:
                    changed.add("new lines")
                continue
            changed.update(
                f"line {f}"
                for f in COMPARED_LINE_FIELDS
                if ("LineItems" in left_out or f"LineItems.{f}" in left_out)
                and f in item
                and not _same(item[f], old.get(f))
            )
        return sorted(changed)
