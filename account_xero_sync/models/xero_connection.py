"""``xero.connection``, the connection itself: its fields, ``create``/``write``, its state,
Test connection and Disconnect, the links of the dealer's records to its one organisation
(Unlink all), and the gateway, the one way out to Xero. The other concerns of the connection
are beside it (see the class docstring)."""

import logging
from contextlib import contextmanager

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..xero_api import client as xero_client
from ..xero_api import errors as xero_errors
from ..xero_api import paging as xero_paging
from ..xero_api import throttle as xero_throttle
from .xero_columns import testing
from .xero_texts import xero_text

_logger = logging.getLogger(__name__)

XERO_API_URL = "https://api.xero.com"
XERO_IDENTITY_URL = "https://identity.xero.com"
XERO_LOGIN_URL = "https://login.xero.com"
#: Where the client secret, the tokens and the users' consent go: Xero's own servers, unless a
#: system administrator points the connection elsewhere (the bundled emulator, for the tests,
#: the demo and rehearsals). Never a Xero Manager's to change (see docs/security.md).
SERVER_FIELDS = {
    "api_url": XERO_API_URL,
    "identity_url": XERO_IDENTITY_URL,
    "login_url": XERO_LOGIN_URL,
}
# A connection's token row with no token, and no error of a token, left.
NO_TOKENS = {
    "access_token": False,
    "refresh_token": False,
    "expires_at": 0,
    "needs_reauth": False,
    "last_error": False,
    "error_code": False,
}
# States in which no call can succeed until a person fixes the connection.
NEEDS_A_PERSON = ("needs_reauth", "bad_credentials")
# res.partner's Xero fields are company-dependent (one jsonb column, a key per company).
PARTNER_FIELDS = (
    "xero_contact_id",
    "xero_contact_name",
    "xero_last_sync",
    "xero_last_error",
    "xero_payload_hash",
    "xero_candidate_id",
    "xero_candidate_name",
)


def _server_field(string, default):
    """A server address: where secrets and tokens are sent. System administrators only, to read
    and to write (see ``_server_changes``); tracked in the chatter."""
    return fields.Char(
        string=string, required=True, default=default, groups="base.group_system", tracking=True
    )


