"""OAuth2 on ``xero.connection``: Connect to Xero and its callback, the choice of the
organisation (``xero.connection.tenant``, the organisations a grant covers), and the renewal
of the access token. The secrets themselves are ``xero.connection.token``."""

import logging
import secrets
import time
from contextlib import contextmanager

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..xero_api import errors as xero_errors
from .xero_columns import testing
from .xero_connection_token import TOKENS_WRITTEN
from .xero_texts import xero_text

_logger = logging.getLogger(__name__)

OAUTH_STATE_TTL = 15 * 60  # seconds a "Connect to Xero" round trip may take
TOKEN_MARGIN = 60  # refresh this many seconds before the access token expires


class XeroConnection(models.Model):
    """OAuth2 on the connection: Connect to Xero, the callback, the choice of the organisation,
    and the token's renewal (under a row lock, in a side cursor committed at once: Xero's
    refresh tokens are single use)."""

    _inherit = "xero.connection"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: OAuth

    def action_connect(self):
        """Start the OAuth2 authorization-code flow: redirect to Xero's consent page.

        ``state`` is a random nonce stored with the connection and the user who clicked, so the
        callback accepts only the answer to this very request, for this user, once.
        """
        self.ensure_one()
        self._check_manager()
        if self.auth_mode == "client_credentials":
            return self.action_test_connection()
        if not self.client_id:
            raise UserError(_("Set the Client ID and Client secret of your Xero app first."))
        nonce = secrets.token_urlsafe(32)
        self._token_record().write(
            {"oauth_state": nonce, "oauth_uid": self.env.uid, "oauth_started": time.time()}
        )
        url = self._gateway().authorize_url(self._redirect_uri(), self.scopes.split(), nonce)
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    # ------------------------------------------------------------------ OAuth callback

    def _oauth_callback(self, code, state):
        """Finish the authorization-code flow for the user of this environment.

        :return: the connection, once tokens are stored and the organisation is known (or
            offered for choice when the grant covers several).
        :raise UserError: when ``state`` is not one this user started (forged, replayed,
            expired): nothing is stored, and the attempt is logged.
        """
        token = (
            self.env["xero.connection.token"].sudo().search([("oauth_state", "=", state)], limit=1)
            if state
            else self.env["xero.connection.token"]
        )
        fresh = token and time.time() - token.oauth_started < OAUTH_STATE_TTL
        if not (token and fresh and token.oauth_uid.id == self.env.uid):
            _logger.warning(
                "Xero OAuth callback rejected: unknown, expired or foreign state (user %s)",
                self.env.uid,
            )
            raise UserError(
                _(
                    "This Xero authorisation answer is not one you asked for: "
                    "start again with 'Connect to Xero'."
                )
            )
        conn = token.connection_id.with_env(self.env)
        conn.check_access("write")
        token.write({"oauth_state": False, "oauth_uid": False})
        grant = conn._gateway().exchange_code(code, conn._redirect_uri())
        # A grant that would re-point the dealer (see _check_no_links) is refused as a
        # whole: the connection keeps its previous tokens and organisation.
        with self.env.cr.savepoint():
            token.write(
                {
                    "access_token": grant["access_token"],
                    "refresh_token": grant.get("refresh_token"),
                    "expires_at": grant["expires_at"],
                    "needs_reauth": False,
                    "last_error": False,
                }
            )
            conn._pick_tenant_from_connections()
        return conn

    def _pick_tenant_from_connections(self):
        """List the organisations the grant covers; take the only one or offer the choice.

        A dealer with linked records keeps its organisation: no choice is offered when the
        grant covers it, and a grant without it is refused.
        """
        tenants = self._gateway().identity_call("get_connections")
        orgs = [t for t in tenants if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]
        self.tenant_choice_ids.unlink()
        if self.tenant_id and self._xero_link_counts():
            if self.tenant_id not in [t["tenantId"] for t in orgs]:
                self._check_no_links()
        elif len(orgs) == 1:
            self.write({"tenant_id": orgs[0]["tenantId"], "tenant_name": orgs[0]["tenantName"]})
        else:
            self.write(
                {
                    "tenant_id": False,
                    "tenant_choice_ids": [
                        fields.Command.create({"tenant_id": t["tenantId"], "name": t["tenantName"]})
                        for t in orgs
                    ],
                }
            )

    # ------------------------------------------------------------------ tokens

    def _access_token(self, force=False):
        """Return a valid access token, getting a new one first when needed (or forced)."""
        self.ensure_one()
        token = self._token_record()
        if not force and token.access_token and token.expires_at > time.time() + TOKEN_MARGIN:
            return token.access_token
        return self._renew_token(stale=token.access_token)

    def _renew_token(self, stale=None):
        """Get a new access token (a refresh token is single use: it is rotated at once).

        Under the token row's lock, in a transaction of its own committed at once (see
        :meth:`_token_transaction`): a second worker waits, then finds the token the first one
        stored instead of spending the refresh token again, and a rollback of the caller never
        loses the rotated token. The caller's transaction uses the new token at once (its cache
        holds it, though its snapshot predates the commit): one grant per renewal, and no call
        is sent with the old token and answered 401.

        :param stale: the token the caller has (refused by Xero, or about to expire): a
            different valid one stored meanwhile by another worker is taken without a grant.
        """
        token = self._token_record()
        failure = None
        with self._token_transaction(token) as cr:
            cr.execute(
                "SELECT access_token, refresh_token, expires_at FROM xero_connection_token "
                "WHERE id = %s FOR UPDATE",
                [token.id],
            )
            access, refresh, expires_at = cr.fetchone()
            if access and access != stale and (expires_at or 0) > time.time() + TOKEN_MARGIN:
                values = {
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_at": expires_at,
                }
            else:
                values, failure = self._grant_values(refresh)
                self._token_update(cr, token, values)
        self._token_remember(token, values)
        if failure:
            raise failure
        return values["access_token"]

    def _grant_values(self, refresh):
        """``(values, failure)``: the token row's values after asking Xero for a new grant
        (with ``refresh``, the stored refresh token), and the ``XeroAuthError`` that refused it
        (recorded in the caller's committed transaction, raised once it is closed) or None."""
        try:
            grant = self._new_grant(refresh)
        except xero_errors.XeroAuthError as exc:
            return {
                "needs_reauth": exc.needs_reauth,
                "last_error": xero_text(self.env, exc),
                "error_code": exc.code or False,
            }, exc
        return {
            "access_token": grant["access_token"],
            "refresh_token": grant.get("refresh_token") or refresh,
            "expires_at": grant["expires_at"],
            "needs_reauth": False,
            "last_error": False,
            "error_code": False,
        }, None

    def _token_state_write(self, vals):
        """Write the token row's renewal state (tokens, last error) as :meth:`_renew_token`
        does: in a transaction of its own when the caller's may have renewed a token, since
        the caller's own ``UPDATE`` of a row another transaction changed after its snapshot
        is refused (``SerializationFailure``) and Odoo would replay the whole request."""
        self.ensure_one()
        token = self._token_record()
        with self._token_transaction(token) as cr:
            self._token_update(cr, token, vals)
        self._token_remember(token, vals)

    @contextmanager
    def _token_transaction(self, token):
        """The cursor for the token row's renewal state, committed at its end.

        A new transaction (``READ COMMITTED``: it waits for a worker renewing the token, then
        reads what that one stored), unless the row was created or written by the caller's
        transaction (nobody else can see that version, and a second transaction would wait
        for the caller forever): then the caller's cursor. Tests use the test cursor (a
        savepoint), their browser requests too: a separate transaction could not see their
        data.
        """
        if testing() or self.env.registry.in_test_mode():
            token.flush_recordset()
            with self.env.cr.savepoint(flush=False):
                yield self.env.cr
            return
        if token.id not in self.env.cr.postcommit.data.get(TOKENS_WRITTEN, ()):
            with self.env.registry.cursor() as cr:
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                cr.execute("SELECT 1 FROM xero_connection_token WHERE id = %s", [token.id])
                if cr.fetchone():
                    yield cr
                    return
        token.flush_recordset()
        yield self.env.cr

    def _token_update(self, cr, token, vals):
        columns = list(vals)
        cr.execute(
            SQL(
                "UPDATE xero_connection_token SET %s WHERE id = %s",
                SQL(", ").join(
                    SQL(
                        "%s = %s", SQL.identifier(name), None if vals[name] is False else vals[name]
                    )
                    for name in columns
                ),
                token.id,
            )
        )

    def _token_remember(self, token, vals):
        """Put what was stored into the caller's cache: its ORM reads then agree with the
        committed row, though its snapshot predates that commit."""
        for name, value in vals.items():
            token._cache[name] = value
        self.invalidate_recordset(["state", "last_error"])

    def _new_grant(self, refresh):
        if not self._token_record().client_secret:
            raise xero_errors.XeroAuthError(
                _(
                    "The connection has no client secret: a Xero Manager enters it, then "
                    "clicks Connect to Xero or Test connection."
                )
            )
        gateway = self._gateway()
        if self.auth_mode == "client_credentials":
            return gateway.fetch_client_credentials_token(self.scopes.split())
        if refresh:
            return gateway.refresh_token(refresh)
        raise xero_errors.XeroAuthError(
            _("Not connected to Xero: use 'Connect to Xero'."), needs_reauth=True
        )

    def _token_record(self):
        self.ensure_one()
        tokens = self.env["xero.connection.token"].sudo()
        token = tokens.search([("connection_id", "=", self.id)], limit=1)
        return token or tokens.create({"connection_id": self.id})

    def _redirect_uri(self):
        return self.get_base_url().rstrip("/") + "/xero/oauth/callback"


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
