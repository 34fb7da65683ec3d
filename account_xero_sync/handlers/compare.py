from odoo import _, api, models

from ..models.xero_result import Result
from ..xero_api.documents import XERO_DOCUMENTS
from . import drift
from .reader import PREVIEW_PAGES

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
        move_type, connection = state["phase"], task.connection_id
        moves, found, more = self._compare_page(connection, move_type, state["page"])
        self._log_differences(task, moves, found, state)
        state["seen"] += moves.ids
        if more:
            state["page"] += 1
            return False
        missing = self._missing(connection, move_type, state["seen"])
        self._log_differences(task, missing, {}, state)
        state["checked"][move_type] = len(state["seen"]) + len(missing)
        state.update(page=1, seen=[])
        return True

    @api.model
    def _preview_bulk(self, connection, mode, fresh=False):
        """The documents that differ, as the run logs them, from the first ``PREVIEW_PAGES``
        pages of each kind (all of a smaller organisation's, with those Xero does not have);
        the note: the run's report, or what the preview left unread."""
        rows, unread, state = [], [], {"checked": {}, "differ": 0}
        kinds = {"out_invoice": _("invoices"), "out_refund": _("credit notes")}
        for move_type in PHASES:
            seen, more = [], True
            for page in range(1, PREVIEW_PAGES + 1):
                moves, found, more = self._compare_page(connection, move_type, page)
                rows += self._difference_rows(connection, moves, found)
                seen += moves.ids
                if not more:
                    break
            if more:
                unread.append(self._unread_note(kinds[move_type]))
                continue
            missing = self._missing(connection, move_type, seen)
            rows += self._difference_rows(connection, missing, {})
            state["checked"][move_type] = len(seen) + len(missing)
        state["differ"] = len(rows)
        return rows, "\n".join(unread) or self._report(None, state)

    @api.model
    def _preview_scope(self, connection, mode):
        Move = self.env["account.move"]
        return [Move.search(self._linked_domain(connection, t), order="id") for t in PHASES]

    @api.model
    def _preview_action(self, result):
        return "differs"

    # ------------------------------------------------------------------ shared by run and preview

    @api.model
    def _compare_page(self, connection, move_type, page):
        """One page of Xero's documents of ``move_type``, and the Odoo documents linked to
        them: ``(moves, Xero's documents by lower-case id, more pages)``."""
        document = XERO_DOCUMENTS[move_type]
        records, more = self._read_documents_page(connection, move_type, page)
        found = {r[document.id].lower(): r for r in records}
        moves = self.env["account.move"].search(
            self._linked_domain(connection, move_type)
            + [("xero_invoice_id", "in", [r[document.id] for r in found.values()])]
        )
        return moves, found, more

    @api.model
    def _missing(self, connection, move_type, seen):
        """The linked documents of ``move_type`` not among ``seen`` (the ids the pages read
        found): Xero does not have them."""
        return self.env["account.move"].search(
            self._linked_domain(connection, move_type) + [("id", "not in", seen)]
        )

    @api.model
    def _linked_domain(self, connection, move_type):
        """The dealer's posted and cancelled documents of this kind linked to Xero."""
        return [
            ("company_id", "=", connection.company_id.id),
            ("move_type", "=", move_type),
            ("state", "in", ("posted", "cancel")),
            ("xero_invoice_id", "!=", False),
        ]

    @api.model
    def _differences(self, connection, moves, found):
        """``{move id: what differs}`` for the documents of ``moves`` that differ from Xero's
        (``found``, by lower-case Xero id): the message of each one's log line."""
        drafts_ok = connection.invoice_status == "DRAFT"
        out = {}
        for move in moves:
            diffs = drift.differences(
                move, found.get(move.xero_invoice_id.lower()), drafts_ok=drafts_ok
            )
            if diffs:
                out[move.id] = drift.describe(self.env, diffs)
        return out

    @api.model
    def _difference_rows(self, connection, moves, found):
        """The preview rows of the documents of ``moves`` that differ (``_differences``)."""
        differ = self._differences(connection, moves, found)
        return [
            self._preview_result_row(move, Result("error", move.xero_invoice_id, differ[move.id]))
            for move in moves
            if move.id in differ
        ]

    @api.model
    def _log_differences(self, task, moves, found, state):
        """One error line per document of ``moves`` that differs from Xero's (``found``, by
        lower-case Xero id); each document's Xero status as read, and what differs, stored."""
        differ = self._differences(task.connection_id, moves, found)
        lines = [
            {
                "task_id": task.id,
                "res_model": move._name,
                "res_id": move.id,
                "res_name": move.display_name,
                "outcome": "error",
                "xero_id": move.xero_invoice_id,
                "message": differ[move.id],
            }
            for move in moves
            if move.id in differ
        ]
        state["differ"] += len(lines)
        self.env["xero.task.line"].create(lines)
        # Each document's Xero status as read, and what differs, in one UPDATE.
        moves._xero_store_reads(found, differ)

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
