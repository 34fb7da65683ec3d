from odoo import fields, models


class XeroConnectionToken(models.Model):
    """The secrets of a connection: tokens, the pending OAuth ``state`` and the webhook key.

    Kept apart from ``xero.connection`` so that renewing a token (under a row lock, in its own
    committed transaction) never waits on a transaction that is editing the connection itself.
    Readable by system administrators only; never exported, never logged.
    """

    _name = "xero.connection.token"
    _description = "Xero Connection Tokens"
    _rec_name = "connection_id"

    connection_id = fields.Many2one(
        "xero.connection", required=True, ondelete="cascade", index=True
    )
    access_token = fields.Char(exportable=False)
    refresh_token = fields.Char(exportable=False)
    expires_at = fields.Float(help="Access token expiry, seconds since the epoch.")
    needs_reauth = fields.Boolean()
    last_error = fields.Text()
    oauth_state = fields.Char(exportable=False, index=True)
    oauth_uid = fields.Many2one("res.users", ondelete="cascade")
    oauth_started = fields.Float()
    webhook_key = fields.Char(exportable=False, help="Signs Xero's webhook deliveries.")

    _sql_constraints = [
        ("connection_uniq", "unique(connection_id)", "One token record per connection."),
    ]
