from odoo import fields, models


class XeroConnectionTenant(models.Model):
    """An organisation the OAuth grant covers, offered when there is more than one."""

    _name = "xero.connection.tenant"
    _description = "Xero Organisation Choice"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    tenant_id = fields.Char(string="Organisation ID", required=True)
    name = fields.Char(required=True)

    def action_choose(self):
        """Make this organisation the connection's one."""
        self.ensure_one()
        self.connection_id._check_manager()
        self.connection_id.write({"tenant_id": self.tenant_id, "tenant_name": self.name})
        self.connection_id.tenant_choice_ids.unlink()
        return True
