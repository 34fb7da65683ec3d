"""The task handler protocol (``xero.task.handler``): plan, step, preview."""

import re
from collections import defaultdict

from odoo import _, api, models
from odoo.tools.translate import LazyTranslate

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Batch
from ..xero_api import errors as xero_errors

_lt = LazyTranslate(__name__)


class XeroTaskHandler(models.AbstractModel):
    """A task type's logic, for the runner (``xero.task``) and the previews.

    Entry points, the same for every handler:

    - ``_plan(task, mode)``: write the task's work list (one pending log line per record);
    - ``_step(task, mode)``: do the next batch; return True when nothing is left;
    - ``_preview(connection, mode, records=None, fresh=False)``: what would happen to each
      record, reading Xero but writing nothing: ``[{res_id, name, action, reason, xero_id,
      ...}]`` (``fresh``: what the process keeps of the organisation is read again first);
      ``_preview_bulk(connection, mode, fresh=False)``: a bulk task's, with a note:
      ``(rows, note)``.

    A handler that sends Odoo records implements ``_candidates`` (what a bulk task takes),
    ``_decide(batch, records)`` (a ``Decision`` per record, in bulk) and
    ``_send_batch(batch, records)`` (at most one batch, in as few calls as possible:
    ``{res_id: Result}``); the defaults below turn them into plan, step and preview. What a
    batch needs (the task, connection and mode, a preview, a retry, what to read again) is a
    ``Batch`` (``tasks/common.py``) passed to both, never context keys. A sender whose work
    list holds more than its own records (payments: the removals to make in Xero) hooks in
    with ``_work``, ``_other_lines``, ``_before_send``, ``_gone_message`` and
    ``_preview_extras`` instead of overriding the entry points. The handlers that read Xero
    page by page have their own base, ``xero.task.reader`` (``reader.py``).
    """

    _name = "xero.task.handler"
    _description = "Xero task handler"
    _records = None  # the Odoo model whose records the handler sends
    # Words for the log's outcomes where Odoo's side is what happened (e.g. the fetch:
    # "created" is "imported"; translatable: ``_lt``); the others keep their own label.
    _outcome_words = {}
    # ... and as the task's summary counts them: ``{outcome: (one, more)}`` (``OUTCOME_WORDS``).
    _outcome_counts = {}
    # ... and as the audit note on the record says it (``xero_task_notes``): what the task did
    # in Xero (``voided``: an invoice or credit note updated to VOIDED).
    _note_words = {
        "created": _lt("Created in Xero"),
        "updated": _lt("Updated in Xero"),
        "linked": _lt("Linked with its Xero record"),
        "voided": _lt("Voided in Xero"),
    }

    # ------------------------------------------------------------------ entry points

    @api.model
    def _plan(self, task, mode):
        """Write the task's work list (``_work``), in order."""
        for records in self._work(task, mode):
            task._add_lines(records)

    @api.model
    def _step(self, task, mode):
        """Send the next batch of pending records; return True when none is left."""
        lines = task._pending_lines(self._step_size(task, mode))
        if lines:
            others = self._other_lines(lines)
            own = lines - others
            records = self.env[self._records].browse(own.mapped("res_id")).exists()
            gone = own.filtered(lambda line: line.res_id not in records.ids)
            gone._log("skipped", message=self._gone_message())
            kept = self._dealer_records(task, own, records)
            if not self._before_send(task, mode, others, kept):
                return False
            results = self._send_batch(Batch.of_task(task, mode), kept) if kept else {}
            foreign = own.filtered(lambda line: line.res_id in (records - kept).ids)
            self._log_results(own - gone - foreign, results)
        return not task._pending_lines(1)

    @api.model
    def _dealer_records(self, task, lines, records):
        """``records`` of the task's dealer (or shared by all); the other dealers' are blocked
        on their lines, never sent to this dealer's organisation."""
        if "company_id" not in records._fields:
            return records
        company = task.company_id
        foreign = records.filtered(lambda r: r.company_id and r.company_id != company)
        for record in foreign:
            lines.filtered(lambda line, r=record: line.res_id == r.id)._log(
                "blocked",
                message=_(
                    "%(record)s belongs to %(other)s, not to %(dealer)s: not sent.",
                    record=record.display_name,
                    other=record.company_id.name,
                    dealer=company.name,
                ),
            )
        return records - foreign

    @api.model
    def _preview(self, connection, mode, records=None, fresh=False):
        """One row per record, planned batch by batch as the task would plan it; ``fresh``:
        what this process keeps of the organisation is brought up to date first."""
        whole = records is None
        if whole:
            records = self._candidates(connection, mode)
        batch = Batch(connection, mode, preview=True, fresh_contacts=fresh, fresh_numbers=fresh)
        rows = []
        for start in range(0, len(records), BATCH_SIZE):
            chunk = records[start : start + BATCH_SIZE]
            plan = self._decide(batch, chunk)
            rows += [self._preview_row(record, plan[record.id]) for record in chunk]
        if whole:
            before, after = self._preview_extras(connection, mode)
            rows = before + rows + after
        return rows

    @api.model
    def _preview_bulk(self, connection, mode, fresh=False):
        """A bulk task's preview (*Add bulk task*, the to-send lists): ``(rows, note)``, the
        note what the run reports besides its lines (none for a sender)."""
        return self._preview(connection, mode, fresh=fresh), False

    @api.model
    def _preview_scope(self, connection, mode):
        """The Odoo records a bulk preview decides about (recordsets): a change to one of them
        makes the next preview check again rather than show the last check."""
        return [self._candidates(connection, mode)]

    @api.model
    def _finished(self, task):
        """Called by the runner once ``task`` has ended (done, failed or cancelled)."""

    # ------------------------------------------------------------------ protocol

    @api.model
    def _work(self, task, mode):
        """The records of the task's work list, as recordsets in the order they are done:
        the task's own records, else the candidates."""
        if task.res_ids is not None and task.res_model == self._records:
            return [self.env[self._records].browse(task.res_ids).exists()]
        return [self._candidates(task.connection_id, mode)]

    @api.model
    def _other_lines(self, lines):
        """The pending ``lines`` of a step that are not this handler's records to send (done
        by ``_before_send``): none by default."""
        return lines.browse()

    @api.model
    def _before_send(self, task, mode, others, records):
        """Called by a step before ``records`` (this dealer's) are sent, with the step's other
        lines (``_other_lines``). :return: False to end the step there (the runner commits
        it, and the next step takes the same lines again)."""
        return True

    @api.model
    def _gone_message(self):
        """The log message of a record deleted in Odoo since it was planned."""
        return _("The record was deleted in Odoo.")

    @api.model
    def _preview_extras(self, connection, mode):
        """Rows a bulk preview shows before and after the records' own: ``(before, after)``."""
        return [], []

    @api.model
    def _candidates(self, connection, mode, all_dates=False):
        """What a bulk task of this type sends for the connection's dealer (``all_dates``:
        whatever the connection's "Send documents dated from")."""
        return self.env[self._records]

    @api.model
    def _decide(self, batch, records):
        """``{record id: Decision}`` for ``records`` (one ``Batch``), writing nothing."""
        raise NotImplementedError

    @api.model
    def _send_batch(self, batch, records):
        """Send ``records`` (one ``Batch`` of a task): ``{res_id: Result}``."""
        raise NotImplementedError

    @api.model
    def _preview_row(self, record, decision):
        return {
            "res_id": record.id,
            "name": record.display_name,
            "action": decision.action,
            "reason": xero_text(self.env, decision.reason),
            "xero_id": decision.xero_id,
        }

    @api.model
    def _step_size(self, task, mode):
        """Records per step: each step is committed once Xero has answered it."""
        return BATCH_SIZE

    # ------------------------------------------------------------------ shared helpers

    @api.model
    def _batch_call(self, connection, method, key, bodies, **kwargs):
        """Write ``bodies`` in ONE call with per-item outcomes (``summarizeErrors=false``).

        :return: one dict per body, in order: ``{"record": item, "warnings": [...]}`` (Xero's
            ``Warnings`` of a ``WARNING`` item among them) or ``{"errors": [...]}``. When Xero
            refuses the whole call (a 400 lists only the failing items, not by batch
            position), every item carries Xero's message.
        """
        if not bodies:
            return []
        param = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()  # "CreditNotes" -> credit_notes
        try:
            answer = connection._xero_call(
                method, summarize_errors=False, **{param: {key: bodies}}, **kwargs
            )
        except xero_errors.XeroValidationError as exc:
            return [{"errors": [xero_text(self.env, exc)]} for _body in bodies]
        out = []
        for item in answer.get(key) or []:
            messages = [e.get("Message") for e in item.get("ValidationErrors") or []]
            if item.get("StatusAttributeString") == "ERROR":
                out.append({"errors": messages or [_("Xero refused this record.")]})
            else:
                # A WARNING item was written; Xero says why it is worth a look (e.g. the rate
                # it used for a currency): kept for the record's log line.
                for warning in item.get("Warnings") or []:
                    if warning.get("Message"):
                        messages.append(_("Xero warns: %s", warning["Message"]))
                out.append({"record": item, "warnings": messages})
        if len(out) != len(bodies):
            message = _("Xero answered %(n)s items for %(m)s sent.", n=len(out), m=len(bodies))
            return [{"errors": [message]} for _body in bodies]
        return out

    @api.model
    def _log_results(self, lines, results):
        """Write outcomes on ``lines`` from ``{res_id: Result}``.

        A record the handler did not answer for is an error, never silently "done".
        """
        grouped = defaultdict(lambda: self.env["xero.task.line"])
        no_answer = Result("error", None, _("No answer for this record."))
        for line in lines:
            grouped[results.get(line.res_id, no_answer)] |= line
        for (outcome, xero_id, message), group in grouped.items():  # a Result
            group._log(outcome, xero_id=xero_id or False, message=message or False)

    @api.model
    def _send_dependencies(self, batch, records):
        """Send ``records`` (e.g. the customers of invoices) inside ``batch``'s task, logged as
        lines, by this handler's own send path (so they are matched, never duplicated), as a
        Send New task would (``for_documents``: sent for the documents of ``batch``).

        :return: the results dict of ``_send_batch``.
        """
        task = batch.task
        first = Batch(batch.connection, "new", task, retry=batch.retry, for_documents=True)
        results = {}
        for start in range(0, len(records), BATCH_SIZE):
            chunk = records[start : start + BATCH_SIZE]
            lines = task._add_lines(chunk)
            chunk_results = self._send_batch(first, chunk)
            self._log_results(lines, chunk_results)
            results.update(chunk_results)
        return results
