import hashlib

from odoo import _, api, models
from odoo.tools.translate import LazyTranslate

from ..models.xero_result import Result
from ..models.xero_texts import xero_text
from ..tasks.common import BATCH_SIZE, Decision, StepInterrupted
from ..tasks.xero_task_runner import MAX_TRANSIENT_FAILURES
from ..xero_api import errors as xero_errors

#: PDFs of a step while other dealers wait for a cron worker.
SHARED_STEP = 10

_lt = LazyTranslate(__name__)

#: Errors that stop a step (the rest of it waits); any other Xero error is one PDF's own.
STOPPERS = (xero_errors.XeroRateLimited, xero_errors.XeroAuthError, xero_errors.XeroTransientError)


class XeroHandlerInvoicePdfs(models.AbstractModel):
    """Send Invoice PDFs: Odoo's customer invoice PDF as an attachment of the Xero invoice.

    Sends: one PDF per invoice whose current version Xero does not have (``PUT`` the first
    time, ``POST`` to the same file name to replace it). Reads: nothing from Xero (versions are
    kept in Odoo, see ``account.move._xero_pdf_version``), except the invoice's attachments
    before sending again a PDF whose upload Xero left unanswered. Cost: 1 call per invoice
    (Xero has no batch for attachments); a step sends as many as the organisation's minute
    still takes (``_step_size``), its PDFs rendered first, together or side by side
    (``account.move._xero_pdf_contents``); a PDF Odoo stored for the invoice (Send & Print)
    is sent as it is.

    Outcomes are per invoice: a PDF Odoo cannot render or Xero refuses (400, 404, 413...) is
    an error on its own line. A rate limit, an unanswered upload or an authorisation failure
    stops the step: what Xero answered before is kept (``StepInterrupted``); an unanswered
    PDF is sent again in the next step, after a look at the invoice's attachments, to the
    same file name by ``POST`` when Xero has it (a ``PUT`` could add a second copy).
    """

    _name = "xero.handler.invoice.pdfs"
    _inherit = "xero.task.handler"
    _description = "Xero task handler: invoice PDFs"
    _records = "account.move"
    _note_words = {
        "created": _lt("PDF attached in Xero"),
        "updated": _lt("PDF replaced in Xero"),
    }

    @api.model
    def _candidates(self, connection, mode):
        """Linked posted invoices whose current PDF version Xero does not have (no Xero call)."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", connection.company_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("xero_invoice_id", "!=", False),
            ],
            order="id",
        )
        return moves.filtered(lambda m: m._xero_pdf_version() != m.xero_pdf_checksum)

    @api.model
    def _decide(self, batch, records):
        plan = {}
        for move in records:
            if move._xero_pdf_version() == move.xero_pdf_checksum:
                decision = Decision("skip", reason=_("Xero already has this PDF."))
            elif move.xero_pdf_name:
                decision = Decision(
                    "update",
                    reason=_("The invoice changed: its new PDF replaces %s.", move.xero_pdf_name),
                )
            else:
                decision = Decision("create", reason=_("Attach the invoice PDF."))
            plan[move.id] = decision._replace(xero_id=move.xero_invoice_id)
        return plan

    @api.model
    def _preview_row(self, record, decision):
        row = self.env["xero.handler.invoices"]._preview_row(record, decision)
        if row.get("action") == "create":  # the invoice is in Xero: its PDF is attached
            row["action"] = "attach"
        return row

    @api.model
    def _step_size(self, task, mode):
        """As many PDFs (one call each) as the organisation's minute still takes, as last seen
        by the throttle, so that a step never waits for Xero's limit: 1 to ``BATCH_SIZE``; at
        most ``SHARED_STEP`` while another dealer's task waits for a cron worker (a step is
        the dealer's turn, see ``_cron_run_tasks``: 50 uploads would hold the worker for half
        a minute at Xero's pace)."""
        size = max(1, min(BATCH_SIZE, task.connection_id._xero_calls_left()))
        if size > SHARED_STEP and self.env["xero.task"]._others_wait(task.company_id):
            size = SHARED_STEP
        return size

    @api.model
    def _send_batch(self, batch, records):
        """Attach the PDF of each linked invoice whose version Xero does not have yet."""
        task = batch.task
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
            message = _(
                "wkhtmltopdf is not installed on the Odoo server, so no PDF can be "
                "made: install it (Debian package wkhtmltopdf) and run the task again."
            )
            return {move.id: Result("error", move.xero_invoice_id, message) for move in records}
        results, versions = {}, {}
        for move in records:
            if not move.xero_invoice_id:
                results[move.id] = Result("blocked", None, _("The invoice is not in Xero yet."))
                continue
            versions[move.id] = move._xero_pdf_version()
            if versions[move.id] == move.xero_pdf_checksum:
                message = _("Xero already has this PDF.")
                results[move.id] = Result("skipped", move.xero_invoice_id, message)
        todo = records.filtered(lambda move: move.id not in results)
        contents = todo._xero_pdf_contents()
        lines = self.env["xero.task.line"].search(
            [
                ("task_id", "=", task.id),
                ("res_model", "=", self._records),
                ("res_id", "in", records.ids),
                ("outcome", "=", "pending"),
            ]
        )
        line_of = {line.res_id: line for line in lines}
        answered = False
        for move in todo:
            try:
                results[move.id] = self._attach(
                    move, task.connection_id, versions[move.id], contents[move.id], line_of[move.id]
                )
            except STOPPERS as exc:
                if isinstance(exc, xero_errors.XeroTransientError):
                    results[move.id] = self._unanswered(line_of[move.id], move, exc)
                self._log_results(lines.filtered(lambda ln: ln.res_id in results), results)
                raise StepInterrupted(exc, progress=answered) from exc
            answered = True
        return results

    @api.model
    def _attach(self, move, connection, version, pdf, line):
        """Send one PDF: ``(outcome, xero id, message)``; a stopper error is raised."""
        if isinstance(pdf, Exception) or not (pdf or b"").startswith(b"%PDF-"):
            reason = str(pdf) if isinstance(pdf, Exception) else _("is wkhtmltopdf working?")
            message = _(
                "Odoo could not make the PDF of %(name)s: %(reason)s", name=move.name, reason=reason
            )
            return Result("error", move.xero_invoice_id, message)
        file_name = "%s.pdf" % (move.name or "invoice").replace("/", "-")
        outcome = "updated" if move.xero_pdf_name == file_name else "created"
        try:
            replace = move.xero_pdf_name == file_name or (
                line.attempts and self._xero_has_file(connection, move, file_name)
            )
            # PUT adds the file; POST to the same name replaces an earlier version of it.
            method = (
                "update_invoice_attachment_by_file_name"
                if replace
                else "create_invoice_attachment_by_file_name"
            )
            kwargs = {"include_online": True} if not replace else {}
            # One key per line and try: an upload repeated after a crash is answered from
            # Xero's memory of the first; a try after an unanswered one is a new request.
            key = hashlib.sha256(
                ("pdf %s %s %s %s" % (line.id, line.attempts, method, version)).encode()
            ).hexdigest()
            connection._xero_call(
                method,
                idempotency_key=key,
                invoice_id=move.xero_invoice_id,
                file_name=file_name,
                body=pdf,
                **kwargs,
            )
        except STOPPERS:
            raise
        except xero_errors.XeroError as exc:  # refused (400, 413), gone in Xero (404)...
            return Result("error", move.xero_invoice_id, xero_text(self.env, exc))
        move._xero_pdf_sent(file_name, version)
        return (outcome, move.xero_invoice_id, file_name)

    @api.model
    def _xero_has_file(self, connection, move, file_name):
        """Whether the Xero invoice has an attachment named ``file_name`` (1 call)."""
        answer = connection._xero_call("get_invoice_attachments", invoice_id=move.xero_invoice_id)
        wanted = file_name.casefold()
        return any(
            (item.get("FileName") or "").casefold() == wanted
            for item in answer.get("Attachments") or []
        )

    @api.model
    def _unanswered(self, line, move, exc):
        """The result of a PDF whose upload Xero left unanswered: pending (sent again in the
        next step) until it has been tried ``MAX_TRANSIENT_FAILURES`` times, then an error."""
        line.attempts += 1
        if line.attempts >= MAX_TRANSIENT_FAILURES:
            message = _(
                "Xero did not answer %(n)s tries to attach this PDF: %(error)s",
                n=line.attempts,
                error=xero_text(self.env, exc),
            )
            return Result("error", move.xero_invoice_id, message)
        message = _(
            "Xero did not answer (%s): the PDF is sent again in the next step.",
            xero_text(self.env, exc),
        )
        return Result("pending", move.xero_invoice_id, message)
