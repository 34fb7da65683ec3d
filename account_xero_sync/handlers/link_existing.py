import contextlib
import functools

from odoo import _, api, models

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Batch
from ..xero_api.documents import XERO_DOCUMENTS
from . import org_index
from .reader import PREVIEW_PAGES

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
            model = SENDERS[phase][0]
            task._add_lines(self.env[model].browse(self._candidates_of(phase, connection)))
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
        lines = self._pending(task, "contacts", BATCH_SIZE)
        if not lines:
            self._xero_only(state, "contacts", self._contacts_only_in_xero(connection))
            return True
        partners = self._contact_candidates(connection, lines.mapped("res_id"))
        batch = Batch.of_task(task, "new")
        self._log_results(lines, self._apply(self._decide_contacts(batch, partners)))
        return False

    @api.model
    def _step_documents(self, task, state, move_type):
        """Read one page of Xero's documents of this kind; link or block the Odoo documents
        of the same numbers (the send handler's ``_match``); count what only Xero has."""
        connection = task.connection_id
        records, more = self._read_documents_page(connection, move_type, state["page"])
        pending = self._pending(task, move_type, None)
        decided, xero_only = self._decide_documents(
            connection, move_type, records, set(pending.mapped("res_id"))
        )
        lines = pending.filtered(lambda ln: ln.res_id in decided)
        self._log_results(lines, self._apply(decided))
        self._xero_only(state, move_type, xero_only)
        state["page"] += 1
        return not more

    @api.model
    def _step_payments(self, task):
        """Link one batch of allocations to the Xero payments (or credit note allocations)
        Send New Payments would link them to; return True when none is left."""
        lines = self._pending(task, "payments", BATCH_SIZE)
        if not lines:
            return True
        partials = self.env["account.partial.reconcile"].browse(lines.mapped("res_id")).exists()
        batch = Batch(task.connection_id, "new", preview=True, retry=bool(task.transient_failures))
        self._log_results(lines, self._apply(self._decide_payments(batch, partials)))
        return False

    # ------------------------------------------------------------------ preview

    @api.model
    def _preview_bulk(self, connection, mode, fresh=False):
        """What the run would link, block or leave to the send tasks, decided by the run's own
        code on the same reads (the first ``PREVIEW_PAGES`` pages of documents of each kind),
        each phase with the links the run's earlier phases would have written (``_as_linked``);
        the note: what only Xero has, as the run's report says it."""
        state = {"xero_only": {}}
        partners = self._contact_candidates(connection, self._candidates_of("contacts", connection))
        rows, contacts = [], {}
        for start in range(0, len(partners), BATCH_SIZE):
            chunk = partners[start : start + BATCH_SIZE]
            decided = self._decide_contacts(Batch(connection, "new", fresh_contacts=fresh), chunk)
            rows += self._decided_rows(partners, decided)
            contacts.update(
                (res_id, r.xero_id) for res_id, (r, _w) in decided.items() if r.outcome == "linked"
            )
        self._xero_only(
            state, "contacts", self._contacts_only_in_xero(connection, contacts.values())
        )
        with self._as_linked(connection, "res.partner", contacts):
            documents, links, unread = self._preview_documents(connection, state)
            with self._as_linked(connection, "account.move", links):
                partials = self.env["account.partial.reconcile"].browse(
                    self._candidates_of("payments", connection)
                )
                for start in range(0, len(partials), BATCH_SIZE):
                    chunk = partials[start : start + BATCH_SIZE]
                    decided = self._decide_payments(Batch(connection, "new", preview=True), chunk)
                    documents += self._decided_rows(chunk, decided)
        return rows + documents, "\n".join([*unread, self._report(None, state)])

    @api.model
    def _preview_documents(self, connection, state):
        """The invoices' and credit notes' rows: ``(rows, {move id: Xero id} of those the run
        would link, notes of what was left unread)``."""
        rows, links, unread = [], {}, []
        kinds = {"out_invoice": _("invoices"), "out_refund": _("credit notes")}
        for move_type, what in kinds.items():
            pending = self.env["account.move"].browse(self._candidates_of(move_type, connection))
            for page in range(1, PREVIEW_PAGES + 1):
                records, more = self._read_documents_page(connection, move_type, page)
                decided, xero_only = self._decide_documents(
                    connection, move_type, records, set(pending.ids)
                )
                rows += self._decided_rows(pending, decided)
                links.update(
                    (res_id, r.xero_id)
                    for res_id, (r, _w) in decided.items()
                    if r.outcome == "linked"
                )
                pending = pending.filtered(lambda m, d=decided: m.id not in d)
                self._xero_only(state, move_type, xero_only)
                if not more:
                    break
            if more:  # the documents not matched yet may be on the pages left to the run
                unread.append(self._unread_note(what))
                continue
            skipped = Result("skipped", None, self._not_in_xero(move_type))
            rows += [self._preview_result_row(move, skipped) for move in pending]
        return rows, links, unread

    @contextlib.contextmanager
    def _as_linked(self, connection, model, links):
        """While in this block, Odoo's cache holds the links of ``links`` (``{id: Xero id}``
        of customers or documents) as the run would have written them by then: the preview's
        later phases decide as the run's do. Never written: cached clean (not dirty), nothing
        flushes them; dropped from the cache at the end."""
        fname = {"res.partner": "xero_contact_id", "account.move": "xero_invoice_id"}[model]
        records = self.env[model].browse(list(links)).with_company(connection.company_id)
        field = records._fields[fname]
        for record in records:
            self.env.cache.set(record, field, links[record.id])
        try:
            yield
        finally:
            records.invalidate_recordset([fname], flush=False)

    @api.model
    def _preview_scope(self, connection, mode):
        return [
            self.env[SENDERS[phase][0]].browse(self._candidates_of(phase, connection))
            for phase in PHASES
        ]

    @api.model
    def _preview_action(self, result):
        """Left to a send task as not in Xero: "Not in Xero"."""
        if result.outcome == "skipped" and not result.xero_id:
            return "not_in_xero"
        return super()._preview_action(result)

    @api.model
    def _decided_rows(self, records, decided):
        """The preview rows of the records of ``records`` decided (``{id: (Result, write)}``)."""
        return [self._preview_result_row(r, decided[r.id][0]) for r in records if r.id in decided]

    # ------------------------------------------------------------------ decisions (run and preview)

    @api.model
    def _decide_contacts(self, batch, partners):
        """``{partner id: (Result, write)}``: each customer linked or blocked by the send
        task's own match (``write``: what the run writes for it, or None), or left to it."""
        customers = self.env["xero.handler.customers"]
        plan = customers._decide(batch, partners)
        out = {}
        for partner in partners:
            decision = plan[partner.id]
            if decision.action in ("link", "blocked"):
                write = functools.partial(customers._apply_match, partner, decision)
                out[partner.id] = (customers._match_result(decision), write)
            elif decision.action == "create":
                out[partner.id] = (Result("skipped", None, self._not_in_xero("contacts")), None)
            else:
                out[partner.id] = (Result("skipped", decision.xero_id, decision.reason), None)
        return out

    @api.model
    def _decide_documents(self, connection, move_type, records, pending):
        """Match the Odoo documents of ``pending`` (ids) with the numbers of ``records`` (one
        page of Xero's documents of this kind, the send handler's ``_match``).

        :return: ``({move id: (Result, write)}, the page's documents only Xero has)``
        """
        handler = self.env[SENDERS[move_type][1]]
        document = XERO_DOCUMENTS[move_type]
        live = [r for r in records if handler._is_live(r)]
        by_number = {r[document.number]: r for r in live if r.get(document.number)}
        Move = self.env["account.move"]
        moves = Move.search(
            [
                ("company_id", "=", connection.company_id.id),
                ("move_type", "=", move_type),
                ("xero_invoice_id", "=", False),
                ("name", "in", list(by_number)),
                ("id", "in", list(pending)),
            ]
        )
        decided, matched = {}, set()
        for move in moves:
            found = by_number[move.name]
            matched.add(found[document.id])
            decision = handler._match(move, found, connection)
            if decision.action == "link":
                write = functools.partial(
                    move._xero_linked, decision.xero_id, document=decision.xero
                )
                decided[move.id] = (Result("linked", decision.xero_id, decision.reason), write)
            else:
                write = functools.partial(move._xero_set_error, decision.reason)
                decided[move.id] = (Result("blocked", found[document.id], decision.reason), write)
        known = set(
            Move.search(
                [
                    ("company_id", "=", connection.company_id.id),
                    ("xero_invoice_id", "in", [r[document.id] for r in live]),
                ]
            ).mapped("xero_invoice_id")
        )
        xero_only = [
            "%s (%s, %s)" % (r.get(document.number), r["Contact"].get("Name"), r.get("Total"))
            for r in live
            if r[document.id] not in known and r[document.id] not in matched
        ]
        return decided, xero_only

    @api.model
    def _decide_payments(self, batch, partials):
        """``{allocation id: (Result, write)}``: linked to the Xero payment (or credit note
        allocation) Send New Payments would link it to, blocked, or left to it (``batch``: a
        preview's, the payments handler deciding only)."""
        plan = self.env["xero.handler.payments"]._decide(batch, partials)
        out = {}
        for partial in partials:
            decision = plan[partial.id]
            if decision.action == "link" and not decision.body:
                writeoff = (decision.xero or {}).get("WriteOffPaymentID") or False
                write = functools.partial(
                    partial._xero_linked, decision.xero_id, decision.values, writeoff
                )
                out[partial.id] = (Result("linked", decision.xero_id, decision.reason), write)
            elif decision.action == "blocked":
                reason = xero_text(self.env, decision.reason)
                write = functools.partial(partial.write, {"xero_last_error": reason})
                out[partial.id] = (Result("blocked", None, decision.reason), write)
            else:  # not in Xero, or in Xero without its write-off: sent (or finished) later
                out[partial.id] = (Result("skipped", None, self._not_in_xero("payments")), None)
        return out

    @api.model
    def _apply(self, decided):
        """Write what ``decided`` (``{id: (Result, write)}``) says; ``{id: Result}``."""
        for _result, write in decided.values():
            if write:
                write()
        return {res_id: result for res_id, (result, _write) in decided.items()}

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
    def _candidates_of(self, phase, connection):
        """The ids of the dealer's unlinked records of a phase, whatever their date (what the
        work list holds)."""
        return self.env[SENDERS[phase][1]]._candidates(connection, "new", all_dates=True).ids

    @api.model
    def _contact_candidates(self, connection, ids):
        """The customers of ``ids`` still in Odoo, as the customers' send reads them."""
        return (
            self.env["res.partner"]
            .browse(ids)
            .exists()
            .with_company(connection.company_id)
            .with_context(active_test=False)
        )

    @api.model
    def _contacts_only_in_xero(self, connection, linking=()):
        """The names of the organisation's contacts (not archived) no customer is linked to,
        nor about to be (``linking``: their ids)."""
        contacts = org_index.organisation_contacts(connection)
        Partner = self.env["res.partner"].with_company(connection.company_id)
        linked = set(
            Partner.with_context(active_test=False)
            .search([("xero_contact_id", "in", [c["ContactID"] for c in contacts])])
            .mapped("xero_contact_id")
        ) | set(linking)
        return [
            c.get("Name") or c["ContactID"]
            for c in contacts
            if c["ContactID"] not in linked and c.get("ContactStatus") != "ARCHIVED"
        ]

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
