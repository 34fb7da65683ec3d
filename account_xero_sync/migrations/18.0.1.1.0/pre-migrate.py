"""18.0.1.1.0, before the models load: the layouts of connections made by earlier versions.

Once done by ``init()`` on every update (issue #26); here they run once, on the update to
18.0.1.1.0, and only act when the old layout is there (running them twice changes nothing).

- Before the client secret moved to ``xero.connection.token`` (where only the system reads
  it), ``xero_connection.client_secret`` was a stored column: its secrets move to the tokens
  (a token row made for a connection that had none) and the column goes.
- Before webhooks, ``xero_connection`` had no ``webhook_token`` column. If Odoo added it, it
  would fill every existing row with one value of the field's default (``_init_column``
  computes the default once): every dealer would get the same webhook URL. The column is
  made here, empty; ``post-migrate.py`` gives each connection its own token.
"""

import logging

from odoo.tools.sql import column_exists, create_column, table_exists

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version or not table_exists(cr, "xero_connection"):
        return
    _move_client_secrets(cr)
    if not column_exists(cr, "xero_connection", "webhook_token"):
        create_column(cr, "xero_connection", "webhook_token", "varchar")


def _move_client_secrets(cr):
    """``xero_connection.client_secret`` (stored) to ``xero_connection_token.client_secret``."""
    if not column_exists(cr, "xero_connection", "client_secret"):
        return
    if not column_exists(cr, "xero_connection_token", "client_secret"):
        create_column(cr, "xero_connection_token", "client_secret", "varchar")
    cr.execute(
        """INSERT INTO xero_connection_token (connection_id)
           SELECT c.id FROM xero_connection c
            WHERE c.client_secret IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM xero_connection_token t
                               WHERE t.connection_id = c.id)"""
    )
    cr.execute(
        """UPDATE xero_connection_token t SET client_secret = c.client_secret
             FROM xero_connection c
            WHERE t.connection_id = c.id AND c.client_secret IS NOT NULL"""
    )
    moved = cr.rowcount
    cr.execute("ALTER TABLE xero_connection DROP COLUMN client_secret")
    _logger.info("Xero: %s client secret(s) moved to the connection tokens", moved)
