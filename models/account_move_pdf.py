import hashlib
import json

from odoo import fields, models

INVOICE_REPORT = "account.account_invoices"


class AccountMove(models.Model):
    """The invoice PDF sent to Xero (``handlers/invoice_pdfs.py``), and its version.

    Sent once per invoice version: the version is the checksum of the PDF Odoo stored for the
    invoice when there is one, else of the invoice's printed content (a freshly rendered PDF
    embeds its creation time, so its bytes change at every rendering).
    """

    _inherit = "account.move"

    def _xero_pdf_sent(self, file_name, version):
        """Remember which version of the PDF Xero has, under which file name."""
        self.write(
            {
                "xero_pdf_name": file_name,
                "xero_pdf_checksum": version,
                "xero_pdf_date": fields.Datetime.now(),
            }
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
