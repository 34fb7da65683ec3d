"""Reliability figures (#15) with real processes: Odoo cron workers (``cron_worker.py``) on
committed data, against the emulator. `make reliability` runs the heavy versions."""

import logging
import os
import random
import time
from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..xero_api.throttle import VirtualClock
from .common import DEMO_TENANT, XeroCommon, client_for
from .test_connection import follow_authorize
from .test_payments import GATEWAY_LOGGER, INVOICE_DATE, PAYMENT_DATE, XeroPaymentCommon
from .workers import RealWorkers

_logger = logging.getLogger(__name__)

TENANT_R = "00000000-0000-4000-8000-0000000000c3"
TENANT_T = "00000000-0000-4000-8000-0000000000d4"
TENANT_K = "00000000-0000-4000-8000-0000000000e5"
CONTACTS = "/api.xro/2.0/Contacts"
INVOICES = "/api.xro/2.0/Invoices"
CREDIT_NOTES = "/api.xro/2.0/CreditNotes"
PAYMENTS = "/api.xro/2.0/Payments"
DELAY = 0.3  # seconds the emulator takes over each contacts write
CUSTOMERS = 150  # three batches
INVOICE_COUNT = 200  # four batches (`make reliability`: 1,000)
KILLS = 5


@tagged("post_install", "-at_install")
class TestReliability(RealWorkers, XeroCommon, TransactionCase):
    """Several real processes on one dealer, a raced token refresh, workers killed with
    SIGKILL: nothing is sent twice, nothing lost, the connection stays usable."""

    tenants = (TENANT_R, TENANT_T, TENANT_K)

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
                    "client_id": client_for(TENANT_K)[0],
                    "client_secret": client_for(TENANT_K)[1],
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


STORM_COUNT = 60  # customers, invoices, credit notes and payments (`make reliability`: 500)
STORM_SEED = int(os.environ.get("XERO_STORM_SEED", 15))


