import hashlib
import json
import logging

from odoo import _, fields, models

from . import wkhtmltopdf_pool

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

        The stored PDF when there is one (Odoo's own, from Send & Print). The others: with a
        wkhtmltopdf that renders several documents a run (patched Qt), in one run split per
        invoice (as ``account.move.send`` does); with one that cannot (Debian's), their HTML in
        one QWeb rendering and one wkhtmltopdf run each, several at once
        (``wkhtmltopdf_pool``). When that fails, one by one, so that an invoice that cannot
        be rendered costs only its own PDF.
        """
        contents = {move.id: move.invoice_pdf_report_id.raw for move in self}
        todo = self.filtered(lambda move: not move.invoice_pdf_report_id)
        together = wkhtmltopdf_pool.renders_several_per_run()
        render = type(self)._xero_render_pdfs if together else type(self)._xero_render_each
        if len(todo) > 1:
            try:
                contents.update(render(todo))
            except Exception as exc:  # a report error of one invoice: try them one by one
                _logger.info("Invoice PDFs %s rendered one by one: %s", todo.ids, exc)
            todo = todo.filtered(lambda move: not contents[move.id])
        singles = []
        for move in todo:
            try:
                if together:
                    contents.update(move._xero_render_pdfs())
                else:
                    singles.append(move._xero_pdf_bodies())
            except Exception as exc:  # kept for the invoice's log line
                _logger.info("Invoice PDF of %s not rendered: %s", move.name, exc)
                contents[move.id] = exc
        contents.update(self._xero_run_wkhtmltopdf(singles))
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

    def _xero_render_each(self):
        """These invoices' HTML rendered together, then one wkhtmltopdf run per invoice,
        several at once: ``{move id: bytes, or the exception of that invoice's run}``."""
        return self._xero_run_wkhtmltopdf([self._xero_pdf_bodies()])

    def _xero_pdf_bodies(self):
        """The report's HTML of these invoices as Odoo prints it (``ir.actions.report.
        _render_qweb_pdf_prepare_streams``: the report's data, no debug assets, split per
        invoice by ``_prepare_html``): ``(bodies by move id, header, footer, paper args)``."""
        reports = self.env["ir.actions.report"].with_context(debug=False, webp_as_jpg=True)
        data = {"report_type": "pdf", "debug": False}
        if self.env["ir.config_parameter"].sudo().get_param("account.display_name_in_footer"):
            data["display_name_in_footer"] = True  # as account's _pre_render_qweb_pdf adds
        report = reports._get_report(INVOICE_REPORT)
        with self.env.cr.savepoint():
            html = reports._render_qweb_html(INVOICE_REPORT, self.ids, data=data)[0]
            bodies, ids, header, footer, paper = report.with_context(debug=False)._prepare_html(
                html, report_model=self._name
            )
        by_id = dict(zip(ids, bodies, strict=True))
        if set(self.ids) - set(by_id):
            raise ValueError(_("the report's HTML could not be split per invoice"))
        return {move_id: by_id[move_id] for move_id in self.ids}, header, footer, paper

    def _xero_run_wkhtmltopdf(self, rendered):
        """``rendered``: a list of ``_xero_pdf_bodies()``; returns ``{move id: PDF bytes or
        exception}``, every body run on its own, several at once."""
        if not rendered:
            return {}
        reports = self.env["ir.actions.report"]
        paperformat = reports._get_report(INVOICE_REPORT).get_paperformat()
        jobs = {}
        for bodies, header, footer, paper in rendered:
            args = reports._build_wkhtmltopdf_args(
                paperformat,
                self.env.context.get("landscape"),
                specific_paperformat_args=paper,
                set_viewport_size=self.env.context.get("set_viewport_size"),
            )
            jobs.update({move_id: (args, body, header, footer) for move_id, body in bodies.items()})
        return wkhtmltopdf_pool.render_each(jobs)

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
