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
