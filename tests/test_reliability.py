"""Reliability figures (#15) with real processes: Odoo cron workers (``cron_worker.py``) on
committed data, against the emulator. `make reliability` runs the heavy versions."""

import random
import time
from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged

from .common import CLIENT_ID, CLIENT_SECRET, XeroCommon
from .test_connection import follow_authorize
from .workers import RealWorkers

TENANT_R = "00000000-0000-4000-8000-0000000000c3"
TENANT_T = "00000000-0000-4000-8000-0000000000d4"
TENANT_K = "00000000-0000-4000-8000-0000000000e5"
CONTACTS = "/api.xro/2.0/Contacts"
INVOICES = "/api.xro/2.0/Invoices"
DELAY = 0.3  # seconds the emulator takes over each contacts write
CUSTOMERS = 150  # three batches
INVOICE_COUNT = 200  # four batches (`make reliability`: 1,000)
KILLS = 5


@tagged("post_install", "-at_install")
class TestReliability(RealWorkers, XeroCommon, TransactionCase):
    """Several real processes on one dealer, a raced token refresh, workers killed with
    SIGKILL: nothing is sent twice, nothing lost, the connection stays usable."""

    tenants = (TENANT_R, TENANT_T, TENANT_K)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_emulator()

    def setUp(self):
        super().setUp()
        currency = self.env.ref("base.main_company").currency_id.name
        seed = [
            {"tenant_id": TENANT_R, "name": "Three Runners", "base_currency": "USD"},
            {"tenant_id": TENANT_T, "name": "Token Race", "base_currency": "USD"},
            {"tenant_id": TENANT_K, "name": "Killed Workers", "base_currency": currency},
        ]
        self.emulator.reset({"organisations": seed})

    def test_three_runners_on_one_dealer_send_nothing_twice(self):
        """Three worker processes, three crons for one dealer (its runner and two copies, as
        stale servers would have), two tasks of several batches: every customer is sent
        exactly once, one batch at a time, and both tasks end done."""
        self.emulator.fault(kind="delay", fraction=1.0, delay=DELAY, path=CONTACTS, method="PUT")

        def build(env):
            company, conn = self.dealer(env, "Three Runners Dealer", TENANT_R, CUSTOMERS)
            Task = env["xero.task"]
            tasks = Task._queue(company, "send_new_customers")
            tasks |= Task._queue(company, "send_new_customers")
            copies = conn.runner_cron_id.copy({"name": "copy 1"})
            copies |= conn.runner_cron_id.copy({"name": "copy 2"})
            for copy in copies:
                copy._trigger()
            self.crons = (conn.runner_cron_id | copies).ids
            self.task_ids = tasks.ids
            return [company, copies]

        self.commit(build)
        logs = self.run_workers(self.crons, count=3)
        first, second = self.read_back("xero.task", self.task_ids)
        self.assertEqual((first["state"], second["state"]), ("done", "done"), logs)
        self.assertEqual((first["count_created"], second["count_total"]), (CUSTOMERS, 0))
        writes = [
            r
            for r in self.emulator.requests(path=CONTACTS)
            if r["method"] in ("PUT", "POST") and r["tenant"] == TENANT_R
        ]
        self.assertEqual(sum(r["items"] for r in writes), CUSTOMERS, "every customer sent once")
        contacts = self.emulator.state(TENANT_R)["contacts"]
        self.assertEqual(len(contacts), CUSTOMERS)
        self.assertEqual(len({c["ContactNumber"] for c in contacts}), CUSTOMERS)
        starts = sorted(r["time"] for r in writes)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        self.assertGreaterEqual(min(gaps), DELAY, "a write began before the last one ended")

    def test_token_refresh_raced_by_two_processes(self):
        """An OAuth2 connection whose access token has expired; two worker processes call
        Xero through it at the same moment, so both need a refresh (refresh tokens are single
        use, and a second refresh with the same one would cut off the first). The row lock
        makes one refresh; both calls succeed, and a later refresh with the stored token works.
        """
        self.emulator.fault(kind="delay", fraction=1.0, delay=0.5, path="/connect/token")

        def build(env):
            company, conn = self.dealer(
                env, "Token Race Dealer", TENANT_T, auth_mode="oauth2", tenant_id=False
            )
            code, state = follow_authorize(conn.action_connect()["url"] + "&tenant_id=" + TENANT_T)
            conn._oauth_callback(code, state)
            self.assertEqual(conn.tenant_id, TENANT_T)
            model = env["ir.model"]._get("xero.connection")
            crons = env["ir.cron"].create(
                [
                    {
                        "name": f"Xero call {n}",
                        "model_id": model.id,
                        "state": "code",
                        "code": f'model.browse({conn.id})._xero_call("get_organisations")',
                        "interval_number": 1,
                        "interval_type": "days",
                        "nextcall": "2000-01-01 00:00:00",
                    }
                    for n in (1, 2)
                ]
            )
            conn._token_record().write({"expires_at": 0})
            self.conn_id, self.crons = conn.id, crons.ids
            return [company, crons]

        self.commit(build)
        self.emulator.control("POST", "tokens/expire", {})
        self.emulator.clear_requests()
        logs = self.run_workers([[self.crons[0]], [self.crons[1]]])
        log = self.emulator.requests()
        refreshes = [r for r in log if r["path"] == "/connect/token"]
        calls = [r for r in log if r["path"].startswith("/api.xro/2.0/Organisation")]
        self.assertEqual([r["status"] for r in calls], [200, 200], logs)
        self.assertEqual([r["status"] for r in refreshes], [200], "one refresh for both")
        with self.registry.cursor() as cr:
            env = self.env(cr=cr)
            conn = env["xero.connection"].browse(self.conn_id)
            token = conn._token_record()
            self.assertFalse(token.needs_reauth)
            # Again: the refresh token the race left behind is the live one.
            self.emulator.control("POST", "tokens/expire", {})
            token.expires_at = 0
            orgs = conn._xero_call("get_organisations")
            self.assertEqual(orgs["Organisations"][0]["Name"], "Token Race")
            self.assertFalse(token.needs_reauth)
        refreshes = [r for r in self.emulator.requests() if r["path"] == "/connect/token"]
        self.assertEqual([r["status"] for r in refreshes], [200, 200])

    def test_worker_killed_at_random_moments(self):
        """A task of 200 invoices; its worker process is killed with SIGKILL at random moments
        five times and started again (the sweeper re-triggering the runner, as every five
        minutes): no invoice twice in Xero, every one linked, Xero's totals Odoo's."""
        company = self.env.ref("base.main_company")
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        if not journal:
            self.skipTest("the main company has no chart of accounts")
        self.emulator.fault(kind="delay", fraction=1.0, delay=0.5, path=INVOICES, method="PUT")
        rng = random.Random(15)

        def build(env):
            tax = env["account.tax"].search(
                [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
            )
            conn = env["xero.connection"].create(
                {
                    "company_id": company.id,
                    "auth_mode": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "api_url": self.emulator.url,
                    "identity_url": self.emulator.url,
                    "login_url": self.emulator.url,
                    "tenant_id": TENANT_K,
                    "tenant_name": "Killed Workers",
                    "org_currency": company.currency_id.name,
                    "mapping_ids": [
                        Command.create(
                            {
                                "kind": "account",
                                "account_id": journal.default_account_id.id,
                                "xero_code": "200",
                            }
                        ),
                        Command.create({"kind": "tax", "tax_id": tax.id, "xero_code": "OUTPUT2"}),
                    ],
                }
            )
            partners = env["res.partner"].create(
                [
                    {"name": f"Killed Customer {i:03d}", "customer_rank": 1}
                    for i in range(INVOICE_COUNT // 10)
                ]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partners[i % len(partners)].id,
                        "invoice_date": date.today(),
                        "journal_id": journal.id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Calls",
                                    "quantity": rng.randint(1, 900),
                                    "price_unit": round(rng.uniform(0.01, 2), 2),
                                    "tax_ids": [Command.set(tax.ids)],
                                }
                            )
                        ],
                    }
                    for i in range(INVOICE_COUNT)
                ]
            )
            moves.action_post()
            task = env["xero.task"]._queue(company, "send_new_invoices")
            self.cron, self.task_id, self.move_ids = conn.runner_cron_id.id, task.id, moves.ids
            return [conn, partners, moves]

        self.commit(build)
        kills, rounds = 0, 0
        while rounds < 20:
            rounds += 1
            workers = self.start_workers([self.cron], count=1, timeout=240)
            proc = workers[0][0]
            if kills < KILLS:
                time.sleep(rng.uniform(0.2, 1.2))  # a batch takes over a second
                if proc.poll() is None:
                    proc.kill()  # SIGKILL: no clean-up, the batch's transaction is lost
                    proc.wait()
                    kills += 1
            else:
                self.wait_workers(workers, 240)
            task = self.read_back("xero.task", [self.task_id])[0]
            if task["state"] not in ("queued", "running"):
                break
            # The sweeper (every 5 minutes): wakes the runner if a kill left it without a
            # trigger (Odoo skips a job that "timed out" three times in a row).
            self.commit(lambda env: env["xero.task"]._wake_runners() or [])
        self.assertEqual(kills, KILLS, "the workers were killed %s times" % kills)
        self.assertEqual(task["state"], "done", self.logs(workers))
        invoices = self.emulator.state(TENANT_K)["invoices"]
        numbers = [i["InvoiceNumber"] for i in invoices]
        self.assertEqual(len(numbers), INVOICE_COUNT, "no duplicate, none lost")
        self.assertEqual(len(set(numbers)), INVOICE_COUNT)
        by_id = {i["InvoiceID"]: i for i in invoices}
        for move in self.read_back("account.move", self.move_ids):
            xero = by_id.get(move["xero_invoice_id"])
            self.assertTrue(xero, "%s is linked" % move["name"])
            self.assertEqual(xero["InvoiceNumber"], move["name"])
            self.assertAlmostEqual(xero["Total"], move["amount_total"], places=2)
