from datetime import timedelta

from odoo import api, fields, models

KEEP_EVENTS = timedelta(days=30)  # received events older than this are deleted by the vacuum


class XeroWebhookEvent(models.Model):
    """One event of a webhook delivery Xero signed, for the dealer's organisation.

    Written only by the webhook controller (``xero_connection_webhook``). ``delivery`` is the
    SHA-256 of the body that carried the event: a body received again (a replay) is recognised
    by it and changes nothing. Events older than 30 days are deleted by the daily vacuum.
    """

    _name = "xero.webhook.event"
    _description = "Xero Webhook Event"
    _order = "id desc"
    _rec_name = "resource_id"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "xero.connection", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, string="Dealer")
    category = fields.Char(readonly=True, help="Xero's eventCategory: INVOICE, CREDITNOTE...")
    event_type = fields.Char(readonly=True, help="Xero's eventType: CREATE or UPDATE.")
    resource_id = fields.Char(string="Xero ID", readonly=True, index=True)
    event_date = fields.Datetime(readonly=True, help="When the change happened in Xero (UTC).")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    delivery = fields.Char(readonly=True, index=True, help="SHA-256 of the body.")
    move_id = fields.Many2one(
        "account.move",
        string="Document in Odoo",
        readonly=True,
        ondelete="set null",
        check_company=True,
        help="The invoice or credit note of Odoo linked to this Xero document.",
    )
    task_id = fields.Many2one(
        "xero.task",
        string="Fetch task",
        readonly=True,
        ondelete="set null",
        check_company=True,
        help="The Fetch New Payments task this event queued, or joined while it waited.",
    )

    @api.autovacuum
    def _gc_old_events(self):
        """Delete the events received more than 30 days ago."""
        self.search([("received_at", "<", fields.Datetime.now() - KEEP_EVENTS)]).unlink()
