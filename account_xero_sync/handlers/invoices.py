from odoo import _, api, models
from odoo.tools import float_compare

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Decision
from ..xero_api import payloads
from ..xero_api.documents import XERO_DOCUMENTS
from . import org_index

NUMBER_TAKEN = "must be unique"  # Xero: "Invoice # must be unique."


class XeroHandlerInvoices(models.AbstractModel):
    """Send New Invoices and Send Invoice: customer invoices as Xero ACCREC invoices.

    Sends: customers not in Xero yet first (by the customers handler, in the same task), then
    new invoices (``PUT /Invoices``, 50 a call), updates and voids of linked ones (``POST``, 50
    a call). Reads: the numbers Xero refuses as taken (``InvoiceNumbers``, one call for the
    batch) to link invoices Xero already has instead of creating them twice; the organisation's
    currencies (one call) when the batch has a foreign currency; for updates, the linked
    invoices' current state (``IDs``, one call per about 38). Cost: 1 call per 50 new invoices
    whose customers are in Xero, 2 when some of their numbers are already there.
    """

    _name = "xero.handler.invoices"
    _inherit = "xero.task.handler"
    _description = "Xero task handler: invoices"
    _records = "account.move"
    _move_type = "out_invoice"  # the kind of document (``XERO_DOCUMENTS``) this handler sends
    # Create first, look up only what Xero refuses as taken: Xero's ACCREC numbers are unique.
    _optimistic = True

    @api.model
    def _document(self):
        return XERO_DOCUMENTS[self._move_type]

    @api.model
    def _candidates(self, connection, mode, all_dates=False):
        """The dealer's posted documents of this kind not linked to Xero, dated from the
        connection's "Send documents dated from" (``all_dates``: all of them)."""
        domain = self._candidates_domain(connection, all_dates)
        return self.env["account.move"].search(domain, order="id")

    @api.model
    def _candidates_domain(self, connection, all_dates=False):
        """The domain of ``_candidates`` (also what the dealer dashboard counts)."""
        domain = [
            ("company_id", "=", connection.company_id.id),
            ("move_type", "=", self._move_type),
            ("state", "=", "posted"),
            ("xero_invoice_id", "=", False),
        ]
        if connection.send_from_date and not all_dates:
            domain.append(("invoice_date", ">=", connection.send_from_date))
        return domain

    @api.model
    def _preview_row(self, record, decision):
        return dict(
            super()._preview_row(record, decision),
            name=record.name,
            partner_id=record.partner_id.id,
            currency_id=record.currency_id.id,
            amount_total=record.amount_total,
        )

    @api.model
    def _send_batch(self, batch, records):
        """Send one batch. Look-ups by number know the batches left (the organisation is read
        whole when cheaper) and, on a task's first batch in this process, read what changed."""
        task, connection = batch.task, batch.connection
        left = len(task._pending_lines(10 * BATCH_SIZE))
        batch = batch.but(
            batches_left=-(-left // BATCH_SIZE) or 1, fresh_numbers=org_index.first_batch(task)
        )
        invoices = records.with_company(connection.company_id)
        partners = invoices.commercial_partner_id.filtered(lambda p: not p.xero_contact_id)
        customers = {}
        if partners:  # sent first, in this task, by the customers' own code path
            sent = self.env["xero.handler.customers"]._send_dependencies(batch, partners)
            customers = {pid: (r.outcome, r.message) for pid, r in sent.items()}
        plan = self._decide(batch.but(customers=customers), invoices)
        results, creates, updates, voids = {}, [], [], []
        for move in invoices:
            decision = plan[move.id]
            if decision.action == "blocked":
                results[move.id] = Result("blocked", None, decision.reason)
            elif decision.action == "skip":
                results[move.id] = Result("skipped", decision.xero_id, decision.reason)
            elif decision.action == "link":
                move._xero_linked(decision.xero_id, document=decision.xero)
                results[move.id] = Result("linked", decision.xero_id, decision.reason)
            elif decision.action == "void":
                voids.append(move)
            elif decision.action == "update":
                updates.append(move)
            else:
                creates.append(move)
        results.update(self._create(batch, creates))
        results.update(self._update(connection, updates, voids))
        failed = {
            move.id: results[move.id].message
            for move in invoices
            if results[move.id].outcome in ("blocked", "error")
        }
        invoices.browse(list(failed))._xero_store_errors(list(failed.values()))  # one UPDATE
        return results

    # ------------------------------------------------------------------ planning

    @api.model
    def _decide(self, batch, records):
        """What happens to each invoice: create, link, update, void, skip or blocked.

        One plan for the preview and the run: the same checks (mappings, currencies, what
        Xero would refuse) whether or not the customer is in Xero yet, and the customer's own
        outcome: ``batch.customers`` is ``{partner id: (outcome, message)}`` of the customers
        the run has just sent (see ``_send_batch``); a preview asks the customers' handler
        what it would do with them ("will be created first", or blocked and why).

        Invoices Xero may already have (a create that reached Xero before a crash, or one
        typed there) are linked, never duplicated. Xero keeps ACCREC numbers unique, so the
        look-up by number (``InvoiceNumbers``) is made only for the numbers Xero refuses as
        taken (see ``_create``), except for a preview and for the retry of a batch whose
        answer was lost, which look the batch up first.
        """
        connection, plan, to_match = batch.connection, {}, records.browse()
        currencies = self._enabled_currencies(records, connection)
        maps = self.env["xero.mapping"]._maps(connection)
        customers = self._customers_preview(batch, records) if batch.preview else batch.customers
        notes = {}
        for move in records:
            blocked, notes[move.id] = self._block_reason(
                move, connection, currencies, maps, customers or {}
            )
            if blocked:
                plan[move.id] = Decision("blocked", move.xero_invoice_id or None, blocked)
            elif move.xero_invoice_id:
                if batch.mode == "new":
                    plan[move.id] = Decision("skip", move.xero_invoice_id, _("Already in Xero."))
                elif move.state == "cancel":
                    plan[move.id] = Decision("void", move.xero_invoice_id)
                else:
                    plan[move.id] = Decision("update", move.xero_invoice_id)
            elif move.state == "cancel":
                plan[move.id] = Decision("skip", reason=_("Cancelled and not in Xero."))
            else:
                to_match |= move
        existing = {}
        if batch.preview or not self._optimistic or batch.retry:
            existing = self._fetch_by_number(batch, to_match.mapped("name"))
        for move in to_match:
            found = existing.get(move.name)
            decision = self._match(move, found, connection) if found else Decision("create")
            if decision.action == "create" and notes[move.id]:
                decision = decision._replace(reason=notes[move.id])
            plan[move.id] = decision
        return plan

    @api.model
    def _customers_preview(self, batch, moves):
        """``{partner id: (action, reason)}``: what Send New Customers would do with the
        customers of ``moves`` not in Xero yet (the run sends them first, by that plan)."""
        company = batch.connection.company_id
        partners = moves.commercial_partner_id.with_company(company).filtered(
            lambda p: not p.xero_contact_id
        )
        if not partners:
            return {}
        customers = self.env["xero.handler.customers"]
        plan = customers._decide(batch.but(mode="new", for_documents=True), partners)
        return {pid: (decision.action, decision.reason) for pid, decision in plan.items()}

    @api.model
    def _match(self, move, found, connection):
        """Link to the Xero invoice of the same number, or block when it is another one."""
        partner = move.commercial_partner_id.with_company(connection.company_id)
        # A customer not linked yet (preview: it is sent first) is compared by name.
        same_contact = (
            found["Contact"]["ContactID"] == partner.xero_contact_id
            if partner.xero_contact_id
            else (found["Contact"].get("Name") or "").strip().lower()
            == payloads.contact_name(partner.name).lower()
        )
        same_total = not float_compare(
            float(found.get("Total") or 0),
            move.amount_total,
            precision_rounding=move.currency_id.rounding,
        )
        if same_contact and same_total:
            return Decision(
                "link",
                found[self._document().id],
                _("%s already exists in Xero for this customer and total.", move.name),
                xero=found,
            )
        return Decision(
            "blocked",
            reason=_(
                "Number %(name)s already exists in Xero for %(contact)s, total "
                "%(total)s: check it in Xero.",
                name=move.name,
                contact=found["Contact"].get("Name") or found["Contact"]["ContactID"],
                total=found.get("Total"),
            ),
        )

    @api.model
    def _block_reason(self, move, connection, currencies, maps, customers):
        """``(why this invoice cannot be sent, or False; a note for the preview, or False)``.

        ``customers``: the outcome of the customers not in Xero yet (``_decide``).
        """
        if move.move_type != self._move_type:
            return _("%s is not a document of this task's kind.", move.name or move.id), False
        if move.company_id != connection.company_id:
            why = _(
                "%(name)s belongs to %(company)s, not to this dealer.",
                name=move.name,
                company=move.company_id.name,
            )
            return why, False
        if move.state == "draft":
            return _("%s is not posted.", move.name or _("The document")), False
        if move.state == "cancel" and not move.xero_invoice_id:
            return False, False
        if (
            not move.xero_invoice_id
            and float_compare(move.amount_total, 0, precision_rounding=move.currency_id.rounding)
            <= 0
        ):
            return _("Zero or negative total: Xero takes only documents above zero."), False
        if currencies is not None and move.currency_id.name not in currencies:
            why = _("Currency %s is not enabled in the Xero organisation.", move.currency_id.name)
            return why, False
        mismatch = self.env["xero.mapping"]._rate_mismatch_block(move, connection, maps)
        if mismatch and move.state != "cancel":
            return mismatch, False
        partner = move.commercial_partner_id.with_company(connection.company_id)
        note = False
        if not partner.xero_contact_id:
            blocked, note = self._customer_block(partner, customers.get(partner.id))
            if blocked:
                return blocked, False
        try:
            values = move._xero_invoice_values(connection, maps)
            if not move.xero_invoice_id:
                # What the create will send, checked as it will be built; a customer sent
                # first in the same task has its contact id by then.
                payloads.invoice_payload(dict(values, contact_id=values["contact_id"] or "-"))
        except payloads.PayloadError as exc:
            return str(exc), False
        return False, note

    @api.model
    def _customer_block(self, partner, outcome):
        """``(why the invoice is blocked by its customer not in Xero, or False; a note)``.

        ``outcome``: ``(action or outcome, reason)`` of the customer in this preview or run.
        """
        action, reason = outcome or ("error", partner.xero_last_error or _("unknown"))
        reason = xero_text(self.env, reason)  # a customer's payload error, translated
        name = partner.display_name
        if action == "create":
            return False, _("Customer %s will be created in Xero first.", name)
        if action == "link":
            return False, _("Customer %(name)s is linked first: %(why)s", name=name, why=reason)
        if action == "blocked":
            return _("Customer %(name)s is blocked: %(why)s", name=name, why=reason), False
        if action in ("skip", "skipped"):
            return _("Customer %(name)s is not sent: %(why)s", name=name, why=reason), False
        return (
            _("Customer %(name)s could not be sent to Xero: %(why)s", name=name, why=reason),
            False,
        )

    @api.model
    def _enabled_currencies(self, moves, connection):
        """Currency codes enabled in the organisation (one call), or None when all are local."""
        if all(m.currency_id == connection.company_id.currency_id for m in moves):
            return None
        answer = connection._xero_call("get_currencies")
        codes = {c["Code"] for c in answer.get("Currencies") or []}
        return codes | {connection.org_currency or connection.company_id.currency_id.name}

    # ------------------------------------------------------------------ sending

    @api.model
    def _create(self, batch, moves):
        """PUT the new invoices in one call; link each and check its totals.

        The payload already holds what Xero will compute (an invoice whose totals would still
        differ from Odoo's goes DRAFT, with both totals in its log line); one that Xero
        nevertheless approved with other totals is voided (``_void_wrong``).
        """
        if not moves:
            return {}
        connection, bodies, results, sent = batch.connection, [], {}, []
        maps = self.env["xero.mapping"]._maps(connection)
        for move in moves:
            invoice, warnings = payloads.invoice_payload(
                move._xero_invoice_values(connection, maps)
            )
            bodies.append(self._as_document(invoice))
            sent.append((move, warnings))
        answers = self._put(connection, self._document().create, bodies)
        results.update(self._taken_numbers(batch, moves, answers))
        for (move, warnings), answer in zip(sent, answers, strict=True):
            if move.id not in results:
                results[move.id] = move._xero_record_answer(answer, warnings, "created")
        results.update(self._void_wrong(connection, moves, answers, results))
        return results

    @api.model
    def _void_wrong(self, connection, moves, answers, results):
        """Void, in one call, the invoices Xero approved with totals other than Odoo's.

        No approved invoice with a wrong total may stay in Xero: the log line keeps both totals
        (from ``_xero_record_answer``) and says it was voided.
        """
        wrong = [
            move
            for move, answer in zip(moves, answers, strict=True)
            if results[move.id].outcome == "error"
            and (answer.get("record") or {}).get("Status") == "AUTHORISED"
            and move._xero_total_mismatch(answer["record"])
        ]
        if not wrong:
            return {}
        bodies = [
            self._as_document(payloads.void_invoice_payload(move.xero_invoice_id)) for move in wrong
        ]
        answers = self._put(connection, self._document().update, bodies)
        voided, done, failed = {}, {}, {}
        for move, answer in zip(wrong, answers, strict=True):
            message = results[move.id].message
            if answer.get("errors"):
                message = _(
                    "%(error)s; voiding it in Xero failed: %(why)s",
                    error=message,
                    why="; ".join(answer["errors"]),
                )
                failed[move.id] = message
            else:
                message = _("%s; voided in Xero, so that no wrong approved invoice stays.", message)
                done[move.id] = message
            voided[move.id] = Result("error", move.xero_invoice_id, message)
        Move = self.env["account.move"]
        Move.browse(list(done))._xero_set_voided(list(done.values()))  # one UPDATE each
        Move.browse(list(failed))._xero_store_errors(list(failed.values()))
        return voided

    @api.model
    def _put(self, connection, method, bodies):
        """One call for the batch; one ``{"record"} | {"errors"}`` per body, in order."""
        return self._batch_call(connection, method, self._document().key, bodies, unitdp=4)

    @api.model
    def _as_document(self, invoice):
        """An invoice body (``payloads``) as the body of this handler's kind of document."""
        return invoice