class XeroConnection(models.Model):
    """One Xero organisation per company (dealer), and the only way out to Xero.

    Everything that talks to Xero goes through :meth:`_xero_call`, which builds a
    :class:`~..xero_api.client.XeroGateway` (xero-python with retries off, the per-tenant
    throttle shared by every Odoo worker through PostgreSQL, typed errors, idempotency keys).
    Tokens live in ``xero.connection.token`` (system only), refreshed in one place under a row
    lock and committed at once, so two workers never burn the same single-use refresh token.

    The organisation's base currency must be the dealer's own: Xero books every document in
    its base currency at the ``CurrencyRate`` sent, and Odoo's rates are per unit of the
    company's currency, so an organisation kept in another currency would book every amount
    wrong. Test connection shows such an organisation as refused (state *Other base
    currency*), and every task fails before it plans anything, naming both currencies. Xero
    cannot change an organisation's base currency: Test connection stores it, forgotten when
    the connection is pointed at another organisation; until then each task reads it.

    Links that cannot rot: the dealer's records linked to Xero (customers, invoices and credit
    notes, payments) hold ids of ONE organisation. Pointing the connection at another one
    (tenant picker, OAuth callback, a write) while such links exist would send updates,
    payments and voids to ids the new organisation does not have, or to the wrong records:
    refused. *Unlink all records of this dealer* (Xero Managers, confirmed) clears every link
    first; the next sends then match and create in the new organisation. Two dealers never
    share an organisation.

    This file holds the connection itself: its fields, ``create``/``write``, its state, Test
    connection, the links to its organisation and the gateway. Beside it, by concern: OAuth,
    the organisation's choice and the tokens' renewal (``xero_connection_oauth``), mappings and
    Xero's codes (``xero_connection_mappings``), webhooks (``xero_connection_webhook``), the
    dealer's task runner and the scheduled fetch of payments (``tasks/xero_connection_runner``).
    The secrets are a model of their own, ``xero.connection.token``.
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
        default=lambda self: self._default_company(),
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
    client_secret = fields.Char(
        compute="_compute_client_secret",
        inverse="_inverse_client_secret",
        exportable=False,
        copy=False,
        help="Set by a Xero Manager; kept with the tokens and never shown again.",
    )
    client_secret_set = fields.Boolean(compute="_compute_client_secret")
    api_url = _server_field("API URL", XERO_API_URL)
    identity_url = _server_field("Identity URL", XERO_IDENTITY_URL)
    login_url = _server_field("Login URL", XERO_LOGIN_URL)
    server_label = fields.Char(
        string="Xero servers",
        compute="_compute_server_label",
        help="Where this connection's secret and tokens are sent: Xero's own servers unless a "
        "system administrator pointed it elsewhere (the bundled emulator, for rehearsals).",
    )
    # Text, not Char: the scopes wrap on the form rather than being cut in a one-line input.
    scopes = fields.Text(required=True, default=xero_client.DEFAULT_SCOPES)
    tenant_id = fields.Char(string="Organisation ID", copy=False, tracking=True)
    tenant_name = fields.Char(string="Organisation", copy=False)
    tenant_choice_ids = fields.One2many("xero.connection.tenant", "connection_id")
    state = fields.Selection(
        [
            ("not_connected", "Not connected"),
            ("connected", "Connected"),
            ("needs_reauth", "Needs re-authorisation"),
            ("bad_credentials", "Wrong client id or secret"),
            ("error", "Error"),
            ("wrong_currency", "Other base currency"),
        ],
        compute="_compute_state",
    )
    last_error = fields.Text(compute="_compute_state")
    org_currency = fields.Char(string="Base currency", readonly=True, copy=False)
    org_short_code = fields.Char(
        string="Short code",
        readonly=True,
        copy=False,
        help="Xero's short code of the organisation (read by Test connection): links to Xero "
        "open the dealer's own organisation, whichever one the user was last signed in to.",
    )
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
    send_from_date = fields.Date(
        string="Send documents dated from",
        help="Send New Invoices, Send New Credit Notes and Send New Payments leave out documents "
        "dated before this day (an organisation that already has its history in Xero: run Link "
        "Existing Xero Records first). Customers are sent whatever their date.",
    )

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company (dealer) has one Xero connection: edit the existing one.",
        ),
    ]

    @api.model
    def _default_company(self):
        """The current company, or else the first active one, that has no connection yet."""
        companies = self.env.companies
        free = companies - self.sudo().search([("company_id", "in", companies.ids)]).company_id
        return self.env.company if self.env.company in free else free[:1] or self.env.company

    @api.constrains("client_id", "auth_mode")
    def _check_one_dealer_per_custom_connection(self):
        """A Xero custom connection reaches exactly one organisation (Xero sells one per
        organisation): its client id serves one dealer. The other dealer is not named (a
        Manager of this one may not read it)."""
        for conn in self.filtered(lambda c: c.auth_mode == "client_credentials" and c.client_id):
            other = self.sudo().search_count(
                [
                    ("auth_mode", "=", "client_credentials"),
                    ("client_id", "=", conn.client_id),
                    ("id", "!=", conn.id),
                ],
                limit=1,
            )
            if other:
                raise ValidationError(
                    _(
                        "Client ID %s is already the custom connection of another dealer. A "
                        "Xero custom connection reaches exactly one organisation: each dealer "
                        "needs its own, with its own client id and secret.",
                        conn.client_id,
                    )
                )

    @api.constrains("tenant_id")
    def _check_one_dealer_per_organisation(self):
        for conn in self.filtered("tenant_id"):
            other = self.sudo().search(
                [("tenant_id", "=", conn.tenant_id), ("id", "!=", conn.id)], limit=1
            )
            if other:
                raise ValidationError(
                    _(
                        "Xero organisation %(org)s is already connected to %(company)s: an "
                        "organisation belongs to one dealer. Connect %(mine)s to its own "
                        "organisation.",
                        org=conn.tenant_name or conn.tenant_id,
                        company=other.company_id.name,
                        mine=conn.company_id.name,
                    )
                )

    @api.depends("company_id.name")
    def _compute_name(self):
        for conn in self:
            conn.name = conn.company_id.name

    def _compute_client_secret(self):
        """Write-only: the secret is never read back, by anyone, through the UI or RPC."""
        tokens = (
            self.env["xero.connection.token"].sudo().search([("connection_id", "in", self.ids)])
        )
        with_secret = {t.connection_id.id for t in tokens if t.client_secret}
        for conn in self:
            conn.client_secret = False
            conn.client_secret_set = conn.id in with_secret

    def _inverse_client_secret(self):
        self._check_manager()
        for conn in self.filtered("client_secret"):
            # A new secret makes the tokens of the old one worthless: none is used again.
            conn._token_record().write(
                {"client_secret": conn.client_secret, "access_token": False, "expires_at": 0}
            )

    @api.depends("api_url", "identity_url", "login_url")
    def _compute_server_label(self):
        for conn in self.sudo():
            urls = [conn[name] or default for name, default in SERVER_FIELDS.items()]
            if urls == list(SERVER_FIELDS.values()):
                conn.server_label = _("Xero (api.xero.com, identity.xero.com, login.xero.com)")
            else:
                conn.server_label = _("Not Xero's own: %s", ", ".join(dict.fromkeys(urls)))

    def _server_changes(self, vals):
        """The server addresses ``vals`` changes on any of these connections (for a new one:
        from Xero's own), refused to anyone but a system administrator, whatever the client
        (form, RPC, import): the client secret and the tokens go there."""
        current = self.sudo() or [SERVER_FIELDS]
        changed = [
            name
            for name in SERVER_FIELDS
            if name in vals and any((vals[name] or "") != (c[name] or "") for c in current)
        ]
        if changed and not self.env.is_system():
            raise AccessError(
                _(
                    "Only a system administrator can change where a Xero connection sends "
                    "its secret and tokens (%s).",
                    self._fields[changed[0]].string,
                )
            )
        return changed

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._server_changes(vals)
        connections = super().create(vals_list)
        for connection in connections:
            connection._xero_runner_cron()  # each dealer's own task runner
        return connections

    def write(self, vals):
        """The one ``write`` of a connection: a server address only from an administrator
        (dropping the secret and the tokens), another client id drops the access token, and
        another organisation is refused while the dealer has records linked to the one it has
        (its base currency is then read again)."""
        moved = self.browse()
        if self._server_changes(vals):
            moved = self.filtered(lambda c: c._server_changes(vals))
        repointed = self.browse()
        if "tenant_id" in vals:
            repointed = self.filtered(
                lambda c: (c.tenant_id or False) != (vals["tenant_id"] or False)
            )
            for conn in repointed:
                conn._check_no_links()
        if "client_id" in vals:
            for conn in self.filtered(lambda c: c.client_id != vals["client_id"]):
                conn._token_record().write({"access_token": False, "expires_at": 0})
        for conn in moved:
            # Another server: nothing issued by or for the old one goes there, and the secret
            # is sent nowhere new until a Xero Manager types it again (docs/security.md).
            conn._token_record().write(dict(NO_TOKENS, client_secret=False))
            conn.message_post(
                body=_(
                    "Server addresses changed by %s: the client secret and the tokens are "
                    "dropped; a Xero Manager enters the secret again, then connects.",
                    self.env.user.name,
                )
            )
        result = super().write(vals)
        if "client_secret" in vals:
            self.invalidate_recordset(["client_secret", "client_secret_set"])
        if repointed and "org_currency" not in vals:
            # Another organisation: its base currency is read again before anything is sent.
            repointed.write({"org_currency": False, "org_short_code": False})
        return result

    def _compute_state(self):
        tokens = (
            self.env["xero.connection.token"].sudo().search([("connection_id", "in", self.ids)])
        )
        by_conn = {t.connection_id.id: t for t in tokens}
        for conn in self:
            token = by_conn.get(conn.id)
            conn.last_error = token.last_error if token else False
            if (
                token
                and token.needs_reauth
                and (
                    token.error_code in xero_errors.CREDENTIAL_ERRORS
                    or conn.auth_mode == "client_credentials"
                )
            ):
                # Nothing to authorise again: the client id or secret is wrong.
                conn.state = "bad_credentials"
            elif token and token.needs_reauth:
                conn.state = "needs_reauth"
            elif token and token.last_error:
                conn.state = "error"
            elif token and (token.access_token or token.refresh_token) and conn.tenant_id:
                mismatch = conn._xero_currency_mismatch()
                conn.state = "wrong_currency" if mismatch else "connected"
                conn.last_error = mismatch or conn.last_error
            else:
                conn.state = "not_connected"

    # ------------------------------------------------------------------ actions

    def action_test_connection(self):
        """Connect if needed and show the organisation, its currency and the calls left.

        Failures are not raised: they are shown on the form (status and last error), with
        Xero's reason, so the manager sees exactly what is wrong.
        """
        self.ensure_one()
        self._check_manager()
        self.check_access("write")
        try:
            # Always a new token: one issued before the credentials changed proves nothing.
            self._access_token(force=True)
            if self.auth_mode == "client_credentials" and not self.tenant_id:
                self._pick_tenant_from_connections()
            gateway = self._gateway()
            orgs = self._xero_call("get_organisations", gateway=gateway)
        except xero_errors.XeroError as exc:
            message = xero_text(self.env, exc)
            self._token_state_write(
                {
                    "last_error": message,
                    "error_code": getattr(exc, "code", None) or False,
                    "needs_reauth": getattr(exc, "needs_reauth", False),
                }
            )
            self.invalidate_recordset(["state", "last_error"])
            return self._notify(_("Xero connection failed"), message, "danger")
        org = (orgs.get("Organisations") or [{}])[0]
        rate = gateway.last_rate or {}
        self.write(
            {
                "tenant_name": org.get("Name") or self.tenant_name,
                "org_currency": org.get("BaseCurrency"),
                "org_short_code": org.get("ShortCode") or False,
                "min_remaining": rate.get("min_remaining") or 0,
                "day_remaining": rate.get("day_remaining") or 0,
                "last_test_date": fields.Datetime.now(),
            }
        )
        self._token_state_write({"last_error": False, "needs_reauth": False, "error_code": False})
        mismatch = self._xero_currency_mismatch()
        if mismatch:
            return self._notify(_("Xero organisation refused"), mismatch, "danger")
        message = _(
            "%(org)s (%(currency)s): %(minute)s calls left this minute, %(day)s today.",
            org=self.tenant_name,
            currency=self.org_currency,
            minute=self.min_remaining,
            day=self.day_remaining,
        )
        return self._notify(_("Connected to Xero"), message, "success")

    def action_disconnect(self):
        """Revoke the refresh token at Xero (when there is one) and forget every token.

        The organisation is forgotten too, unless records of the dealer are linked to it
        (then only that organisation can be connected again: see :meth:`_check_no_links`).
        """
        self._check_manager()
        for conn in self:
            token = conn._token_record()
            if token.refresh_token:
                try:
                    conn._gateway().revoke(token.refresh_token)
                except xero_errors.XeroError as exc:
                    _logger.warning("Xero revocation failed for %s: %s", conn.name, exc)
            conn._token_state_write(NO_TOKENS)
            if not conn._xero_link_counts():
                # While records are linked, the organisation stays named: it is theirs.
                conn.write({"tenant_id": False, "tenant_name": False})
            conn.tenant_choice_ids.unlink()
        return True

    # ------------------------------------------------------------------ links

    def _xero_link_counts(self):
        """``[(text, count)]`` of the dealer's records linked to its organisation, the text
        counting them ("1 customer", "3 payments")."""
        self.ensure_one()
        company = self.company_id
        env = self.env(su=True, context=dict(self.env.context, active_test=False))
        counted = [
            (label, count)
            for label, count in (
                (
                    (_("1 customer"), _("%(count)s customers")),
                    env["res.partner"]
                    .with_company(company)
                    .search_count([("xero_contact_id", "!=", False)]),
                ),
                (
                    (_("1 invoice or credit note"), _("%(count)s invoices and credit notes")),
                    env["account.move"].search_count(
                        [("company_id", "=", company.id), ("xero_invoice_id", "!=", False)]
                    ),
                ),
                (
                    (_("1 payment"), _("%(count)s payments")),
                    env["account.partial.reconcile"].search_count(
                        [
                            ("company_id", "=", company.id),
                            "|",
                            ("xero_payment_id", "!=", False),
                            ("xero_pending_payment_id", "!=", False),
                        ]
                    ),
                ),
                (
                    (
                        _("1 deletion still to make in Xero"),
                        _("%(count)s deletions still to make in Xero"),
                    ),
                    env["account.payment"].search_count(
                        [("company_id", "=", company.id), ("xero_removed_payments", "!=", False)]
                    )
                    + env["account.move"].search_count(
                        [
                            ("company_id", "=", company.id),
                            ("xero_removed_allocations", "!=", False),
                        ]
                    ),
                ),
            )
            if count
        ]
        return [
            (one if count == 1 else more % {"count": count}, count)
            for (one, more), count in counted
        ]

    def _check_no_links(self):
        """Raise when the dealer has records linked to its organisation."""
        self.ensure_one()
        counts = self._xero_link_counts()
        if counts:
            raise UserError(
                _(
                    "%(company)s has records linked to Xero organisation %(org)s (%(what)s): the "
                    "connection cannot be pointed to another organisation. A Xero Manager can "
                    'first use "Unlink all records of this dealer" on the connection; they are '
                    "then matched or created again in the new organisation.",
                    company=self.company_id.name,
                    org=self.tenant_name or self.tenant_id,
                    what=", ".join(text for text, _count in counts),
                )
            )

    def _xero_link_columns(self):
        """``{model: {field: value once unlinked}}``: every link to the organisation, for the
        bulk clearing of :meth:`action_xero_unlink_all` (res.partner's company-dependent
        fields apart). A module adding links extends it."""
        return {
            "account.move": {
                "xero_invoice_id": None,
                "xero_sync_state": "not_sent",
                "xero_document_status": None,
                "xero_amount_due": None,
                "xero_last_read": None,
                "xero_attention": None,
                "xero_last_sync": None,
                "xero_last_error": None,
                "xero_pdf_name": None,
                "xero_pdf_checksum": None,
                "xero_pdf_date": None,
                "xero_removed_allocations": None,
            },
            "account.move.line": {"xero_line_item_id": None},
            "account.partial.reconcile": {
                "xero_payment_id": None,
                "xero_pending_action": None,
                "xero_pending_payment_id": None,
                "xero_writeoff_payment_id": None,
                "xero_pending_writeoff_id": None,
                "xero_amount": None,
                "xero_date": None,
                "xero_account_code": None,
                "xero_last_sync": None,
                "xero_last_error": None,
            },
            "account.payment": {"xero_removed_payments": None, "xero_import_id": None},
        }

    def action_xero_unlink_all(self):
        """Unlink all records of this dealer: forget every link to its Xero organisation.

        In bulk, in SQL (thousands of records; the links are plain columns, and the partners'
        per-company key of their company-dependent columns). Nothing is written to Xero. The
        chatter says what was cleared. Refused while a task of the dealer is queued or running.
        """
        self.ensure_one()
        self._check_manager()
        self.check_access("write")
        self._check_no_task_running()
        counts = self._xero_link_counts()
        self._note_unlinked_records()
        self._clear_xero_links()
        self.write(
            {
                "payments_fetched_until": False,
                "payments_fetch_retry_ids": False,
                "payments_fetch_error": False,
            }
        )
        cleared = ", ".join(text for text, _count in counts) or _("nothing")
        self.message_post(
            body=_(
                "All records of %(company)s unlinked from Xero organisation %(org)s: %(what)s. "
                "Nothing was changed in Xero; the mappings are kept (check them against the "
                "next organisation).",
                company=self.company_id.name,
                org=self.tenant_name or self.tenant_id or "-",
                what=cleared,
            )
        )
        return self._notify(_("Unlinked from Xero"), cleared, "success")

    def _note_unlinked_records(self):
        """Before *Unlink all*: one note on each customer, invoice, credit note and payment of
        the dealer linked to its organisation, saying what it was linked to (its Xero id), in
        bulk (``xero.audit._log_notes``); an allocation's note goes to its payment, else its
        credit note."""
        company = self.company_id
        env = self.env(su=True, context=dict(self.env.context, active_test=False))
        found = {}  # record -> its Xero id
        partners = (
            env["res.partner"].with_company(company).search([("xero_contact_id", "!=", False)])
        )
        found.update((partner, partner.xero_contact_id) for partner in partners)
        moves = env["account.move"].search(
            [("company_id", "=", company.id), ("xero_invoice_id", "!=", False)]
        )
        found.update((move, move.xero_invoice_id) for move in moves)
        partials = env["account.partial.reconcile"].search(
            [
                ("company_id", "=", company.id),
                "|",
                ("xero_payment_id", "!=", False),
                ("xero_pending_payment_id", "!=", False),
            ]
        )
        targets = env["xero.audit"]._chatter_records(partials._name, partials.ids)
        for partial in partials:
            target = targets.get((partial._name, partial.id))
            if target:
                found.setdefault(target, partial.xero_payment_id or partial.xero_pending_payment_id)
        org = self.tenant_name or self.tenant_id or "-"
        notes = {
            record: Markup("<p>%s</p>")
            % self.env._(
                "Unlinked by hand from Xero organisation %(org)s (Xero ID %(xero_id)s): Unlink "
                "all records of this dealer. Nothing was changed in Xero.",
                org=org,
                xero_id=xero_id,
            )
            for record, xero_id in found.items()
        }
        env["xero.audit"]._log_notes(notes, author_id=self.env.user.partner_id.id)

    def _check_no_task_running(self):
        """Raise while a task of the dealer is queued or running."""
        busy = (
            self.env["xero.task"]
            .sudo()
            .search_count(
                [("company_id", "=", self.company_id.id), ("state", "in", ("queued", "running"))]
            )
        )
        if busy:
            raise UserError(
                _("%s has Xero tasks queued or running: cancel them first.", self.company_id.name)
            )

    def _clear_xero_links(self):
        """Clear, in SQL, every link of the dealer's records to its organisation: the partners'
        per-company key of their company-dependent fields, then the columns of
        :meth:`_xero_link_columns`."""
        self.env.flush_all()
        key = str(self.company_id.id)
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE res_partner SET %s WHERE %s",
                SQL(", ").join(
                    SQL("%s = %s - %s::text", SQL.identifier(f), SQL.identifier(f), key)
                    for f in PARTNER_FIELDS
                ),
                SQL(" OR ").join(
                    SQL("%s ? %s::text", SQL.identifier(f), key) for f in PARTNER_FIELDS
                ),
            )
        )
        self.env["res.partner"].invalidate_model(list(PARTNER_FIELDS))
        for model, values in self._xero_link_columns().items():
            Model = self.env[model]
            cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE company_id = %s AND (%s)",
                    SQL.identifier(Model._table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(f), value) for f, value in values.items()
                    ),
                    self.company_id.id,
                    SQL(" OR ").join(
                        SQL("%s IS DISTINCT FROM %s", SQL.identifier(f), value)
                        for f, value in values.items()
                    ),
                )
            )
            Model.invalidate_model(list(values))

    # ------------------------------------------------------------------ gateway

    def _xero_call(self, method, *, idempotency_key=None, gateway=None, **kwargs):
        """Call the Xero Accounting API method ``method`` (an ``AccountingApi`` method name).

        The one way out to Xero. Bodies are plain Xero dicts; the answer is a plain dict.
        Writes made while the context has ``xero_key_salt`` (the task runner's attempt after a
        failed batch) carry new idempotency keys: Xero keeps a 5xx under the old ones (why it
        is in the context: ``xero_connection_runner._gateway``).
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
        salt = self.env.context.get("xero_key_salt")
        if salt:
            kwargs["key_salt"] = salt
        return gateway.call(method, idempotency_key=idempotency_key, **kwargs)

    def _xero_read_all(self, method, key, **kwargs):
        """Every item of a paged Xero list (``page`` 1, 2, ... until the last page: see
        ``xero_api.paging``)."""
        return xero_paging.read_all(self._xero_call, method, key, **kwargs)

    def _xero_calls_left(self):
        """Calls the organisation takes this minute without waiting, as last seen by the
        throttle shared by every worker (Xero's ``X-MinLimit-Remaining`` less the calls started
        since); 0 during a pause."""
        self.ensure_one()
        return self._gateway().throttle.calls_left(self.tenant_id)

    def _gateway(self):
        conn = self.sudo()
        return xero_client.XeroGateway(
            conn.api_url.rstrip("/"),
            conn.identity_url.rstrip("/"),
            conn.login_url.rstrip("/"),
            conn.client_id or "",
            conn._token_record().client_secret or "",
            tenant_id=conn.tenant_id or None,
            token_getter=self._access_token,
            on_unauthorized=lambda: self._access_token(force=True),
            # Tests may pass a virtual clock: retries and throttle waits then take no real time.
            throttle=xero_throttle.Throttle(
                xero_throttle.PgThrottleStore(self._side_cursor),
                self.env.context.get("xero_clock") or xero_throttle.RealClock(),
            ),
        )

    @contextmanager
    def _side_cursor(self):
        """A cursor whose work is committed at once, whatever becomes of the caller's.

        Throttle slots must survive a rollback of the task that asked for them. In tests the
        test cursor is used (a savepoint), as a separate one could not see its data.
        """
        if testing():
            with self.env.cr.savepoint(flush=False):
                yield self.env.cr
        else:
            with self.env.registry.cursor() as cr:
                yield cr

    def _xero_problem(self, exc):
        """One sentence for a banner: this dealer's connection, what is wrong with it (as the
        failed call ``exc`` says: a ``XeroError``, or the ``UserError`` of a connection with
        no organisation) and what fixes it."""
        self.ensure_one()
        if isinstance(exc, xero_errors.XeroRateLimited):
            what = _(
                "Xero's %(problem)s call limit is reached until %(until)s: check again then",
                problem=_("daily") if exc.problem == "day" else exc.problem,
                until=exc.until_text(),
            )
        elif isinstance(exc, xero_errors.XeroAuthError) and (
            exc.bad_credentials or self.auth_mode == "client_credentials" and exc.needs_reauth
        ):
            what = _(
                "Xero refuses its client id or secret: a Xero Manager corrects them on the "
                "connection, then clicks Test connection"
            )
        elif isinstance(exc, xero_errors.XeroAuthError) and exc.needs_reauth:
            what = _(
                "its grant was revoked or has expired: a Xero Manager clicks Connect to Xero on "
                "the connection"
            )
        elif isinstance(exc, xero_errors.XeroAuthError):
            what = _(
                "Xero denies access to the organisation (disconnected, or a permission "
                "missing): %s",
                xero_text(self.env, exc),
            )
        elif isinstance(exc, xero_errors.XeroTransientError):
            what = _("the organisation could not be reached: %s", xero_text(self.env, exc))
        elif isinstance(exc, xero_errors.XeroError):
            what = xero_text(self.env, exc)
        else:
            what = str(xero_text(self.env, exc.args[0] if exc.args else exc))
        return _(
            "Xero connection of %(dealer)s: %(what)s.",
            dealer=self.company_id.name,
            what=what.rstrip("."),
        )

    def _xero_currency_mismatch(self, org_currency=None):
        """A sentence naming both currencies when the organisation's base currency (stored, or
        ``org_currency``) is not the company's, else False (also while it is not known)."""
        self.ensure_one()
        org_currency = org_currency or self.org_currency
        odoo_currency = self.company_id.currency_id.name
        if not org_currency or org_currency == odoo_currency:
            return False
        return _(
            "The Xero organisation %(org)s keeps its books in %(xero)s, but %(company)s keeps "
            "them in %(odoo)s: Xero would book every amount in the wrong currency. Nothing is "
            "sent to it; connect an organisation whose base currency is %(odoo)s.",
            org=self.tenant_name or self.tenant_id,
            xero=org_currency,
            company=self.company_id.name,
            odoo=odoo_currency,
        )

    def _xero_check_currency(self):
        """Before a task plans: refuse an organisation in another base currency.

        Reads the organisation (one call) when its base currency is not stored; never writes
        the connection (two dealers' workers would wait on its row).
        :raise UserError: naming both currencies.
        """
        self.ensure_one()
        org_currency = self.org_currency
        if not org_currency:
            answer = self._xero_call("get_organisations")
            org_currency = ((answer.get("Organisations") or [{}])[0]).get("BaseCurrency")
        mismatch = self._xero_currency_mismatch(org_currency)
        if mismatch:
            raise UserError(mismatch)

    def _xero_deep_link(self, path):
        """``path`` of Xero's web app (``/Contacts/View/<id>``) in this dealer's own
        organisation: Xero's deep link with the organisation's short code (developer.xero.com,
        "Deep link to Xero"), so that a user last signed in to another of their organisations
        does not land in the wrong books. The plain link while the short code is unknown (no
        Test connection yet), or without a connection."""
        short_code = self.sudo().org_short_code if self else False
        if not short_code:
            return "https://go.xero.com" + path
        login = "https://go.xero.com/organisationlogin/default.aspx"
        return f"{login}?shortcode={short_code}&redirecturl={path}"

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("account_xero_sync.group_xero_manager"):
            raise AccessError(_("Only a Xero Manager can change a Xero connection."))

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
