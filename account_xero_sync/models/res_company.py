from odoo import fields, models


class ResCompany(models.Model):
    """A dealer's Xero connection, seen from the company: the dealer pickers offer the active
    companies with one (Add bulk task) or without one (a new connection)."""

    _inherit = "res.company"

    xero_connection_ids = fields.One2many(
        "xero.connection",
        "company_id",
        string="Xero connection",
        groups="account_xero_sync.group_xero_user",
    )
