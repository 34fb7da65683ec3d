import hashlib
import json
import logging

from odoo import _, fields, models

_logger = logging.getLogger(__name__)

INVOICE_REPORT = "account.account_invoices"


class AccountMove(models.Model):
    """The invoice PDF sent to Xero (``handlers/invoice_pdfs.py``), and its version.

    Sent once per invoice version: the version is the checksum of the PDF Odoo stored for the
    invoice when there is one, else of the invoice's printed content (a freshly rendered PDF
    embeds its creation time, so its bytes change at every rendering).
    """

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the invoice PDF sent to Xero

    def _xero_pdf_sent(self, file_name, version):
        """Remember which version of the PDF Xero has, under which file name."""
        self.write(
            {
                "xero_pdf_name": file_name,
                "xero_pdf_checksum": version,
                "xero_pdf_date": fields.Datetime.now(),
            }
        )

    def _xero_pdf_contents(self):
        """``{move id: PDF bytes, or the exception that kept it from being made}``.

        The stored PDF when there is one; the others rendered together in one wkhtmltopdf run
        and split per invoice (as ``account.move.send`` does), or one by one when that run
        fails, so that one invoice that cannot be rendered costs only its own PDF.
        """
        contents = {move.id: move.invoice_pdf_report_id.raw for move in self}
        todo = self.filtered(lambda move: not move.invoice_pdf_report_id)
        if len(todo) > 1:
            try:
                contents.update(todo._xero_render_pdfs())
            except Exception as exc:  # a report error of one invoice: try them one by one
                _logger.info("Invoice PDFs %s rendered one by one: %s", todo.ids, exc)
            todo = todo.filtered(lambda move: not contents[move.id])
        for move in todo:
            try:
                contents.update(move._xero_render_pdfs())
            except Exception as exc:  # kept for the invoice's log line
                _logger.info("Invoice PDF of %s not rendered: %s", move.name, exc)
                contents[move.id] = exc
        return contents

    def _xero_render_pdfs(self):
        """Render these invoices' PDFs in one wkhtmltopdf run: ``{move id: bytes}``."""
        reports = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        with self.env.cr.savepoint():
            content, kind = reports._pre_render_qweb_pdf(INVOICE_REPORT, self.ids)
            by_id = reports._get_splitted_report(INVOICE_REPORT, content, kind)
        if set(self.ids) - set(by_id):
            raise ValueError(_("the rendered PDF could not be split per invoice"))
        return {move_id: by_id[move_id] for move_id in self.ids}

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
