"""18.0.1.1.0, after the models load: every connection has a webhook token of its own.

Once done by ``init()`` on every update (issue #26). A connection made before webhooks has
none (``pre-migrate.py`` made the column empty): it gets one. Connections that share one (a
database of the time before webhooks, updated to 18.0.1.0.0, whose update filled the new
column with one default value for all) keep it for the connection that deliveries to that
URL reach (the controller's search), and the others get their own: their dealers must give
Xero the new URL, which the warning says. Nothing happens when every token is set and unique.
"""

import logging
import secrets

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if version:
        _xero_statuses(cr)
    if not version or not column_exists(cr, "xero_connection", "webhook_token"):
        return
    cr.execute("SELECT id FROM xero_connection WHERE webhook_token IS NULL ORDER BY id")
    _new_tokens(cr, [conn_id for (conn_id,) in cr.fetchall()])
    cr.execute(
        """SELECT webhook_token FROM xero_connection WHERE webhook_token IS NOT NULL
            GROUP BY webhook_token HAVING count(*) > 1"""
    )
    shared = [token for (token,) in cr.fetchall()]
    if not shared:
        return
    Connection = api.Environment(cr, SUPERUSER_ID, {})["xero.connection"]
    for token in shared:
        connections = Connection.search([("webhook_token", "=", token)])
        others = connections[1:]  # connections[0] is the one the controller finds
        _new_tokens(cr, others.ids)
        _logger.warning(
            "Xero: connections %s shared the webhook URL of connection %s; each has its own "
            "now: give Xero their new Webhook URL (on the connection's form)",
            others.ids,
            connections[0].id,
        )
    Connection.invalidate_model(["webhook_token"])


def _new_tokens(cr, connection_ids):
    for conn_id in connection_ids:
        cr.execute(
            "UPDATE xero_connection SET webhook_token = %s WHERE id = %s",
            [secrets.token_urlsafe(24), conn_id],
        )


def _xero_statuses(cr):
    """Issue #23: the Xero status of invoices and credit notes is computed from what the
    addon stores. A document the earlier versions marked voided has Xero's status VOIDED;
    every linked one gets its status computed again (an error beside a link is an error)."""
    if not column_exists(cr, "account_move", "xero_document_status"):
        return
    cr.execute(
        """UPDATE account_move SET xero_document_status = 'VOIDED'
            WHERE xero_sync_state = 'voided' AND xero_document_status IS NULL"""
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    Move = env["account.move"]
    moves = Move.with_context(active_test=False).search(
        ["|", ("xero_invoice_id", "!=", False), ("xero_last_error", "!=", False)]
    )
    env.add_to_compute(Move._fields["xero_sync_state"], moves)
    Move.flush_model(["xero_sync_state"])
