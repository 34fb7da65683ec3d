from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

MAPPING_KINDS = [
    ("account", "Income account → Xero account code"),
    ("tax", "Tax → Xero tax type"),
    ("journal", "Payment journal → Xero bank account"),
]


class XeroMapping(models.Model):
    """How an Odoo account, tax or journal is named in the dealer's Xero organisation.

    A row without an Odoo record is the default for its kind. Invoices and payments whose
    account, tax or journal has no mapping (and no default) are blocked with a message naming
    it: nothing is ever sent without, and no line is ever dropped.
    """

    _name = "xero.mapping"
    _description = "Xero Mapping"
    _order = "connection_id, kind, id"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(MAPPING_KINDS, required=True)
    account_id = fields.Many2one("account.account", string="Odoo account", ondelete="cascade")
    tax_id = fields.Many2one("account.tax", string="Odoo tax", ondelete="cascade")
    journal_id = fields.Many2one("account.journal", string="Odoo journal", ondelete="cascade")
    xero_code_id = fields.Many2one(
        "xero.code",
        string="Pick from Xero",
        domain="[('connection_id', '=', connection_id), "
        "('kind', '=', kind == 'journal' and 'bank' or kind)]",
    )
    xero_code = fields.Char(
        string="Xero code",
        required=True,
        help="Account code (e.g. 200), tax type (e.g. OUTPUT2) or bank account code (e.g. 090).",
    )
    xero_id = fields.Char(string="Xero ID", help="Xero's AccountID, for bank accounts.")
    xero_name = fields.Char(string="Name in Xero")

    _sql_constraints = [
        ("account_uniq", "unique(connection_id, kind, account_id)", "One mapping per account."),
        ("tax_uniq", "unique(connection_id, kind, tax_id)", "One mapping per tax."),
        ("journal_uniq", "unique(connection_id, kind, journal_id)", "One mapping per journal."),
    ]

    @api.constrains("kind", "account_id", "tax_id", "journal_id", "connection_id")
    def _check_one_default(self):
        for mapping in self.filtered(lambda m: not (m.account_id or m.tax_id or m.journal_id)):
            if (
                self.search_count(
                    [
                        ("connection_id", "=", mapping.connection_id.id),
                        ("kind", "=", mapping.kind),
                        ("account_id", "=", False),
                        ("tax_id", "=", False),
                        ("journal_id", "=", False),
                    ]
                )
                > 1
            ):
                raise ValidationError(_("A connection has one default mapping per kind."))

    @api.onchange("xero_code_id")
    def _onchange_xero_code_id(self):
        if self.xero_code_id:
            self.xero_code = self.xero_code_id.code
            self.xero_name = self.xero_code_id.name
            self.xero_id = self.xero_code_id.xero_id

    @api.constrains("kind", "account_id", "tax_id", "journal_id")
    def _check_kind_target(self):
        targets = {
            "account": "tax_id journal_id",
            "tax": "account_id journal_id",
            "journal": "account_id tax_id",
        }
        for mapping in self:
            if any(mapping[f] for f in targets[mapping.kind].split()):
                raise ValidationError(
                    _("A %s mapping maps only that kind of record.", mapping.kind)
                )

    @api.model
    def _resolver(self, connection, kind):
        """Return ``({odoo_id: (xero_code, xero_id)}, default)`` for ``kind`` (one search)."""
        return self._maps(connection)[kind]

    @api.model
    def _maps(self, connection):
        """Every mapping of the connection, one search: ``{kind: (by_odoo_id, default)}``.

        Read once per batch and passed along, so the queries of a batch do not grow with it.
        """
        fields_by_kind = {"account": "account_id", "tax": "tax_id", "journal": "journal_id"}
        maps = {kind: ({}, None) for kind in fields_by_kind}
        for row in self.search([("connection_id", "=", connection.id)]):
            table, default = maps[row.kind]
            target = row[fields_by_kind[row.kind]]
            if target:
                table[target.id] = (row.xero_code, row.xero_id)
            else:
                maps[row.kind] = (table, (row.xero_code, row.xero_id))
        return maps
