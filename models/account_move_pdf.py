import hashlib
import json

from odoo import _, api, fields, models

from ..xero_api import errors as xero_errors

INVOICE_REPORT = "account.account_invoices"


class AccountMove(models.Model):
    """Send Invoice PDFs: Odoo's customer invoice PDF as an attachment of the Xero invoice.

    Sent once per invoice version: the version is the checksum of the PDF Odoo stored for the
    invoice when there is one, else of the invoice's printed content (a freshly rendered PDF
    embeds its creation time, so its bytes change at every rendering).
    """

    _inherit = "account.move"

    @api.model
    def _xero_step_size(self, mode):
        # One PDF per committed step: Xero has no batch for attachments, and a PUT that is
        # repeated after a crash would add the file twice.
        return 1 if mode == "pdf" else super()._xero_step_size(mode)

    def _xero_send_pdfs(self, task):
        """Attach the PDF of each linked invoice whose version Xero does not have yet."""
        connection = task.connection_id
        results = {}
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
            message = _(
                "wkhtmltopdf is not installed on the Odoo server, so no PDF can be "
                "made: install it (Debian package wkhtmltopdf) and run the task again."
            )
            return {move.id: ("error", move.xero_invoice_id, message) for move in self}
        for move in self:
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
            results[move.id] = move._xero_attach_pdf(connection, version)
        return results

    def _xero_pdf_preview(self):
        """What Send Invoice PDFs would do for this invoice (no Xero call)."""
        self.ensure_one()
        if self._xero_pdf_version() == self.xero_pdf_checksum:
            return {"action": "skip", "reason": _("Xero already has this PDF.")}
        if self.xero_pdf_name:
            return {
                "action": "update",
                "reason": _("The invoice changed: its new PDF replaces %s.", self.xero_pdf_name),
            }
        return {"action": "create", "reason": _("Attach the invoice PDF.")}

    def _xero_attach_pdf(self, connection, version):
        self.ensure_one()
        pdf = self._xero_pdf_bytes()
        if not pdf.startswith(b"%PDF-"):
            return (
                "error",
                self.xero_invoice_id,
                _("Odoo did not produce a PDF for %s (is wkhtmltopdf working?).", self.name),
            )
        file_name = "%s.pdf" % (self.name or "invoice").replace("/", "-")
        # PUT adds the file; POST to the same name replaces an earlier version of it.
        method = (
            "update_invoice_attachment_by_file_name"
            if self.xero_pdf_name == file_name
            else "create_invoice_attachment_by_file_name"
        )
        kwargs = {"include_online": True} if method.startswith("create") else {}
        try:
            connection._xero_call(
                method, invoice_id=self.xero_invoice_id, file_name=file_name, body=pdf, **kwargs
            )
        except xero_errors.XeroValidationError as exc:
            return ("error", self.xero_invoice_id, exc.user_message())
        self.write(
            {
                "xero_pdf_name": file_name,
                "xero_pdf_checksum": version,
                "xero_pdf_date": fields.Datetime.now(),
            }
        )
        return (
            "created" if method.startswith("create") else "updated",
            self.xero_invoice_id,
            file_name,
        )

    def _xero_pdf_bytes(self):
        """The invoice's stored PDF, else Odoo's standard customer invoice PDF, rendered now."""
        self.ensure_one()
        if self.invoice_pdf_report_id:
            return self.invoice_pdf_report_id.raw
        pdf, _kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(INVOICE_REPORT, self.ids)
        )
        return pdf

    def _xero_pdf_version(self):
        self.ensure_one()
        if self.invoice_pdf_report_id:
            return self.invoice_pdf_report_id.checksum
        content = {
            "name": self.name,
            "date": str(self.invoice_date),
            "due": str(self.invoice_date_due),
            "partner": self.partner_id.id,
            "total": self.amount_total,
            "ref": self.ref,
            "lines": [
                (ln.name, ln.quantity, ln.price_unit, ln.discount, ln.tax_ids.ids)
                for ln in self.invoice_line_ids
            ],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
