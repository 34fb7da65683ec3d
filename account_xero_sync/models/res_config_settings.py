from odoo import api, fields, models

XERO_MANAGER = "account_xero_sync.group_xero_manager"


class ResConfigSettings(models.TransientModel):
    """Settings > Invoicing > Xero: the current company's connection, and a way to them all.

    Where an Odoo administrator looks for an accounting connector (as ``account_peppol`` puts
    its own); the connection itself is edited on its form, not here.
    """

    _inherit = "res.config.settings"

    xero_connection_id = fields.Many2one(
        "xero.connection",
        string="Xero connection",
        compute="_compute_xero_connection_id",
        groups=XERO_MANAGER,
    )
    xero_tenant_name = fields.Char(
        related="xero_connection_id.tenant_name", string="Xero organisation", groups=XERO_MANAGER
    )
    xero_connection_state = fields.Selection(
        related="xero_connection_id.state", string="Xero status", groups=XERO_MANAGER
    )

    @api.depends("company_id")
    def _compute_xero_connection_id(self):
        for settings in self:
            settings.xero_connection_id = settings.company_id.xero_connection_ids[:1]

    def action_open_xero_connection(self):
        """Open the current company's Xero connection, or a new one for this company."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_xero_sync.action_xero_connection"
        )
        action.update(view_mode="form", views=[(False, "form")])
        if self.xero_connection_id:
            action["res_id"] = self.xero_connection_id.id
        else:
            action["context"] = {"default_company_id": self.company_id.id}
        return action
