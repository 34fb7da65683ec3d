from odoo import _, api, models

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
        results, bodies, sent = {}, [], []
        maps = self.env["xero.mapping"]._maps(connection)
        for move in moves:
            cur = current.get(move.xero_invoice_id)
            if not cur:
                results[move.id] = (
                    "error",
                    move.xero_invoice_id,
                    _("Xero has no invoice %s any more.", move.xero_invoice_id),
                )
                continue
            status, amount_paid = cur.get("Status"), self._amount_applied(cur)
            if move in voids:
                if status == "VOIDED":
                    move.xero_sync_state = "voided"
                    results[move.id] = ("skipped", move.xero_invoice_id, _("Already voided."))
                elif amount_paid or status == "PAID":
                    results[move.id] = (
                        "blocked",
                        move.xero_invoice_id,
                        _(
                            "Cancelled in Odoo, but it has payments in Xero (%s paid): remove them "
                            "in Xero before it can be voided.",
                            amount_paid,
                        ),
                    )
                else:
                    bodies.append(
                        self._as_document(payloads.void_invoice_payload(move.xero_invoice_id))
                    )
                    sent.append((move, [], "void"))
                continue
            if status in ("VOIDED", "DELETED"):
                results[move.id] = (
                    "blocked",
                    move.xero_invoice_id,
                    _("The invoice is %s in Xero: it cannot be updated.", status.lower()),
                )
                continue
            values = dict(move._xero_invoice_values(connection, maps), status=None)
            try:
                invoice, warnings, left_out = payloads.invoice_update_payload(
                    values, paid=bool(amount_paid) or status == "PAID"
                )
            except payloads.PayloadError as exc:  # Xero's totals would differ from Odoo's
                results[move.id] = ("blocked", move.xero_invoice_id, str(exc))
                continue
            # Only compared when paid, where Xero keeps its own amounts.
            wanted = payloads.invoice_payload(dict(values, total=None))[0]
            unsent = self._unsent_changes(wanted, cur, left_out)
            if unsent:
                warnings.append(
                    _("Paid in Xero: these changes could not be sent: %s.", ", ".join(unsent))
                )
            bodies.append(self._as_document(invoice))
            sent.append((move, warnings, "update_paid" if left_out else "update"))
        answers = self._put(connection, self._document().update, bodies)
        for (move, warnings, kind), answer in zip(sent, answers, strict=True):
            if kind == "void" and not answer.get("errors"):
                move.xero_sync_state = "voided"
                results[move.id] = ("updated", move.xero_invoice_id, _("Voided in Xero."))
            else:
                # A paid invoice keeps Xero's amounts: its totals are not Odoo's to compare.
                results[move.id] = move._xero_record_answer(
                    answer, warnings, "updated", check_totals=kind == "update"
                )
        updated = [
            (move, answer)
            for (move, _warnings, kind), answer in zip(sent, answers, strict=True)
            if kind == "update"
        ]
        if updated:
            moves, answers = zip(*updated, strict=True)
            results.update(self._void_wrong(connection, moves, answers, results))
        return results

    @api.model
    def _amount_applied(self, document):
        """What Xero has settled on this invoice (payments and credit)."""
        return float(document.get("AmountPaid") or 0) + float(document.get("AmountCredited") or 0)

    @api.model
    def _unsent_changes(self, wanted, current, left_out):
        """The left-out fields whose Odoo value differs from Xero's (what a user must know)."""
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
                if f in item and not _same(item[f], old.get(f))
            )
        return sorted(changed)
