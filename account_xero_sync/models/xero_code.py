from odoo import api, fields, models


class XeroCode(models.Model):
    """An account or tax rate of the dealer's Xero organisation, read by "Load from Xero".

    Mappings pick from these, so a manager chooses among the organisation's real values.
    """

    _name = "xero.code"
    _description = "Xero Account or Tax Rate"
    _order = "kind, code"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("account", "Account"), ("tax", "Tax rate"), ("bank", "Bank account")], required=True
    )
    code = fields.Char(required=True)
    name = fields.Char(required=True)
    xero_id = fields.Char(string="Xero ID")
    rate = fields.Float(help="Effective rate of a tax rate, in percent.")

    _sql_constraints = [
        ("code_uniq", "unique(connection_id, kind, code)", "A code is listed once per kind."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for code in self:
            code.display_name = f"{code.code} {code.name}"
