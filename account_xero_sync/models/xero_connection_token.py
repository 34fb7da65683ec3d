from odoo import api, fields, models

#: Key, in the ``data`` of a cursor's ``postcommit`` callbacks (kept for exactly one
#: transaction), of the token rows that transaction created or wrote.
TOKENS_WRITTEN = "account_xero_sync.tokens_written"


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
    client_secret = fields.Char(exportable=False)
    access_token = fields.Char(exportable=False)
    refresh_token = fields.Char(exportable=False)
    expires_at = fields.Float(help="Access token expiry, seconds since the epoch.")
    needs_reauth = fields.Boolean()
    last_error = fields.Text()
    error_code = fields.Char(help="Xero's code of the last token error (e.g. invalid_client).")
    oauth_state = fields.Char(exportable=False, index=True)
    oauth_uid = fields.Many2one("res.users", ondelete="cascade")
    oauth_started = fields.Float()
    webhook_key = fields.Char(exportable=False, help="Signs Xero's webhook deliveries.")

    _sql_constraints = [
        ("connection_uniq", "unique(connection_id)", "One token record per connection."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        tokens = super().create(vals_list)
        tokens._mark_written()
        return tokens

    def write(self, vals):
        self._mark_written()
        return super().write(vals)

    def _mark_written(self):
        """Remember, for the rest of this transaction, that it holds these rows: their renewal
        state is then written in it, never in a second one that would wait for it."""
        self.env.cr.postcommit.data.setdefault(TOKENS_WRITTEN, set()).update(self.ids)