@tagged("post_install", "-at_install")
class TestFaultStorm(XeroPaymentCommon):
    """The four bulk sends under a fault storm from the emulator (30% minute-limit 429s, 5%
    503, 3% 500 remembered under their keys, 5% of writes whose answer is lost), run by the
    dealer's runner and, when a task ends with errors or fails, what a user would do."""

    def storm_records(self, count):
        """``count`` customers, each with a posted invoice, a credit note and a payment of the
        invoice (one per invoice: Register Payment, not grouped)."""
        rng = random.Random(STORM_SEED)
        partners = self.env["res.partner"].create(
            [{"name": f"Storm Customer {i:04d}", "customer_rank": 1} for i in range(count)]
        )

        def move(move_type, partner, top):
            return {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": INVOICE_DATE,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Calls",
                            "quantity": rng.randint(1, 900),
                            "price_unit": round(rng.uniform(0.01, top), 2),
                            "tax_ids": [Command.set(self.tax_sale_a.ids)],
                        }
                    )
                ],
            }

        Move = self.env["account.move"]
        invoices = Move.create([move("out_invoice", p, 2.0) for p in partners])
        credit_notes = Move.create([move("out_refund", p, 0.05) for p in partners])
        (invoices | credit_notes).action_post()
        payments = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {"payment_date": PAYMENT_DATE, "journal_id": self.bank.id, "group_payment": False}
            )
            ._create_payments()
        )
        self.assertEqual(len(payments), count)
        return partners, invoices, credit_notes, payments

    def forget_throttle(self):
        """The throttle's ledger is committed (every worker shares it): its rows of the
        virtual clock, minutes ahead of real time, would pause the next tests' calls."""
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM xero_rate_call WHERE tenant_id = %s", [DEMO_TENANT])

    def run_storm(self, clock, task_type):
        """Queue ``task_type`` and run the dealer's runner until nothing is runnable; while the
        last task ends with errors, *Retry failed records*, and when it fails, queue the task
        again (what a user would do). Returns the tasks run."""
        Task = self.env["xero.task"].with_context(xero_clock=clock)
        tasks = Task._queue(self.company, task_type)
        for _attempt in range(10):
            for _run in range(200):
                if not Task.search_count(Task._runnable_domain(self.company)):
                    break
                Task._cron_run_tasks(self.connection.id)
            task = tasks[-1:]
            if task.state == "done":
                self.assertFalse(task.message, "a task that recovered shows no warning")
                return tasks
            if task.state in ("done_with_errors", "done_blocked"):
                tasks |= Task.browse(
                    task.with_context(xero_clock=clock).action_retry_failed()["res_id"]
                )
            else:
                tasks |= Task._queue(self.company, task_type)
        self.fail("%s never ended done: %s" % (task_type, tasks.mapped("summary")))

    def test_fault_storm_loses_and_doubles_nothing(self):
        """60 each of customers, invoices, credit notes and payments sent through the storm:
        every task ends done (after retries a user would make), nothing twice in Xero, every
        record linked, Xero's totals and amounts due Odoo's to the cent."""
        partners, invoices, credit_notes, payments = self.storm_records(STORM_COUNT)
        self.addCleanup(self.forget_throttle)
        control = self.emulator.api
        control.limits(per_minute=100000, per_day=100000, app_per_minute=100000)
        # The first write of each kind is written by Xero and its answer a 500 or lost, the
        # first read answered 503, the next 500; then the storm, at random.
        for path, kind in (
            (CONTACTS, "drop_after_write"),
            (INVOICES, "500_after_write"),
            (CREDIT_NOTES, "drop_after_write"),
            (PAYMENTS, "500_after_write"),
        ):
            control.add_fault(kind, count=1, method="PUT", path=path)
        for kind in ("503", "500"):
            control.add_fault(kind, count=1, method="GET")
        control.seed_faults(STORM_SEED)
        control.storm(retry_after=60)
        self.emulator.clear_requests()
        clock = VirtualClock(time.time())
        runs = {}
        for task_type in (
            "send_new_customers",
            "send_new_invoices",
            "send_new_credit_notes",
            "send_new_payments",
        ):
            with mute_logger(GATEWAY_LOGGER):  # its retries of 5xx and network failures
                runs[task_type] = self.run_storm(clock, task_type)
        faults = [r["fault"] for r in self.emulator.requests() if r["fault"]]
        self.assertFalse([f for f in control.faults() if f["count"]], "every first fault met")
        control.clear_faults()
        _logger.info(
            "Fault storm, %s of each: %s calls, faults %s, tasks %s",
            STORM_COUNT,
            len(self.emulator.requests()),
            {kind: faults.count(kind) for kind in sorted(set(faults))},
            {t: [x.state for x in tasks] for t, tasks in runs.items()},
        )
        for kind in ("429", "503", "500", "500_after_write", "drop_after_write"):
            self.assertIn(kind, faults, "the storm had every kind of fault")
        org = self.emulator.state(DEMO_TENANT)
        # 0 duplicates in Xero.
        contacts = org["contacts"]
        self.assertEqual(len(contacts), STORM_COUNT)
        self.assertEqual(len({c["ContactNumber"] for c in contacts}), STORM_COUNT)
        xero_invoices = [i for i in org["invoices"] if i["Type"] == "ACCREC"]
        self.assertEqual(len({i["InvoiceNumber"] for i in xero_invoices}), STORM_COUNT)
        self.assertEqual(len(xero_invoices), STORM_COUNT)
        notes = org["credit_notes"]
        self.assertEqual(len({n["CreditNoteNumber"] for n in notes}), STORM_COUNT)
        self.assertEqual(len(notes), STORM_COUNT)
        paid = [p for p in org["payments"] if p["Status"] == "AUTHORISED"]
        self.assertEqual(len(paid), STORM_COUNT)
        self.assertEqual(len({p["Invoice"]["InvoiceID"] for p in paid}), STORM_COUNT)
        # 0 lost: every record linked, totals and amounts due Odoo's.
        self.env.invalidate_all()
        by_id = {c["ContactID"]: c for c in contacts}
        for partner in partners:
            self.assertIn(partner.xero_contact_id, by_id, partner.name)
        by_id = {d["InvoiceID"]: d for d in xero_invoices}
        by_id.update({d["CreditNoteID"]: d for d in notes})
        for move in invoices | credit_notes:
            xero = by_id.get(move.xero_invoice_id)
            self.assertTrue(xero, "%s is linked" % move.name)
            self.assertAlmostEqual(float(xero["Total"]), move.amount_total, places=2)
            due = xero.get("AmountDue", xero.get("RemainingCredit"))
            self.assertAlmostEqual(float(due), move.amount_residual, places=2, msg=move.name)
        by_id = {p["PaymentID"]: p for p in paid}
        for payment in payments:
            allocations = payment._xero_allocations()
            self.assertEqual(len(allocations), 1)
            xero = by_id.get(allocations.xero_payment_id)
            self.assertTrue(xero, "%s is linked" % payment.name)
            self.assertAlmostEqual(float(xero["Amount"]), payment.amount, places=2)
