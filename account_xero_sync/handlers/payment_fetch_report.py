"""Fetch New Payments, the closing report: Odoo's and Xero's amounts due compared, and what
the fetch did (see :mod:`.payment_fetch`)."""

import logging

from odoo import _

from ..xero_api.wire import chunk_by_length
from . import drift, xero_reads

_logger = logging.getLogger(__name__)

AMOUNT_DUE_ID_CALLS = 2  # up to this many calls by IDs, else read the open invoices whole
REPORT_LIST = 20  # payments on unknown invoices named in the summary (all are in the log)


class FetchReport:
    """A mixin of :class:`~.payment_fetch.PaymentFetch` (``env``, ``task``, ``connection``,
    ``company``)."""

    # ------------------------------------------------------------------ report

    def _xero_amounts_due(self, moves):
        """Xero's invoices for ``moves``, keyed by lower-case InvoiceID, at the fewest calls.

        By ``IDs`` (about 38 a call) when few; else Xero's open sales invoices are read whole,
        1,000 a page (``Status=="AUTHORISED"``, an optimised filter), and only the invoices
        missing from that list that Odoo still sees as due are read by id (a PAID or VOIDED
        invoice owes nothing in Xero).
        """
        ids = moves.mapped("xero_invoice_id")
        if len(list(chunk_by_length(ids, str, separator_len=3))) <= AMOUNT_DUE_ID_CALLS:
            return xero_reads.by_lower_id(self.connection, "out_invoice", ids)
        found = {
            invoice["InvoiceID"].lower(): invoice
            for invoice in self.connection._xero_read_all(
                "get_invoices",
                "Invoices",
                where='Type=="ACCREC" AND Status=="AUTHORISED"',
                page_size=1000,
            )
        }
        missing = moves.filtered(lambda m: m.xero_invoice_id.lower() not in found)
        due = missing.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))
        found.update(
            xero_reads.by_lower_id(self.connection, "out_invoice", due.mapped("xero_invoice_id"))
        )
        for move in missing - due:
            found[move.xero_invoice_id.lower()] = {"AmountDue": 0}
        return found

    def report(self, state):
        """Compare Odoo's and Xero's amounts due; return the report's text.

        Checked: every invoice of the dealer linked to Xero and still open in Odoo (not paid,
        not reversed), plus the invoices this fetch touched, read by :meth:`_xero_amounts_due`
        (one call per 1,000 open invoices of the organisation, or per 38 checked, whichever
        is fewer); an invoice paid in full in Odoo and not touched is not read again.
        """
        checked = self._invoices_to_check(state)
        differ = self._amounts_due_differ(checked)
        report = self._report_lines(state, differ, len(checked))
        _logger.info("Xero fetch for %s: %s", self.company.name, report[0])
        return "\n".join(report)

    def _invoices_to_check(self, state):
        """The dealer's linked invoices open in Odoo and those the fetch touched, by id."""
        Move = self.env["account.move"]
        open_invoices = Move.search(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("xero_invoice_id", "!=", False),
                ("payment_state", "not in", ("paid", "reversed")),
            ]
        )
        touched = (
            Move.browse(sorted(set(state["invoices"])))
            .exists()
            .filtered(lambda m: m.xero_invoice_id and m.move_type == "out_invoice")
        )
        return (open_invoices | touched).sorted("id")

    def _amounts_due_differ(self, checked):
        """One text per invoice whose amount due differs between Odoo and Xero."""
        xero = self._xero_amounts_due(checked) if checked else {}
        differ = []
        for move in checked:
            found = xero.get(move.xero_invoice_id.lower())
            # The amount due as Compare with Xero compares it (one code path: ``drift``).
            if drift.differences(move, found, checks=("due",)):
                xero_due = drift.xero_amount_due(move, found) if found else None
                differ.append(
                    _(
                        "%(name)s: Odoo %(odoo)s, Xero %(xero)s",
                        name=move.name,
                        odoo=move.amount_residual,
                        xero=xero_due if xero_due is not None else _("not found"),
                    )
                )
        return differ

    def _report_lines(self, state, differ, checked_count):
        """The report's lines: what was read and done, then how the amounts due compare."""
        report = self.done_lines(state)
        if differ:
            report.append(_("Amount due differs between Odoo and Xero: %s", "; ".join(differ)))
        else:
            report.append(
                _("Amounts due: Odoo and Xero agree (1 invoice checked).")
                if checked_count == 1
                else _("Amounts due: Odoo and Xero agree (%s invoices checked).", checked_count)
            )
        return report

    def done_lines(self, state):
        """The report's lines of what was read and done (the preview's: what would be)."""
        report = [
            _(
                "Read %(read)s Xero payments (%(pages)s pages): %(created)s fetched, %(linked)s "
                "linked, %(reversed)s reversed, %(known)s already known.",
                **{
                    k: state[k] for k in ("read", "pages", "created", "linked", "reversed", "known")
                },
            )
        ]
        if state.get("allocated") or state.get("unallocated"):
            report.append(
                _(
                    "%(made)s credit note allocations made in Xero reconciled in Odoo, "
                    "%(deleted)s deleted in Xero unreconciled.",
                    made=state.get("allocated", 0),
                    deleted=state.get("unallocated", 0),
                )
            )
        if state["unknown"]:
            listed = "; ".join(state["unknown"][:REPORT_LIST])
            if len(state["unknown"]) > REPORT_LIST:
                listed += _("; and %s more (see the log)", len(state["unknown"]) - REPORT_LIST)
            report.append(
                _(
                    "%(count)s on invoices not in Odoo (not imported): %(list)s",
                    count=len(state["unknown"]),
                    list=listed,
                )
            )
        return report
