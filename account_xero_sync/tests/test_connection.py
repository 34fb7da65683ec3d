import logging
import urllib.error
import urllib.parse
import urllib.request

import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import file_path, mute_logger

from odoo.addons.account_xero_sync.xero_api.errors import XeroAuthError

from .common import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    DEMO_TENANT,
    OTHER_TENANT,
    XeroCommon,
    XeroTransactionCase,
)


def follow_authorize(url):
    """Play the user's consent at the emulator; return (code, state) of the redirect."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        location = exc.headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    return query["code"][0], query["state"][0]


@tagged("post_install", "-at_install")
class TestConnection(XeroTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Dealer B"})
        cls.connection = cls.make_connection(cls.company_a)

    def test_client_credentials_test_connection(self):
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(self.connection.state, "connected")
        self.assertEqual(self.connection.tenant_name, "Demo Company")
        self.assertEqual(self.connection.org_currency, "NZD")
        self.assertGreater(self.connection.min_remaining, 0)
        self.assertGreater(self.connection.day_remaining, 0)
        self.assertIn("Demo Company (NZD)", action["params"]["message"])
        token = self.env["xero.connection.token"].search(
            [("connection_id", "=", self.connection.id)]
        )
        self.assertTrue(token.access_token)
        self.assertFalse(token.refresh_token, "client credentials have no refresh token")

    def test_open_in_xero_opens_the_dealers_own_organisation(self):
        """Xero's deep link carries the organisation's short code (read by Test connection):
        a user last signed in to another organisation lands in the dealer's own books."""
        contact_id = "11111111-2222-4333-8444-555555555555"
        partner = self.env["res.partner"].create({"name": "Deep Link Ltd"})
        partner.with_company(self.company_a).xero_contact_id = contact_id
        plain = partner.with_company(self.company_a).xero_url
        self.assertEqual(plain, f"https://go.xero.com/Contacts/View/{contact_id}", "not tested yet")
        self.connection.action_test_connection()
        short_code = "!" + DEMO_TENANT.replace("-", "")[-5:]  # as the emulator's Organisation
        self.assertEqual(self.connection.org_short_code, short_code)
        partner.invalidate_recordset(["xero_url"])
        self.assertEqual(
            partner.with_company(self.company_a).xero_url,
            "https://go.xero.com/organisationlogin/default.aspx?shortcode="
            f"{short_code}&redirecturl=/Contacts/View/{contact_id}",
        )

    def test_test_connection_after_a_good_one_gets_a_new_token(self):
        """A token issued before the secret changed proves nothing: Test connection always
        asks for a new one, and the state shows the last test's result."""
        self.assertEqual(self.connection.action_test_connection()["params"]["type"], "success")
        self.assertEqual(self.connection.state, "connected")
        self.connection.sudo().client_secret = "wrong-secret"
        self.connection._token_record().access_token = "issued-before-the-change"
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertNotEqual(self.connection.state, "connected")
        self.connection.sudo().client_secret = CLIENT_SECRET
        self.assertEqual(self.connection.action_test_connection()["params"]["type"], "success")
        self.assertEqual(self.connection.state, "connected")

    def test_test_connection_reports_the_exact_failure(self):
        self.connection.sudo().client_secret = "wrong-secret"
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        # A custom connection has nothing to authorise again: its secret is wrong.
        self.assertEqual(self.connection.state, "bad_credentials")
        self.assertIn("client id or secret", self.connection.last_error)
        self.assertNotIn("authorised again", action["params"]["message"])
        self.assertNotIn("wrong-secret", action["params"]["message"])
        self.assertNotIn("wrong-secret", self.connection.last_error)

    def test_a_custom_connection_serves_one_dealer(self):
        """A Xero custom connection reaches exactly one organisation: its client id cannot be
        a second dealer's custom connection (the other dealer is not named); an OAuth app's
        client id serves several."""
        # (assertRaises, not assertRaisesRegex: only the former rolls back what was written)
        with self.assertRaises(ValidationError) as refused:
            self.make_connection(self.company_b, tenant=OTHER_TENANT, client_id=CLIENT_ID)
        self.assertIn("already the custom connection of another dealer", str(refused.exception))
        self.assertNotIn(self.company_a.name, str(refused.exception))
        conn_b = self.make_connection(self.company_b, tenant=OTHER_TENANT)
        with self.assertRaises(ValidationError) as refused:
            conn_b.client_id = CLIENT_ID
        self.assertIn("each dealer needs its own", str(refused.exception))
        conn_b.write({"auth_mode": "oauth2", "client_id": APP_CLIENT_ID})
        self.connection.write({"auth_mode": "oauth2", "client_id": APP_CLIENT_ID})

    def test_one_connection_per_company(self):
        with (
            self.assertRaisesRegex(psycopg2.IntegrityError, "company_uniq"),
            mute_logger("odoo.sql_db"),
        ):
            self.make_connection(self.company_a)

    def _oauth_connection(self, tenants=(OTHER_TENANT,)):
        """Dealer B connects by OAuth; on Xero's consent page it picks ``tenants`` (its own
        organisation: Demo Company is dealer A's)."""
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {"tenant_id": OTHER_TENANT, "name": "Dealer B Org", "base_currency": "NZD"}
                ]
            },
        )
        conn = self.make_connection(
            self.company_b, auth_mode="oauth2", tenant_id=False, tenant_name=False
        )
        action = conn.with_company(self.company_b).action_connect()
        action["url"] += "&tenant_id=" + ",".join(tenants)
        url = urllib.parse.urlparse(action["url"])
        query = urllib.parse.parse_qs(url.query)
        self.assertEqual(url.path, "/identity/connect/authorize")
        self.assertEqual(query["client_id"], [APP_CLIENT_ID], "the OAuth app's")
        self.assertIn("accounting.invoices", query["scope"][0])
        self.assertIn("offline_access", query["scope"][0])
        code, state = follow_authorize(action["url"])
        return conn, code, state

    def test_oauth_code_flow_and_refresh_rotation(self):
        conn, code, state = self._oauth_connection()
        conn._oauth_callback(code, state)
        self.assertEqual(conn.tenant_id, OTHER_TENANT)
        self.assertEqual(conn.state, "connected")
        token = conn._token_record()
        first_refresh = token.refresh_token
        self.assertTrue(first_refresh)
        # The access token expires: the next call refreshes it, and the refresh token rotates.
        self.emulator.control("POST", "tokens/expire", {})
        token.expires_at = 0
        orgs = conn._xero_call("get_organisations")
        self.assertEqual(orgs["Organisations"][0]["Name"], "Dealer B Org")
        self.assertTrue(token.refresh_token)
        self.assertNotEqual(token.refresh_token, first_refresh)
        # The state was single use: replaying the callback is rejected.
        with (
            self.assertRaises(UserError),
            mute_logger("odoo.addons.account_xero_sync.models.xero_connection_oauth"),
        ):
            conn._oauth_callback(code, state)

    def test_oauth_forged_state_rejected(self):
        conn, code, _state = self._oauth_connection()
        with (
            self.assertRaises(UserError),
            mute_logger("odoo.addons.account_xero_sync.models.xero_connection_oauth"),
        ):
            conn._oauth_callback(code, "forged-state")
        self.assertFalse(conn._token_record().access_token)
        self.assertEqual(conn.state, "not_connected")

    def test_oauth_state_bound_to_user(self):
        conn, code, state = self._oauth_connection()
        other = new_test_user(
            self.env,
            "xero_other_manager",
            groups="base.group_user,account_xero_sync.group_xero_manager",
            company_ids=[self.company_b.id],
            company_id=self.company_b.id,
        )
        with (
            self.assertRaises(UserError),
            mute_logger("odoo.addons.account_xero_sync.models.xero_connection_oauth"),
        ):
            conn.with_user(other)._oauth_callback(code, state)
        self.assertFalse(conn._token_record().access_token)

    def test_invalid_grant_needs_reauthorisation(self):
        conn, code, state = self._oauth_connection()
        conn._oauth_callback(code, state)
        conn._token_record().write({"refresh_token": "revoked-elsewhere", "expires_at": 0})
        # Not assertRaises: its savepoint would roll back what the failure recorded, which in
        # production is committed by the token's own transaction.
        try:
            conn._xero_call("get_organisations")
        except XeroAuthError as exc:
            self.assertTrue(exc.needs_reauth)
        else:
            self.fail("a dead refresh token must raise")
        self.assertEqual(conn.state, "needs_reauth")
        self.assertTrue(conn.last_error)

    def test_disconnect_revokes(self):
        conn, code, state = self._oauth_connection()
        conn._oauth_callback(code, state)
        refresh = conn._token_record().refresh_token
        conn.action_disconnect()
        self.assertEqual(conn.state, "not_connected")
        self.assertFalse(conn._token_record().refresh_token)
        with self.assertRaises(XeroAuthError, msg="Xero revoked the refresh token"):
            conn._gateway().refresh_token(refresh)

    def test_several_organisations_manager_picks_one(self):
        conn, code, state = self._oauth_connection(tenants=(DEMO_TENANT, OTHER_TENANT))
        conn._oauth_callback(code, state)
        self.assertFalse(conn.tenant_id, "not chosen for the manager")
        self.assertEqual(
            sorted(conn.tenant_choice_ids.mapped("name")), ["Dealer B Org", "Demo Company"]
        )
        conn.tenant_choice_ids.filtered(lambda t: t.name == "Dealer B Org").action_choose()
        self.assertEqual(conn.tenant_id, OTHER_TENANT)
        self.assertFalse(conn.tenant_choice_ids)
        self.assertEqual(
            conn._xero_call("get_organisations")["Organisations"][0]["Name"], "Dealer B Org"
        )

    def test_neutralize_clears_tokens_and_stops_crons(self):
        self.connection.action_test_connection()
        self.connection.auto_fetch_payments = True
        self.env.flush_all()
        path = file_path("account_xero_sync/data/neutralize.sql")
        with open(path) as sql:
            self.env.cr.execute(sql.read())
        self.env.invalidate_all()
        token = self.connection._token_record()
        self.assertFalse(token.access_token or token.refresh_token)
        self.assertFalse(token.client_secret)
        self.assertFalse(self.connection.auto_fetch_payments)
        for xmlid in ("ir_cron_xero_run_tasks", "ir_cron_xero_fetch_payments"):
            self.assertFalse(self.env.ref(f"account_xero_sync.{xmlid}").active)
        self.assertFalse(self.connection.runner_cron_id.active, "the dealer's runner too")

    def test_multi_company_isolation(self):
        user_b = new_test_user(
            self.env,
            "xero_user_b",
            groups="base.group_user,account_xero_sync.group_xero_manager",
            company_ids=[self.company_b.id],
            company_id=self.company_b.id,
        )
        conn_a = self.connection.with_user(user_b)
        with self.assertRaises(AccessError):
            conn_a.read(["tenant_name"])
        self.assertFalse(self.env["xero.connection"].with_user(user_b).search([]))
        with self.assertRaises(AccessError):
            conn_a.action_test_connection()

    def test_secrets_hidden_from_non_admin(self):
        manager = new_test_user(
            self.env,
            "xero_manager_a",
            groups="base.group_user,base.group_allow_export,account_xero_sync.group_xero_manager",
            company_ids=[self.company_a.id],
            company_id=self.company_a.id,
        )
        self.connection.action_test_connection()
        conn = self.connection.with_user(manager)
        self.assertEqual(conn.state, "connected")
        # Write-only, for everyone: a Xero Manager sets it, nobody (admin included) reads it.
        for reader in (conn, self.connection.sudo()):
            self.assertEqual(reader.read(["client_secret"])[0]["client_secret"], False)
            self.assertTrue(reader.client_secret_set)
        conn.client_secret = "a-new-secret"
        self.assertFalse(conn.read(["client_secret"])[0]["client_secret"])
        token = self.connection._token_record()
        self.assertEqual(token.client_secret, "a-new-secret")
        self.assertFalse(token.access_token, "the old secret's token is not used again")
        user = new_test_user(
            self.env,
            "xero_user_a",
            groups="base.group_user,account_xero_sync.group_xero_user",
            company_ids=[self.company_a.id],
            company_id=self.company_a.id,
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(user).client_secret = "mine"
        with self.assertRaises(AccessError):
            self.connection.with_user(user).action_test_connection()
        with self.assertRaises(AccessError):
            self.env["xero.connection.token"].with_user(manager).search([]).read(["access_token"])
        exported = conn.export_data(["company_id", "tenant_name", "state"])["datas"]
        self.assertNotIn(CLIENT_SECRET, str(exported))
        self.assertFalse(conn._fields["client_secret"].exportable)


@tagged("post_install", "-at_install")
class TestOAuthController(XeroCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_emulator()
        cls.connection = cls.make_connection(
            cls.env.company, auth_mode="oauth2", tenant_id=False, tenant_name=False
        )

    def _start(self):
        self.authenticate("admin", "admin")
        action = self.connection.with_user(self.env.ref("base.user_admin")).action_connect()
        return follow_authorize(action["url"])

    def test_callback_good_state(self):
        code, state = self._start()
        response = self.url_open(f"/xero/oauth/callback?code={code}&state={state}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.connection.tenant_id, DEMO_TENANT)
        self.assertEqual(self.connection.state, "connected")

    def test_an_app_at_its_limit_of_organisations_is_refused_with_xeros_reason(self):
        """An uncertified OAuth app is connected to at most 25 organisations (other dealers'
        connections hold 25 here): Xero refuses the consent to a 26th, and the callback shows
        Xero's reason; nothing is stored."""
        self.addCleanup(self.emulator.reset)
        tenants = self.emulator.reset(
            {"organisations": [{"name": f"Org {n:02d}"} for n in range(26)]}
        )
        redirect = "https://elsewhere.example/callback"
        consent = (
            f"{self.emulator.url}/identity/connect/authorize?response_type=code&client_id="
            f"{APP_CLIENT_ID}&redirect_uri={redirect}&scope=offline_access&state=s"
            f"&tenant_id={','.join(tenants[:25])}"
        )
        code, _state = follow_authorize(consent)
        grant = urllib.request.urlopen(
            urllib.request.Request(
                f"{self.emulator.url}/connect/token",
                data=urllib.parse.urlencode(
                    {
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect,
                        "client_id": APP_CLIENT_ID,
                        "client_secret": APP_CLIENT_SECRET,
                    }
                ).encode(),
            ),
            timeout=10,
        )
        self.assertEqual(grant.status, 200, "25 organisations connected")
        self.authenticate("admin", "admin")
        action = self.connection.with_user(self.env.ref("base.user_admin")).action_connect()
        answer = self.opener_no_redirect(action["url"] + "&tenant_id=" + tenants[25])
        callback = urllib.parse.urlparse(answer)
        self.assertEqual(callback.path, "/xero/oauth/callback")
        with self.assertLogs("odoo.addons.account_xero_sync.controllers.oauth", "WARNING"):
            response = self.url_open(f"{callback.path}?{callback.query}")
        self.assertEqual(response.status_code, 400)
        self.assertIn("access_denied", response.text)
        self.assertIn("at most 25 organisations", response.text)
        self.assertFalse(self.connection.tenant_id)
        self.assertEqual(self.connection.state, "not_connected")

    def opener_no_redirect(self, url):
        """The Location Xero's consent page redirects to."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(url, timeout=10)
        except urllib.error.HTTPError as exc:
            return exc.headers["Location"]
        self.fail("no redirect")

    def test_callback_forged_state(self):
        code, _state = self._start()
        with mute_logger("odoo.addons.account_xero_sync.models.xero_connection_oauth"):
            response = self.url_open(f"/xero/oauth/callback?code={code}&state=forged")
        self.assertEqual(response.status_code, 400)
        self.assertIn("not one you asked for", response.text)
        self.assertFalse(self.connection.tenant_id)
        self.assertEqual(self.connection.state, "not_connected")


class TestAccessLogMask(TransactionCase):
    def test_the_callbacks_code_is_masked_in_the_access_log(self):
        """Odoo's access log (the ``werkzeug`` logger) writes each request's URL; the filter
        the addon puts on that logger masks the OAuth callback's code, and only that."""
        logger = logging.getLogger("werkzeug")
        line = '"GET /xero/oauth/callback?code=emu-ac-0123456789abcdef0123&state=s1 HTTP/1.1"'
        other = '"GET /web?code=kept HTTP/1.1"'
        messages = []
        for url in (line, other):
            record = logger.makeRecord(
                "werkzeug",
                logging.INFO,
                __file__,
                0,
                "127.0.0.1 - - %s %s %s",
                (url, "303", "-"),
                None,
            )
            self.assertTrue(logger.filter(record), "the line is still written")
            messages.append(record.getMessage())
        self.assertIn("/xero/oauth/callback?code=***&state=s1", messages[0])
        self.assertNotIn("emu-ac-", messages[0])
        self.assertIn("/web?code=kept", messages[1], "other URLs are left alone")
