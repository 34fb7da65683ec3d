"""The mappings as a manager reads them: every row names its Odoo record (or says it is the
default) and its Xero name. What the connection lists as left unmapped is in
``xero_connection_mappings``."""

from odoo import _, api, fields, models
from odoo.tools.translate import LazyTranslate

from .xero_mapping import KIND_TARGET

_lt = LazyTranslate(__name__)

DEFAULT_LABELS = {
    "account": _lt("Default: every income account without its own row"),
    "tax": _lt("Default: every sales tax without its own row"),
    "journal": _lt("Default: every payment journal without its own row"),
}


class XeroMappingScreens(models.Model):
    _inherit = "xero.mapping"

    odoo_label = fields.Char(string="Odoo record", compute="_compute_labels")
    xero_label = fields.Char(string="Xero name", compute="_compute_labels")
    xero_fit = fields.Char(
        compute="_compute_xero_fit",
        help="Which Xero codes the picker offers (``xero.code.fits``): revenue accounts for "
        "an income account, sales rates for a sales tax, bank accounts for a journal.",
    )
    rate_mismatch = fields.Boolean(
        compute="_compute_rate_mismatch",
        help="The Odoo tax's rate is not the rate Xero applies to the mapped tax type: "
        "its invoices are blocked.",
    )
    rate_mismatch_message = fields.Char(string="Rate check", compute="_compute_rate_mismatch")

    @api.depends("kind", "is_default", "account_id.internal_group", "tax_id.type_tax_use")
    def _compute_xero_fit(self):
        for row in self:
            if row.kind == "journal":
                row.xero_fit = "bank"
            elif row.kind == "account":
                kind = row.account_id.internal_group if row.account_id else "income"
                row.xero_fit = {"income": "revenue", "expense": "expense"}.get(kind, "account")
            elif row.kind == "tax":
                use = row.tax_id.type_tax_use if row.tax_id else "sale"
                row.xero_fit = use if use in ("sale", "purchase") else "tax"
            else:
                row.xero_fit = False

    @api.depends("kind", "tax_id.amount", "tax_id.amount_type", "xero_code", "connection_id")
    def _compute_rate_mismatch(self):
        codes = self.env["xero.code"].search(
            [
                ("connection_id", "in", self.connection_id.ids),
                ("kind", "=", "tax"),
                ("code", "in", self.filtered(lambda r: r.kind == "tax").mapped("xero_code")),
            ]
        )
        rates = {(c.connection_id.id, c.code): c.rate for c in codes}
        for row in self:
            why = row.kind == "tax" and self._rate_mismatch_text(
                row.tax_id, row.xero_code, rates.get((row.connection_id.id, row.xero_code))
            )
            row.rate_mismatch = bool(why)
            row.rate_mismatch_message = why or False

    @api.depends(
        "kind", "is_default", "account_id", "tax_id", "journal_id", "xero_code", "xero_name"
    )
    def _compute_labels(self):
        codes = self.env["xero.code"].search(
            [
                ("connection_id", "in", self.connection_id.ids),
                ("code", "in", self.mapped("xero_code")),
            ]
        )
        names = {(c.connection_id.id, c.kind, c.code): c.name for c in codes}
        for row in self:
            target = KIND_TARGET.get(row.kind)
            if row.is_default:
                row.odoo_label = self.env._(DEFAULT_LABELS[row.kind]) if row.kind else False
            else:
                row.odoo_label = row[target].display_name if target else False
            code_kind = "bank" if row.kind == "journal" else row.kind
            row.xero_label = (
                row.xero_name
                or names.get((row.connection_id.id, code_kind, row.xero_code))
                or (row.xero_code and _("(not among the codes read from Xero)"))
            )

    def action_add_missing_rows(self):
        """From the Mappings list (any rows selected, or none): Add the missing rows on the
        connections of the companies the manager works in
        (``xero.connection.action_add_missing_mappings``)."""
        connections = self.env["xero.connection"].search(
            [("company_id", "in", self.env.companies.ids)]
        )
        return connections.action_add_missing_mappings()
