from odoo import _, api, models

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Batch
from ..xero_api.documents import XERO_DOCUMENTS
from . import org_index

LIST_CAP = 20  # records only in Xero named in the report, per kind (all are counted)
# Phases, in order: what each links, and the send task that sends what Xero does not have.
PHASES = ("contacts", "out_invoice", "out_refund", "payments")
SENDERS = {
    "contacts": ("res.partner", "xero.handler.customers"),
    "out_invoice": ("account.move", "xero.handler.invoices"),
    "out_refund": ("account.move", "xero.handler.credit_notes"),
    "payments": ("account.partial.reconcile", "xero.handler.payments"),
}


class XeroHandlerLinkExisting(models.AbstractModel):
    """Link Existing Xero Records: onboarding a dealer whose organisation already has history.

    Sends NOTHING to Xero. Links every unlinked Odoo record of the dealer that matches a Xero
    record by the send tasks' own rules (their ``_decide`` / ``_match``): customers (contact
    key, account number, email, name, case and spaces aside; conflicts blocked), invoices and
    credit notes (same number: same customer and total linked, else blocked), payment
    allocations (on a linked document, by our Reference, or the same amount and date). What
    Xero lacks is logged "skipped" (the next Send New ... sends it); what only Xero has is
    counted and named in the report.

    Reads: the organisation's contacts, 1,000 a page (kept by ``org_index``, then one
    ``If-Modified-Since`` read per batch of 50 customers); its sales invoices and credit notes,
    one page of 1,000 per step; for allocations, the linked documents and their payments per
    batch of 50 (2 to 3 calls, as Send New Payments). Xero payments Odoo lacks are not listed
    here: Fetch New Payments imports those of linked invoices.
    """

    _name = "xero.handler.link_existing"
    _inherit = "xero.task.reader"
    _description = "Xero task handler: link existing Xero records"
    _records = "res.partner"
    _phases = PHASES

    @api.model
    def _start(self, task, mode):
        """The work list: every unlinked customer, invoice, credit note and allocation of the
        dealer, whatever its date."""
        connection = task.connection_id
        for phase in PHASES:
            handler = self.env[SENDERS[phase][1]]
            task._add_lines(handler._candidates(connection, "new", all_dates=True))
        return {"phase": PHASES[0], "page": 1, "xero_only": {}}

    @api.model
    def _read(self, task, mode, state):
        phase = state["phase"]
        if phase == "contacts":
            done = self._step_contacts(task, state)
        elif phase == "payments":
            done = self._step_payments(task)
        else:
            done = self._step_documents(task, state, phase)
        if done:  # what no Xero record matched is sent by the next send task
            self._pending(task, phase, None)._log("skipped", message=self._not_in_xero(phase))
        return done

    # ------------------------------------------------------------------ phases

    @api.model
    def _step_contacts(self, task, state):
        """Match one batch of customers against the organisation's contacts (read whole at
        the first batch); once none is left, list the contacts no customer is linked to."""
        connection = task.connection_id
        contacts = org_index.organisation_contacts(connection)
        lines = self._pending(task, "contacts", BATCH_SIZE)
        if not lines:
            Partner = self.env["res.partner"].with_company(connection.company_id)
            linked = set(
                Partner.with_context(active_test=False)
                .search([("xero_contact_id", "in", [c["ContactID"] for c in contacts])])
                .mapped("xero_contact_id")
            )
            self._xero_only(
                state,
                "contacts",
                [
                    c.get("Name") or c["ContactID"]
                    for c in contacts
                    if c["ContactID"] not in linked and c.get("ContactStatus") != "ARCHIVED"
                ],
            )
            return True
        partners = (
            self.env["res.partner"]
            .browse(lines.mapped("res_id"))
            .exists()
            .with_company(connection.company_id)
            .with_context(active_test=False)
        )
        customers = self.env["xero.handler.customers"]
        plan = customers._decide(Batch.of_task(task, "new"), partners)
        results = {}
        for partner in partners:
            decision = plan[partner.id]
            if decision.action in ("link", "blocked"):
                results[partner.id] = customers._apply_match(partner, decision)
            elif decision.action == "create":
                results[partner.id] = Result("skipped", None, self._not_in_xero("contacts"))
            else:
                results[partner.id] = Result("skipped", decision.xero_id, decision.reason)
        self._log_results(lines, results)
        return False

    @api.model
    def _step_documents(self, task, state, move_type):
        """Read one page of Xero's documents of this kind; link or block the Odoo documents
        of the same numbers (the send handler's ``_match``); count what only Xero has."""
        handler = self.env[SENDERS[move_type][1]]
        document = XERO_DOCUMENTS[move_type]
        connection = task.connection_id
        records, more = self._read_documents_page(task, move_type, state["page"])
        live = [r for r in records if handler._is_live(r)]
        by_number = {r[document.number]: r for r in live if r.get(document.number)}
        Move = self.env["account.move"]
        moves = Move.search(
            [
                ("company_id", "=", connection.company_id.id),
                ("move_type", "=", move_type),
                ("xero_invoice_id", "=", False),
                ("name", "in", list(by_number)),
            ]
        )
        lines = self._pending(task, move_type, None).filtered(lambda ln: ln.res_id in moves.ids)
        results, matched = {}, set()
        for move in Move.browse(lines.mapped("res_id")):
            found = by_number[move.name]
            matched.add(found[document.id])
            decision = handler._match(move, found, connection)
            if decision.action == "link":
                move._xero_linked(decision.xero_id, document=decision.xero)
                results[move.id] = Result("linked", decision.xero_id, decision.reason)
            else:
                move._xero_set_error(decision.reason)
                results[move.id] = Result("blocked", found[document.id], decision.reason)
        self._log_results(lines, results)
        known = set(
            Move.search(
                [
                    ("company_id", "=", connection.company_id.id),
                    ("xero_invoice_id", "in", [r[document.id] for r in live]),
                ]
            ).mapped("xero_invoice_id")
        )
        self._xero_only(
            state,
            move_type,
            [
                "%s (%s, %s)" % (r.get(document.number), r["Contact"].get("Name"), r.get("Total"))
                for r in live
                if r[document.id] not in known and r[document.id] not in matched
            ],
        )
        state["page"] += 1
        return not more

    @api.model
    def _step_payments(self, task):
        """Link one batch of allocations to the Xero payments (or credit note allocations)
        Send New Payments would link them to; return True when none is left."""
        lines = self._pending(task, "payments", BATCH_SIZE)
        if not lines:
            return True
        connection = task.connection_id
        partials = self.env["account.partial.reconcile"].browse(lines.mapped("res_id")).exists()
        batch = Batch(connection, "new", preview=True, retry=bool(task.transient_failures))
        plan = self.env["xero.handler.payments"]._decide(batch, partials)
        results = {}
        for partial in partials:
            decision = plan[partial.id]
            if decision.action == "link" and not decision.body:
                writeoff = (decision.xero or {}).get("WriteOffPaymentID") or False
                partial._xero_linked(decision.xero_id, decision.values, writeoff)
                results[partial.id] = Result("linked", decision.xero_id, decision.reason)
            elif decision.action == "blocked":
                partial.xero_last_error = xero_text(self.env, decision.reason)
                results[partial.id] = Result("blocked", None, decision.reason)
            else:  # not in Xero, or in Xero without its write-off: sent (or finished) later
                results[partial.id] = Result("skipped", None, self._not_in_xero("payments"))
        self._log_results(lines, results)
        return False

    # ------------------------------------------------------------------ helpers

    @api.model
    def _pending(self, task, phase, limit):
        """The pending lines of a phase (for documents: of that kind), oldest first."""
        model = SENDERS[phase][0]
        domain = [("task_id", "=", task.id), ("outcome", "=", "pending"), ("res_model", "=", model)]
        lines = self.env["xero.task.line"].search(domain, order="id")
        if model == "account.move":
            kind = self.env["account.move"].browse(lines.mapped("res_id"))
            wanted = set(kind.filtered(lambda m: m.move_type == phase).ids)
            lines = lines.filtered(lambda ln: ln.res_id in wanted)
        return lines[:limit] if limit else lines

    @api.model
    def _not_in_xero(self, phase):
        labels = {
            "contacts": _("Send New Customers"),
            "out_invoice": _("Send New Invoices"),
            "out_refund": _("Send New Credit Notes"),
            "payments": _("Send New Payments"),
        }
        return _("Not in Xero: the next %s sends it.", labels[phase])

    @api.model
    def _xero_only(self, state, kind, names):
        """Count, and name up to ``LIST_CAP`` of, the records of ``kind`` only Xero has."""
        entry = state["xero_only"].setdefault(kind, {"count": 0, "names": []})
        entry["count"] += len(names)
        entry["names"] = (entry["names"] + names)[:LIST_CAP]

    @api.model
    def _report(self, task, state):
        labels = {  # one, more
            "contacts": (_("1 contact"), _("%(count)s contacts")),
            "out_invoice": (_("1 invoice"), _("%(count)s invoices")),
            "out_refund": (_("1 credit note"), _("%(count)s credit notes")),
        }
        parts = []
        for kind, (one, more) in labels.items():
            entry = state["xero_only"].get(kind) or {"count": 0, "names": []}
            if not entry["count"]:
                continue
            listed = "; ".join(entry["names"])
            if entry["count"] > len(entry["names"]):
                listed += _("; and %s more", entry["count"] - len(entry["names"]))
            counted = one if entry["count"] == 1 else more % {"count": entry["count"]}
            parts.append(_("%(counted)s: %(list)s", counted=counted, list=listed))
        if not parts:
            return _("Only in Xero: nothing (every Xero record is linked to Odoo).")
        return _("Only in Xero (not in Odoo, nothing done): %s", " | ".join(parts))
