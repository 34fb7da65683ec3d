from odoo import _, api, models

from ..models.xero_common import Decision
from ..xero_api import errors as xero_errors


class XeroHandlerInvoicePdfs(models.AbstractModel):
    """Send Invoice PDFs: Odoo's customer invoice PDF as an attachment of the Xero invoice.

    Sends: one PDF per invoice whose current version Xero does not have (``PUT`` the first
    time, ``POST`` to the same file name to replace it). Reads: nothing from Xero (versions are
    kept in Odoo, see ``account.move._xero_pdf_version``). Cost: 1 call per invoice: Xero has
    no batch for attachments, so each step sends one PDF and is committed (a PUT repeated after
    a crash would add the file twice).
    """

    _name = "xero.handler.invoice.pdfs"
    _inherit = "xero.task.handler"
    _description = "Xero task handler: invoice PDFs"
    _records = "account.move"

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
    def _decide(self, records, connection, mode, preview=False):
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
        return self.env["xero.handler.invoices"]._preview_row(record, decision)

    @api.model
    def _step_size(self, mode):
        return 1

    @api.model
    def _send_batch(self, task, mode, records):
        """Attach the PDF of each linked invoice whose version Xero does not have yet."""
        connection = task.connection_id
        results = {}
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
            message = _(
                "wkhtmltopdf is not installed on the Odoo server, so no PDF can be "
                "made: install it (Debian package wkhtmltopdf) and run the task again."
            )
            return {move.id: ("error", move.xero_invoice_id, message) for move in records}
        for move in records:
            if not move.xero_invoice_id:
                results[move.id] = ("blocked", None, _("The invoice is not in Xero yet."))
                continue
            version = move._xero_pdf_version()
            if version == move.xero_pdf_checksum:
                results[move.id] = (
                    "skipped",
                    move.xero_invoice_id,
                    _("Xero already has this PDF."),
                )
                continue
            results[move.id] = self._attach(move, connection, version)
        return results

    @api.model
    def _attach(self, move, connection, version):
        pdf = move._xero_pdf_bytes()
        if not pdf.startswith(b"%PDF-"):
            return (
                "error",
                move.xero_invoice_id,
                _("Odoo did not produce a PDF for %s (is wkhtmltopdf working?).", move.name),
            )
        file_name = "%s.pdf" % (move.name or "invoice").replace("/", "-")
        # PUT adds the file; POST to the same name replaces an earlier version of it.
        method = (
            "update_invoice_attachment_by_file_name"
            if move.xero_pdf_name == file_name
            else "create_invoice_attachment_by_file_name"
        )
        kwargs = {"include_online": True} if method.startswith("create") else {}
        try:
            connection._xero_call(
                method, invoice_id=move.xero_invoice_id, file_name=file_name, body=pdf, **kwargs
            )
        except xero_errors.XeroValidationError as exc:
            return ("error", move.xero_invoice_id, exc.user_message())
        move._xero_pdf_sent(file_name, version)
        return (
            "created" if method.startswith("create") else "updated",
            move.xero_invoice_id,
            file_name,
        )
