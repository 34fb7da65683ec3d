"""The OAuth 2.0 journey through a real Odoo server process (#21): Connect, Xero's consent,
the callback, the organisation chosen, Test connection; and a renewed token used at once by the
transaction that renewed it. Real processes: under test, the renewal's own transaction is a
savepoint of the test's, and the bugs of two transactions writing one token row cannot show."""

import requests

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import APP_CLIENT_ID, APP_CLIENT_SECRET, XeroCommon
from .server import OdooServer
from .workers import RealWorkers

TENANT_O = "00000000-0000-4000-8000-0000000000f6"
TENANT_P = "00000000-0000-4000-8000-0000000000f7"
TOKEN = "/connect/token"


@tagged("post_install", "-at_install")
class TestOAuthJourney(RealWorkers, XeroCommon, TransactionCase):
    tenants = (TENANT_O, TENANT_P)

    def setUp(self):
        super().setUp()
        self.emulator.reset(
            {
                "organisations": [
                    {"tenant_id": TENANT_O, "name": "Journey Org", "base_currency": "USD"},
                    {"tenant_id": TENANT_P, "name": "Someone Else's Org", "base_currency": "USD"},
                ]
            }
        )
        self.server = OdooServer(self.env.cr.dbname)
        self.addCleanup(self.server.stop)

        def build(env):
            ICP = env["ir.config_parameter"]
            self.base_url = ICP.get_param("web.base.url")
            ICP.set_param("web.base.url", self.server.url)
            main = env.ref("base.main_company")
            company = env["res.company"].create(
                {"name": "Journey Dealer", "currency_id": env.ref("base.USD").id}
            )
            user = new_test_user(
                env,
                "xero_journey_manager",
                groups="base.group_user,account_xero_sync.group_xero_manager",
                company_id=main.id,
                company_ids=[Command.set([main.id, company.id])],
            )
            conn = env["xero.connection"].create(
                {
                    "company_id": company.id,
                    "auth_mode": "oauth2",
                    "client_id": APP_CLIENT_ID,
                    "client_secret": APP_CLIENT_SECRET,
                    "api_url": self.emulator.url,
                    "identity_url": self.emulator.url,
                    "login_url": self.emulator.url,
                }
            )
            self.company_id, self.user_id, self.conn_id = company.id, user.id, conn.id
            return [company]

        self.commit(build)
        self.addCleanup(self.drop_user_and_restore_base_url)
        self.server.login("xero_journey_manager", "xero_journey_manager")
        self.context = {"allowed_company_ids": [self.company_id]}

    def drop_user_and_restore_base_url(self):
        with self.registry.cursor() as cr:
            env = self.env(cr=cr)
            env["ir.config_parameter"].set_param("web.base.url", self.base_url)
            user = env["res.users"].browse(self.user_id)
            try:
                with cr.savepoint():
                    user.unlink()
            except Exception:  # a user who logged in may be referenced: archived
                user.active = False

    def connect(self):
        """Connect to Xero as the Manager clicks it: Xero's consent (both organisations
        granted), the callback, and the dealer's organisation chosen among them."""
        action = self.server.call_button(
            "xero.connection", "action_connect", [self.conn_id], self.context
        )
        consent = requests.get(
            action["url"] + "&tenant_id=%s,%s" % (TENANT_O, TENANT_P),
            allow_redirects=False,
            timeout=10,
        )
        callback = consent.headers["Location"]
        self.assertTrue(callback.startswith(self.server.url + "/xero/oauth/callback?"), callback)
        back = self.server.session.get(callback, allow_redirects=False, timeout=30)
        self.assertIn(back.status_code, (302, 303), back.text)
        self.assertIn("action_xero_connection/%s" % self.conn_id, back.headers["Location"])
        choices = self.server.call_kw(
            "xero.connection.tenant",
            "search_read",
            [[("connection_id", "=", self.conn_id)], ["name", "tenant_id"]],
            {"context": self.context},
        )
        self.assertEqual(sorted(c["name"] for c in choices), ["Journey Org", "Someone Else's Org"])
        [mine] = [c for c in choices if c["tenant_id"] == TENANT_O]
        self.server.call_button(
            "xero.connection.tenant", "action_choose", [mine["id"]], self.context
        )

    def read_connection(self, *names):
        [values] = self.server.call_kw(
            "xero.connection", "read", [[self.conn_id], list(names)], {"context": self.context}
        )
        return values

    def test_connect_then_test_connection(self):
        """New connection → Connect → consent → back to Odoo → choose the organisation →
        Test connection: the organisation, its base currency and the calls left; one token
        grant for the test, no call refused, nothing wrong in the server's log."""
        self.connect()
        self.assertEqual(self.read_connection("tenant_name")["tenant_name"], "Journey Org")
        self.emulator.clear_requests()
        action = self.server.call_button(
            "xero.connection", "action_test_connection", [self.conn_id], self.context
        )
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertIn("Journey Org (USD)", action["params"]["message"])
        values = self.read_connection(
            "state", "org_currency", "last_test_date", "min_remaining", "day_remaining"
        )
        self.assertEqual((values["state"], values["org_currency"]), ("connected", "USD"))
        self.assertTrue(values["last_test_date"])
        self.assertGreater(values["min_remaining"], 0)
        self.assertGreater(values["day_remaining"], 0)
        log = self.emulator.requests()
        self.assertEqual([r["status"] for r in log if r["path"] == TOKEN], [200], "one grant")
        self.assertEqual([r for r in log if r["status"] == 401], [])
        # Twice more: one grant each, never a replay of the request.
        for _n in range(2):
            action = self.server.call_button(
                "xero.connection", "action_test_connection", [self.conn_id], self.context
            )
            self.assertEqual(action["params"]["type"], "success", action["params"])
        grants = [r for r in self.emulator.requests() if r["path"] == TOKEN]
        self.assertEqual(len(grants), 3)
        self.assertEqual(self.server.errors(), [], self.server.output()[-6000:])
        self.assertNotIn("could not serialize", self.server.output())

    def test_a_renewed_token_is_used_at_once(self):
        """Xero ends the access token; a worker's transaction then makes three calls. The
        first is refused (401), the token is renewed once, and that transaction's next calls
        carry the new token: none is refused, none is sent twice."""
        self.connect()

        def build(env):
            crons = env["ir.cron"].create(
                {
                    "name": "Three Xero calls",
                    "model_id": env["ir.model"]._get("xero.connection").id,
                    "state": "code",
                    "code": "conn = model.browse(%d)\n"
                    'conn._xero_call("get_organisations")\n'
                    'conn._xero_call("get_contacts")\n'
                    'conn._xero_call("get_organisations")' % self.conn_id,
                    "interval_number": 1,
                    "interval_type": "days",
                    "nextcall": "2000-01-01 00:00:00",
                }
            )
            self.crons = crons.ids
            return [crons]

        self.commit(build)
        self.emulator.control("POST", "tokens/expire", {})
        self.emulator.clear_requests()
        logs = self.run_workers(self.crons, count=1)
        log = self.emulator.requests()
        calls = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in log if r["path"] != TOKEN]
        self.assertEqual(
            calls,
            [
                ("Organisation", 401),
                ("Organisation", 200),
                ("Contacts", 200),
                ("Organisation", 200),
            ],
            logs,
        )
        self.assertEqual([r["status"] for r in log if r["path"] == TOKEN], [200], "one grant")
