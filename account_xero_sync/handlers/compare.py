from odoo import _, api, models

from ..xero_api.documents import XERO_DOCUMENTS
from . import drift

PHASES = ("out_invoice", "out_refund")


class XeroHandlerCompare(models.AbstractModel):
    """Compare with Xero: a drift report of the dealer's invoices and credit notes linked to
    Xero, whose status, total or amount due in Xero differs from Odoo's (``drift``).

    Sends nothing. Reads: the organisation's sales invoices, then its sales credit notes, one
    page of 1,000 per step (``Type`` filter): 1 call per 1,000 documents in Xero. Logs one
    line per linked document that differs (outcome error, Odoo's and Xero's values in the
    message), or that Xero does not have; the report counts what was compared.
    """

    _name = "xero.handler.compare"
    _inherit = "xero.task.reader"
    _description = "Xero task handler: compare with Xero"
    _records = "account.move"
    _phases = PHASES

    @api.model
    def _start(self, task, mode):
        return {"phase": PHASES[0], "page": 1, "seen": [], "checked": {}, "differ": 0}

    @api.model
    def _read(self, task, mode, state):
        """Compare one page of Xero's documents with the Odoo documents linked to them; once
        the phase's last page is read, log the linked documents Xero does not have."""
        move_type = state["phase"]
        document = XERO_DOCUMENTS[move_type]
        records, more = self._read_documents_page(task, move_type, state["page"])
        found = {r[document.id].lower(): r for r in records}
        moves = self.env["account.move"].search(
            self._linked_domain(task, move_type)
            + [("xero_invoice_id", "in", [r[document.id] for r in found.values()])]
        )
        self._log_differences(task, moves, found, state)
        state["seen"] += moves.ids
        if more:
            state["page"] += 1
            return False
        missing = self.env["account.move"].search(
            self._linked_domain(task, move_type) + [("id", "not in", state["seen"])]
        )
        self._log_differences(task, missing, {}, state)
        state["checked"][move_type] = len(state["seen"]) + len(missing)
        state.update(page=1, seen=[])
        return True

    @api.model
    def _linked_domain(self, task, move_type):
        """The dealer's posted and cancelled documents of this kind linked to Xero."""
        return [
            ("company_id", "=", task.company_id.id),
            ("move_type", "=", move_type),
            ("state", "in", ("posted", "cancel")),
            ("xero_invoice_id", "!=", False),
        ]

    @api.model
    def _log_differences(self, task, moves, found, state):
        """One error line per document of ``moves`` that differs from Xero's (``found``, by
        lower-case Xero id)."""
        drafts_ok = task.connection_id.invoice_status == "DRAFT"
        lines, attentions = [], {}
        for move in moves:
            diffs = drift.differences(
                move, found.get(move.xero_invoice_id.lower()), drafts_ok=drafts_ok
            )
            attentions[move.id] = diffs and drift.describe(self.env, diffs)
            if diffs:
                lines.append(
                    {
                        "task_id": task.id,
                        "res_model": move._name,
                        "res_id": move.id,
                        "res_name": move.display_name,
                        "outcome": "error",
                        "xero_id": move.xero_invoice_id,
                        "message": attentions[move.id],
                    }
                )
        state["differ"] += len(lines)
        self.env["xero.task.line"].create(lines)
        # Each document's Xero status as read, and what differs, in one UPDATE.
        moves._xero_store_reads(found, attentions)

    @api.model
    def _report(self, task, state):
        checked = state["checked"]
        invoices, notes, differ = (
            checked.get("out_invoice", 0),
            checked.get("out_refund", 0),
            state["differ"],
        )
        text = _(
            "Compared with Xero: %(invoices)s and %(notes)s linked to Xero.",
            invoices=_("1 invoice") if invoices == 1 else _("%s invoices", invoices),
            notes=_("1 credit note") if notes == 1 else _("%s credit notes", notes),
        )
        if differ:
            return "%s\n%s" % (
                text,
                _("1 differs from Xero (see its log line).")
                if differ == 1
                else _("%s differ from Xero (one log line each).", differ),
            )
        return "%s\n%s" % (text, _("Odoo and Xero agree."))
