"""Where the client secret and the tokens go (#21): Xero's servers, or where a system
administrator points a connection; never where a Xero Manager says. Checked with a real HTTP
listener that records every request it receives."""

import http.server
import threading

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.account_xero_sync.xero_api.errors import XeroAuthError

from .common import CLIENT_SECRET, DEMO_TENANT, XeroTransactionCase

SERVER_FIELDS = ("api_url", "identity_url", "login_url")


class Listener:
    """An HTTP server on loopback that answers 200 ``{}`` to anything and records each
    request (method, path, headers, body)."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode("utf-8", "replace"),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_DELETE = _record

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%s" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def carrying(self, *secrets):
        """The requests received whose path, headers or body hold one of ``secrets``."""
        return [
            r
            for r in self.received
            if any(s and s in "%s %s %s" % (r["path"], r["headers"], r["body"]) for s in secrets)
        ]


@tagged("post_install", "-at_install")
class TestServerAddresses(XeroTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_emulator()
        cls.connection = cls.make_connection(cls.env.company)
        cls.company_b = cls.env["res.company"].create({"name": "Dealer B (servers)"})
        cls.manager = new_test_user(
            cls.env,
            "xero_manager_servers",
            groups="base.group_user,account_xero_sync.group_xero_manager",
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id, cls.company_b.id],
        )

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.listener = Listener()
        self.addCleanup(self.listener.stop)

    def secrets(self):
        token = self.connection._token_record()
        return [CLIENT_SECRET, token.access_token, token.refresh_token]

    def test_a_manager_cannot_send_the_secret_elsewhere(self):
        """Form, RPC and import: a Xero Manager's address is refused, the fields are not even
        readable; Test connection, Connect and a task then go to the emulator only, and the
        listener receives nothing."""
        conn = self.connection.with_user(self.manager)
        self.assertEqual(
            conn.action_test_connection()["params"]["type"], "success", "a working connection"
        )
        for name in SERVER_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                conn.write({name: self.listener.url})
            with self.subTest(field=name), self.assertRaises(AccessError):
                conn.read([name])
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.env["xero.connection"].with_user(self.manager).with_company(
                    self.company_b
                ).create(
                    {
                        "company_id": self.company_b.id,
                        "client_id": "mine",
                        "client_secret": "mine",
                        name: self.listener.url,
                    }
                )
            with self.subTest(field=name):
                # An import that updates the connection, and one that creates another.
                xid = self.connection.export_data(["id"])["datas"][0][0]
                for row in ([xid, self.listener.url], ["", self.listener.url]):
                    result = conn.load(["id", name], [row])
                    self.assertFalse(result["ids"], "the import is refused")
                    self.assertTrue(result["messages"])
        self.assertFalse(
            self.env["xero.connection"].search([("company_id", "=", self.company_b.id)])
        )
        # The fields are not on the Manager's form at all.
        arch = conn.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in SERVER_FIELDS:
            self.assertNotIn('name="%s"' % name, arch)
        # Everything still goes to the emulator, nothing to the listener.
        self.assertEqual(conn.action_test_connection()["params"]["type"], "success")
        conn.write({"auth_mode": "oauth2"})
        self.assertTrue(conn.action_connect()["url"].startswith(self.emulator.url))
        conn.write({"auth_mode": "client_credentials"})
        self.env["res.partner"].create({"name": "Servers Ltd", "customer_rank": 1})
        task = self.run_xero_task(self.env.company, "send_new_customers")
        self.assertEqual(task.state, "done", task.summary)
        self.assertEqual(self.connection.sudo().api_url, self.emulator.url)
        self.assertEqual(self.listener.received, [])

    def test_an_administrators_change_drops_the_secret_and_the_tokens(self):
        """An administrator points the identity server elsewhere: the secret and the tokens
        are dropped, so nothing the old server issued, nor the secret, reaches the new address
        until a Xero Manager types the secret again; the chatter says who changed it."""
        conn = self.connection.with_user(self.manager)
        self.assertEqual(conn.action_test_connection()["params"]["type"], "success")
        before = self.secrets()
        self.assertTrue(before[1], "an access token was issued")
        admin = self.env.ref("base.user_admin")
        self.connection.with_user(admin).write(
            {"identity_url": self.listener.url, "api_url": self.listener.url}
        )
        token = self.connection._token_record()
        self.assertEqual(
            (token.client_secret, token.access_token, token.refresh_token), (False, False, False)
        )
        self.assertFalse(conn.client_secret_set)
        self.assertEqual(conn.state, "not_connected")
        self.assertTrue(
            any("Server addresses changed by" in m.body for m in self.connection.message_ids)
        )
        self.assertIn("Not Xero's own", conn.server_label)
        action = conn.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("no client secret", action["params"]["message"])
        with self.assertRaises(XeroAuthError):
            conn._xero_call("get_organisations")
        self.assertEqual(self.listener.received, [], "nothing sent without a secret typed again")
        self.assertEqual(self.listener.carrying(*before), [])
        # A Manager who types the secret again sends it where the administrator said.
        conn.client_secret = "typed-again"
        conn.action_test_connection()
        self.assertTrue(self.listener.carrying("typed-again"))
        self.assertEqual(self.listener.carrying(*before), [], "never the old secret or tokens")

    def test_an_unchanged_address_drops_nothing(self):
        """Saving the form with the same addresses (an administrator editing another field)
        keeps the secret and the tokens."""
        self.connection.action_test_connection()
        token = self.connection._token_record()
        access = token.access_token
        self.connection.write({"api_url": self.emulator.url, "send_from_date": "2026-01-01"})
        self.assertEqual(token.access_token, access)
        self.assertTrue(self.connection.client_secret_set)
        self.assertEqual(self.connection.tenant_id, DEMO_TENANT)
