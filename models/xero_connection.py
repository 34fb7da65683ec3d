import logging
import secrets
import time
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..xero_api import client as xero_client
from ..xero_api import errors as xero_errors
from ..xero_api import throttle as xero_throttle
from .xero_task import _testing

_logger = logging.getLogger(__name__)

XERO_API_URL = "https://api.xero.com"
XERO_IDENTITY_URL = "https://identity.xero.com"
XERO_LOGIN_URL = "https://login.xero.com"
DEFAULT_SCOPES = (
    "offline_access accounting.contacts accounting.invoices accounting.payments "
    "accounting.attachments accounting.settings.read"
)
OAUTH_STATE_TTL = 15 * 60  # seconds a "Connect to Xero" round trip may take
TOKEN_MARGIN = 60  # refresh this many seconds before the access token expires


class XeroConnection(models.Model):
    """One Xero organisation per company (dealer), and the only way out to Xero.

    Everything that talks to Xero goes through :meth:`_xero_call`, which builds a
    :class:`~..xero_api.client.XeroGateway` (xero-python with retries off, the per-tenant
    throttle shared by every Odoo worker through PostgreSQL, typed errors, idempotency keys).
    Tokens live in ``xero.connection.token`` (system only), refreshed in one place under a row
    lock and committed at once, so two workers never burn the same single-use refresh token.
    """

    _name = "xero.connection"
    _description = "Xero Connection"
    _inherit = ["mail.thread"]
    _order = "company_id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        ondelete="cascade",
        tracking=True,
    )
    auth_mode = fields.Selection(
        [
            ("oauth2", "OAuth2 (Connect to Xero)"),
            ("client_credentials", "Custom connection (client credentials)"),
        ],
        required=True,
        default="oauth2",
        tracking=True,
    )
    client_id = fields.Char(string="Client ID", tracking=True)
    client_secret = fields.Char(groups="base.group_system", exportable=False, copy=False)
    api_url = fields.Char(string="API URL", required=True, default=XERO_API_URL)
    identity_url = fields.Char(string="Identity URL", required=True, default=XERO_IDENTITY_URL)
    login_url = fields.Char(string="Login URL", required=True, default=XERO_LOGIN_URL)
    scopes = fields.Char(required=True, default=DEFAULT_SCOPES)
    tenant_id = fields.Char(string="Organisation ID", copy=False, tracking=True)
    tenant_name = fields.Char(string="Organisation", copy=False)
    tenant_choice_ids = fields.One2many("xero.connection.tenant", "connection_id")
    state = fields.Selection(
        [
            ("not_connected", "Not connected"),
            ("connected", "Connected"),
            ("needs_reauth", "Needs re-authorisation"),
        ],
        compute="_compute_state",
    )
    last_error = fields.Text(compute="_compute_state")
    org_currency = fields.Char(string="Base currency", readonly=True, copy=False)
    min_remaining = fields.Integer(string="Calls left this minute", readonly=True, copy=False)
    day_remaining = fields.Integer(string="Calls left today", readonly=True, copy=False)
    last_test_date = fields.Datetime(readonly=True, copy=False)
    invoice_status = fields.Selection(
        [("AUTHORISED", "Approved (AUTHORISED)"), ("DRAFT", "Draft")],
        string="Invoice status in Xero",
        required=True,
        default="AUTHORISED",
    )
    no_tax_type = fields.Char(
        string="Tax type for untaxed lines",
        required=True,
        default="NONE",
        help="Xero tax type of invoice lines without tax, on invoices with taxed lines.",
    )
    auto_fetch_payments = fields.Boolean(
        help="The scheduled action 'Xero: fetch new payments' fetches this dealer's payments.",
    )
    payments_fetched_until = fields.Datetime(
        readonly=True,
        copy=False,
        help="High-water mark of Fetch New Payments (Xero's UpdatedDateUTC).",
    )
    mapping_ids = fields.One2many("xero.mapping", "connection_id", string="Mappings")

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company (dealer) has one Xero connection: edit the existing one.",
        ),
    ]

    @api.depends("company_id.name")
    def _compute_name(self):
        for conn in self:
            conn.name = conn.company_id.name

    def _compute_state(self):
        tokens = (
            self.env["xero.connection.token"].sudo().search([("connection_id", "in", self.ids)])
        )
        by_conn = {t.connection_id.id: t for t in tokens}
        for conn in self:
            token = by_conn.get(conn.id)
            conn.last_error = token.last_error if token else False
            if token and token.needs_reauth:
                conn.state = "needs_reauth"
            elif token and (token.access_token or token.refresh_token) and conn.tenant_id:
                conn.state = "connected"
            else:
                conn.state = "not_connected"

    # ------------------------------------------------------------------ actions

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

    def action_test_connection(self):
        """Connect if needed and show the organisation, its currency and the calls left.

        Failures are not raised: they are shown on the form (status and last error), with
        Xero's reason, so the manager sees exactly what is wrong.
        """
        self.ensure_one()
        self._check_manager()
        self.check_access("write")
        try:
            if self.auth_mode == "client_credentials" and not self.tenant_id:
                self._pick_tenant_from_connections()
            gateway = self._gateway()
            orgs = self._xero_call("get_organisations", gateway=gateway)
        except xero_errors.XeroError as exc:
            message = exc.user_message()
            self._token_record().write({"last_error": message})
            self.invalidate_recordset(["state", "last_error"])
            return self._notify(_("Xero connection failed"), message, "danger")
        org = (orgs.get("Organisations") or [{}])[0]
        rate = gateway.last_rate or {}
        self.write(
            {
                "tenant_name": org.get("Name") or self.tenant_name,
                "org_currency": org.get("BaseCurrency"),
                "min_remaining": rate.get("min_remaining") or 0,
                "day_remaining": rate.get("day_remaining") or 0,
                "last_test_date": fields.Datetime.now(),
            }
        )
        self._token_record().write({"last_error": False, "needs_reauth": False})
        self.invalidate_recordset(["state", "last_error"])
        message = _(
            "%(org)s (%(currency)s): %(minute)s calls left this minute, %(day)s today.",
            org=self.tenant_name,
            currency=self.org_currency,
            minute=self.min_remaining,
            day=self.day_remaining,
        )
        return self._notify(_("Connected to Xero"), message, "success")

    def action_disconnect(self):
        """Revoke the refresh token at Xero (when there is one) and forget every token."""
        self._check_manager()
        for conn in self:
            token = conn._token_record()
            if token.refresh_token:
                try:
                    conn._gateway().revoke(token.refresh_token)
                except xero_errors.XeroError as exc:
                    _logger.warning("Xero revocation failed for %s: %s", conn.name, exc)
            token.write(
                {
                    "access_token": False,
                    "refresh_token": False,
                    "expires_at": 0,
                    "needs_reauth": False,
                    "last_error": False,
                }
            )
            conn.write({"tenant_id": False, "tenant_name": False})
            conn.tenant_choice_ids.unlink()
        return True

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
        """List the organisations the grant covers; take the only one or offer the choice."""
        tenants = self._gateway().identity_call("get_connections")
        orgs = [t for t in tenants if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]
        self.tenant_choice_ids.unlink()
        if len(orgs) == 1:
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

    # ------------------------------------------------------------------ gateway

    def _xero_call(self, method, *, idempotency_key=None, gateway=None, **kwargs):
        """Call the Xero Accounting API method ``method`` (an ``AccountingApi`` method name).

        The one way out to Xero. Bodies are plain Xero dicts; the answer is a plain dict.
        :raise xero_errors.XeroError: typed (validation, not found, rate limited, auth,
            transient); an ``invalid_grant`` marks the connection "needs re-authorisation".
        """
        self.ensure_one()
        if not self.tenant_id:
            raise UserError(
                _(
                    "The Xero connection of %s has no organisation yet: connect it first.",
                    self.company_id.name,
                )
            )
        gateway = gateway or self._gateway()
        return gateway.call(method, idempotency_key=idempotency_key, **kwargs)

    def _xero_read_all(self, method, key, **kwargs):
        """Every item of a paged Xero list (``page`` 1, 2, ... until the last page).

        The last page is known from ``pagination.pageCount`` when Xero gives it, else from a
        page shorter than Xero's 100 items.
        """
        items, page = [], 1
        while True:
            answer = self._xero_call(method, page=page, **kwargs)
            batch = answer.get(key) or []
            items += batch
            page_count = (answer.get("pagination") or {}).get("pageCount")
            if (page >= page_count) if page_count else len(batch) < 100:
                return items
            page += 1

    def _gateway(self):
        conn = self.sudo()
        return xero_client.XeroGateway(
            conn.api_url.rstrip("/"),
            conn.identity_url.rstrip("/"),
            conn.login_url.rstrip("/"),
            conn.client_id or "",
            conn.client_secret or "",
            tenant_id=conn.tenant_id or None,
            token_getter=self._access_token,
            on_unauthorized=lambda: self._access_token(force=True),
            # Tests may pass a virtual clock: retries and throttle waits then take no real time.
            throttle=xero_throttle.Throttle(
                xero_throttle.PgThrottleStore(self._side_cursor),
                self.env.context.get("xero_clock") or xero_throttle.RealClock(),
            ),
        )

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
                token.write({"needs_reauth": exc.needs_reauth, "last_error": exc.user_message()})
                raise
            token.write(
                {
                    "access_token": grant["access_token"],
                    "expires_at": grant["expires_at"],
                    "needs_reauth": False,
                    "last_error": False,
                }
            )
            return grant["access_token"]
        token.flush_recordset()
        failure = None
        with self._side_cursor() as cr:
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
                    "UPDATE xero_connection_token SET needs_reauth = %s, last_error = %s "
                    "WHERE id = %s",
                    [exc.needs_reauth, exc.user_message(), token.id],
                )
            else:
                cr.execute(
                    "UPDATE xero_connection_token SET access_token = %s, "
                    "refresh_token = COALESCE(%s, refresh_token), expires_at = %s, "
                    "needs_reauth = FALSE, last_error = NULL WHERE id = %s",
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
        if _testing():
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

    def _check_manager(self):
        if not self.env.user.has_group("account_xero_sync.group_xero_manager"):
            raise UserError(_("Only a Xero Manager can change a Xero connection."))

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _for_company(self, company):
        """The connection of ``company`` (a dealer), or a clear error when there is none."""
        conn = self.search([("company_id", "=", company.id)], limit=1)
        if not conn:
            raise UserError(
                _(
                    "%s has no Xero connection: a Xero Manager adds one in "
                    "Xero > Configuration > Connections.",
                    company.name,
                )
            )
        return conn
