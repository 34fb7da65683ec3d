from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    xero_line_item_id = fields.Char(string="Xero line ID", copy=False)
