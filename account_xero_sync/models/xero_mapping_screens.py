"""The mappings as a manager reads them: every row names its Odoo record (or says it is the
default), its Xero name, and the connection lists what is left unmapped."""

from odoo import _, api, fields, models

KIND_TARGET = {"account": "account_id", "tax": "tax_id", "journal": "journal_id"}
DEFAULT_LABELS = {
    "account": "Default: every income account without its own row",
    "tax": "Default: every sales tax without its own row",
    "journal": "Default: every payment journal without its own row",
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
                row.odoo_label = _(DEFAULT_LABELS[row.kind]) if row.kind else False
            else:
                row.odoo_label = row[target].display_name if target else False
            code_kind = "bank" if row.kind == "journal" else row.kind
            row.xero_label = (
                row.xero_name
                or names.get((row.connection_id.id, code_kind, row.xero_code))
                or (row.xero_code and _("(not among the codes read from Xero)"))
            )


class XeroConnectionMappingScreens(models.Model):
    _inherit = "xero.connection"

    unmapped_warning = fields.Text(
        compute="_compute_unmapped_warning",
        help="The dealer's income accounts, sales taxes and payment journals with no mapping "
        "and no default: invoices and payments using them are blocked.",
    )

    @api.depends("mapping_ids", "company_id")
    def _compute_unmapped_warning(self):
        for connection in self:
            connection.unmapped_warning = connection._unmapped_text() if connection.id else False

    def _unmapped_odoo_records(self):
        """``{kind: records}``: the dealer's records of each kind with no row (kinds with a
        default row left out)."""
        self.ensure_one()
        company = self.company_id
        candidates = {
            "account": self.env["account.account"].search(
                [
                    ("company_ids", "in", company.ids),
                    ("account_type", "in", ("income", "income_other")),
                ]
            ),
            "tax": self.env["account.tax"].search(
                [("company_id", "=", company.id), ("type_tax_use", "=", "sale")]
            ),
            "journal": self.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "in", ("bank", "cash"))]
            ),
        }
        rows = self.mapping_ids
        result = {}
        for kind, records in candidates.items():
            own = rows.filtered(lambda r, k=kind: r.kind == k)
            if own.filtered("is_default"):
                continue
            left = records - own[KIND_TARGET[kind]]
            if left:
                result[kind] = left
        return result

    def _unmapped_text(self):
        labels = {
            "account": _("Income accounts"),
            "tax": _("Sales taxes"),
            "journal": _("Payment journals"),
        }
        lines = [
            "%s: %s" % (labels[kind], ", ".join(records.mapped("display_name")))
            for kind, records in self._unmapped_odoo_records().items()
        ]
        if not lines:
            return False
        return "\n".join(
            [_("Not mapped (their invoices and payments are blocked until mapped):"), *lines]
        )
