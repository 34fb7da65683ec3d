import logging
import secrets
import time
from contextlib import contextmanager

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..xero_api import errors as xero_errors
from .xero_common import testing

_logger = logging.getLogger(__name__)

OAUTH_STATE_TTL = 15 * 60  # seconds a "Connect to Xero" round trip may take
TOKEN_MARGIN = 60  # refresh this many seconds before the access token expires


class XeroConnection(models.Model):
    """OAuth2 on the connection: Connect to Xero, the callback, and the token's renewal (under
    a row lock, in a side cursor committed at once: Xero's refresh tokens are single use)."""

    _inherit = "xero.connection"

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
        url = self._gateway().authorize_url(self._redirect_uri(), self.scopes, nonce)
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
        # A grant that would re-point the dealer (see xero_connection_links) is refused as a
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
        """Get a new access token; a rotated refresh token is committed at once (not in tests).

        Client credentials: a new token is simply asked for (two workers asking at once is
        harmless). Refresh token: under a row lock, in its own committed transaction, so the
        second worker finds the token the first one stored instead of spending the single-use
        refresh token again, and a rollback of the caller never loses the rotated token.
        """
        token = self._token_record()
        if self.auth_mode == "client_credentials":
            try:
                grant = self._new_grant(None)
            except xero_errors.XeroAuthError as exc:
                token.write(
                    {
                        "needs_reauth": exc.needs_reauth,
                        "last_error": exc.user_message(),
                        "error_code": exc.code or False,
                    }
                )
                raise
            token.write(
                {
                    "access_token": grant["access_token"],
                    "expires_at": grant["expires_at"],
                    "needs_reauth": False,
                    "last_error": False,
                    "error_code": False,
                }
            )
            return grant["access_token"]
        token.flush_recordset()
        failure = None
        with self._side_cursor() as cr:
            if not testing():
                # Odoo's cursors are REPEATABLE READ: there the second worker, once the first
                # has committed the new token, would get "could not serialize access due to
                # concurrent update" instead of the token. READ COMMITTED waits, then reads it.
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cr.execute(
                "SELECT access_token, refresh_token, expires_at FROM xero_connection_token "
                "WHERE id = %s FOR UPDATE",
                [token.id],
            )
            row = cr.fetchone()
            if row is None:
                # Created by the caller's own, uncommitted transaction: nobody else can see
                # it, so it is renewed there (under the same row lock).
                cr = self.env.cr
                cr.execute(
                    "SELECT access_token, refresh_token, expires_at FROM "
                    "xero_connection_token WHERE id = %s FOR UPDATE",
                    [token.id],
                )
                row = cr.fetchone()
            access, refresh, expires_at = row
            if access and access != stale and (expires_at or 0) > time.time() + TOKEN_MARGIN:
                return access
            try:
                grant = self._new_grant(refresh)
            except xero_errors.XeroAuthError as exc:
                # Recorded in this committed transaction, raised once it is closed.
                failure = exc
                cr.execute(
                    "UPDATE xero_connection_token SET needs_reauth = %s, last_error = %s, "
                    "error_code = %s WHERE id = %s",
                    [exc.needs_reauth, exc.user_message(), exc.code, token.id],
                )
            else:
                cr.execute(
                    "UPDATE xero_connection_token SET access_token = %s, "
                    "refresh_token = COALESCE(%s, refresh_token), expires_at = %s, "
                    "needs_reauth = FALSE, last_error = NULL, error_code = NULL WHERE id = %s",
                    [
                        grant["access_token"],
                        grant.get("refresh_token"),
                        grant["expires_at"],
                        token.id,
                    ],
                )
        token.invalidate_recordset()
        self.invalidate_recordset(["state", "last_error"])
        if failure:
            raise failure
        return grant["access_token"]

    def _new_grant(self, refresh):
        gateway = self._gateway()
        if self.auth_mode == "client_credentials":
            return gateway.fetch_client_credentials_token(self.scopes)
        if refresh:
            return gateway.refresh_token(refresh)
        raise xero_errors.XeroAuthError(
            _("Not connected to Xero: use 'Connect to Xero'."), needs_reauth=True
        )

    @contextmanager
    def _side_cursor(self):
        """A cursor whose work is committed at once, whatever becomes of the caller's.

        Tokens and throttle slots must survive a rollback of the task that asked for them. In
        tests the test cursor is used (a savepoint), as a separate one could not see its data.
        """
        if testing():
            with self.env.cr.savepoint(flush=False):
                yield self.env.cr
        else:
            with self.env.registry.cursor() as cr:
                yield cr

    def _token_record(self):
        self.ensure_one()
        tokens = self.env["xero.connection.token"].sudo()
        token = tokens.search([("connection_id", "=", self.id)], limit=1)
        return token or tokens.create({"connection_id": self.id})

    def _redirect_uri(self):
        return self.get_base_url().rstrip("/") + "/xero/oauth/callback"
