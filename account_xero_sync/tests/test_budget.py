"""The day's budget and the workers (#25): a background task leaves the connection's reserve of
the day's Xero calls to urgent work and resumes the next day; the estimated finish of a long
task; a runner whose minute of calls is spent gives its cron worker back (in this process, and
with a real cron worker process serving two dealers)."""

import time
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..tasks.xero_connection_runner import GIVE_BACK_AFTER
from ..xero_api import throttle as xero_throttle
from ..xero_api.throttle import VirtualClock
from .common import DEMO_TENANT, XeroCommon
from .test_invoices import XeroInvoiceCommon
from .workers import RealWorkers

DAY = 86400.0


def utc(epoch):
    """``epoch`` as Odoo stores a datetime (naive UTC, to the second)."""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestBudget(XeroInvoiceCommon):
    def setUp(self):
        super().setUp()
        # The throttle's ledger is shared by every worker: in this test's transaction, the
        # organisation starts its day with no call (rows other tests committed are dropped).
        self.env.cr.execute("DELETE FROM xero_rate_call WHERE tenant_id = %s", [DEMO_TENANT])
        self.Task = self.env["xero.task"]

    # ------------------------------------------------------------------ helpers

    def past_clock(self):
        """A virtual clock at 22:00 UTC two days ago: its next day (00:01 UTC yesterday, when
        a task waiting for it resumes) is already due for Odoo's crons."""
        midnight = xero_throttle.day_start(time.time())
        return VirtualClock(start=midnight - 2 * DAY + 22 * 3600)

    def throttle(self, clock):
        return self.connection.with_context(xero_clock=clock)._xero_throttle()

    def spend(self, clock, calls, at=None):
        """``calls`` calls of the organisation in the ledger, started at ``at`` (default: now
        on ``clock``), as other workers' would be."""
        at = clock.time() if at is None else at
        self.env.cr.executemany(
            "INSERT INTO xero_rate_call (tenant_id, started_at, finished_at, backend_pid) "
            "VALUES (%s, %s, %s, pg_backend_pid())",
            [(DEMO_TENANT, at, at) for _i in range(calls)],
        )

    def runner_step(self, clock=None):
        """One run of the dealer's runner, as its cron makes it (no clock: the real one)."""
        Task = self.Task.with_context(xero_clock=clock) if clock else self.Task
        Task._cron_run_tasks(self.connection.id)

    def run_until_done(self, task, clock=None, limit=5):
        """Runner steps until ``task`` has ended (at most ``limit``)."""
        for _i in range(limit):
            if task.state not in ("queued", "running"):
                return
            self.runner_step(clock)

    def pdf_puts(self):
        return self.emulator.requests("PUT", "/api.xro/2.0/Invoices/")

    def triggers(self):
        cron = self.connection.runner_cron_id
        return self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])

    # ------------------------------------------------------------------ the day's reserve

    def test_background_task_stops_at_the_reserve_and_resumes_the_next_day(self):
        """Send Invoice PDFs (background) sends until only the reserve of the day is left,
        then waits, queued, for Xero's next day, saying so; an urgent fetch queued meanwhile
        uses the reserve; the next day the PDFs go on where they were, each sent once."""
        clock = self.past_clock()
        moves = [self.invoice([10.0 + n]) for n in range(8)]
        send = self.Task.with_context(xero_clock=clock)._queue(self.company, "send_new_invoices")
        self.run_until_done(send, clock)
        self.assertTrue(all(move.xero_invoice_id for move in moves))
        used = self.throttle(clock).day_used(DEMO_TENANT)
        self.assertGreaterEqual(used, 2, "sending invoices took calls of the day")
        # A day of 2 * (used + 3) calls, half of it kept: the background task has 3 calls left.
        self.connection.day_reserve_percent = 50
        day = 2 * (used + 3)
        with patch.object(xero_throttle, "DAY_LIMIT", day):
            reserve = self.connection._xero_day_reserve()
            self.assertEqual(reserve, used + 3)
            pdfs = self.Task.with_context(xero_clock=clock)._queue(
                self.company, "send_invoice_pdfs"
            )
            for _i in range(3):
                self.runner_step(clock)
            self.assertEqual(pdfs.count_created, 3, pdfs.message)
            self.assertEqual(len(self.pdf_puts()), 3)
            self.assertIn(pdfs.state, ("queued", "running"), "waiting, not failed")
            resume = xero_throttle.next_day_pause(clock.time())
            self.assertEqual(pdfs.resume_at, utc(resume))
            self.assertIn("urgent", pdfs.message)
            self.assertIn(str(utc(resume))[:16], pdfs.message, "it says when it resumes")
            self.assertIn(utc(resume), self.triggers().mapped("call_at"))
            self.assertEqual(self.throttle(clock).day_left(DEMO_TENANT), reserve)
            self.assertEqual(
                pdfs.with_context(xero_clock=clock, tz="UTC").eta[:17],
                "tomorrow about 00",
                "the rest goes out after Xero's day turns",
            )

            # An urgent task uses the reserve, the PDFs still wait.
            fetch = self.Task.with_context(xero_clock=clock)._queue(
                self.company, "fetch_new_payments"
            )
            self.run_until_done(fetch, clock)
            self.assertEqual(fetch.state, "done", fetch.summary)
            self.assertLess(self.throttle(clock).day_left(DEMO_TENANT), reserve)
            self.assertEqual(pdfs.count_created, 3)

            # The next day: the PDFs go on, each sent once.
            clock.set(resume + 1)
            self.assertEqual(self.throttle(clock).day_left(DEMO_TENANT), day)
            self.run_until_done(pdfs, clock)
        self.assertEqual((pdfs.state, pdfs.count_created), ("done", 8), pdfs.summary)
        self.assertFalse(pdfs.message)
        for move in moves:
            puts = [r for r in self.pdf_puts() if move.xero_invoice_id in r["path"]]
            self.assertEqual(len(puts), 1, move.name)

    def test_urgent_task_uses_the_reserve(self):
        """At the reserve, a background task takes no step (not even its plan) while an
        urgent send goes through; with no reserve the background task runs."""
        clock = self.past_clock()
        move = self.invoice([25.0])
        self.spend(clock, xero_throttle.DAY_LIMIT - 100)  # 100 calls left, 1,000 kept
        compare = self.Task.with_context(xero_clock=clock)._queue(self.company, "compare_with_xero")
        send = self.Task.with_context(xero_clock=clock)._queue(self.company, "send_new_invoices")
        self.run_until_done(send, clock)
        self.assertEqual(send.state, "done", send.summary)
        self.assertTrue(move.xero_invoice_id)
        self.assertLess(self.throttle(clock).day_left(DEMO_TENANT), 100, "sent at the reserve")
        self.runner_step(clock)
        self.assertEqual(compare.state, "queued")
        self.assertFalse(compare.planned, "no step of it ran")
        self.assertTrue(compare.resume_at)
        self.assertIn("urgent", compare.message)
        # A manager keeps nothing back: the background task runs as soon as it is due.
        self.connection.day_reserve_percent = 0
        compare.action_cancel()
        self.assertEqual(compare.state, "cancelled", "a waiting task is cancelled at once")
        again = self.Task.with_context(xero_clock=clock)._queue(self.company, "compare_with_xero")
        self.run_until_done(again, clock)
        self.assertIn(again.state, ("done", "done_with_errors"), again.summary)

    def test_reserve_percent_is_a_share(self):
        self.assertEqual(self.connection.day_reserve_percent, 20)
        self.assertEqual(self.connection._xero_day_reserve(), 1000)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.connection.day_reserve_percent = 120

    # ------------------------------------------------------------------ estimated finish

    def test_estimated_finish(self):
        """From the records left, the rate measured in the ledger, the minute and the day."""
        clock = VirtualClock(start=1_772_323_200.0 + DAY + 10 * 3600)  # 2 March 2026, 10:00
        self.spend(clock, 100, at=clock.time() - 300)  # the task's 100 calls, in 10 minutes
        task = self.Task.sudo().create(
            {"company_id": self.company.id, "task_type": "send_invoice_pdfs"}
        )
        task.write(
            {
                "state": "running",
                "planned": True,
                "date_started": utc(clock.time() - 600),
                "count_total": 1000,
                "count_done": 100,
            }
        )
        task = task.with_context(xero_clock=clock, tz="UTC")
        # 900 PDFs at the 10 a minute measured: 90 minutes, well within the day.
        self.assertEqual(task.eta, "about 1 h 30 min")
        task.invalidate_recordset(["eta"])
        with patch.object(xero_throttle, "DAY_LIMIT", 1000):
            # 1,000 calls a day, 200 kept: 700 today (until 11:10), 200 after Xero's day turns.
            self.assertEqual(task.eta, "tomorrow about 00:21")
            task.invalidate_recordset(["eta"])
            task.write({"count_total": 4000})
            self.assertRegex(task.eta, r"about 0[0-9]:[0-9]{2}$")
            self.assertNotIn("tomorrow", task.eta)
            task.invalidate_recordset(["eta"])
        # Just started: one call a record, at the minute's 60.
        task.write({"count_done": 0, "count_total": 600})
        self.assertEqual(task.eta, "about 10 min")
        task.write({"state": "done", "count_done": 600})
        self.assertFalse(task.eta)

    # ------------------------------------------------------------------ many dealers

    def test_runner_whose_minute_is_spent_gives_its_worker_back(self):
        """Another dealer's task waits for a worker: the runner of a dealer whose minute of
        Xero calls is spent returns at once (no ~minute sleep in the throttle), its task left
        queued, and its cron is triggered at the minute's turn."""
        other = self.env["res.company"].create({"name": "Waiting Dealer"})
        self.Task.sudo().create({"company_id": other.id, "task_type": "send_new_customers"})
        self.invoice([30.0])
        now = time.time()
        self.spend(None, 60, at=now - 10)  # the minute's 60 calls, 10 s ago
        task = self.Task._queue(self.company, "send_new_invoices")
        self.emulator.clear_requests()
        started = time.monotonic()
        self.runner_step()  # the real clock
        took = time.monotonic() - started
        self.assertLess(took, GIVE_BACK_AFTER + 5, "the worker was given back, not put to sleep")
        self.assertIn(task.state, ("queued", "running"))
        self.assertFalse(self.emulator.requests(path="/api.xro/2.0"), "no call over the limit")
        turn = utc(now + 50)
        self.assertAlmostEqual(task.resume_at, turn, delta=timedelta(seconds=3))
        self.assertIn("minute", task.message)
        self.assertTrue(
            [
                at
                for at in self.triggers().mapped("call_at")
                if abs((at - turn).total_seconds()) < 3
            ],
            "the runner is woken at the minute's turn",
        )
        remaining = self.Task.search_count(self.Task._runnable_domain(self.company))
        self.assertEqual(remaining, 0, "its cron run ends: nothing of the dealer is due")

    def test_lone_runner_waits_a_short_minute(self):
        """No other dealer waits for a worker: the runner waits out its minute in the
        throttle (here its last few seconds) and goes on in the same run."""
        self.invoice([30.0])
        self.assertFalse(self.Task._others_wait(self.company))
        self.spend(None, 60, at=time.time() - 60 + GIVE_BACK_AFTER + 2)
        task = self.Task._queue(self.company, "send_new_invoices")
        started = time.monotonic()
        self.runner_step()
        self.assertGreater(time.monotonic() - started, GIVE_BACK_AFTER)
        self.assertFalse(task.resume_at, "it did not give back")
        self.run_until_done(task)
        self.assertEqual(task.state, "done", task.summary)


# Organisations of their own: the throttle's ledger of the other tests' tenants stays theirs.
TENANT_C = "00000000-0000-4000-8000-0000000000c3"
TENANT_D = "00000000-0000-4000-8000-0000000000d4"
PAUSE = 45.0  # seconds left of dealer C's minute when the worker starts


@tagged("post_install", "-at_install")
class TestWorkerGivenBack(RealWorkers, XeroCommon, TransactionCase):
    """One real cron worker (a separate process running Odoo's ``ir.cron`` machinery), two
    dealers: the dealer served first has its minute of Xero calls spent, so its runner gives
    the worker back and the other dealer is served meanwhile; the first one's cron is woken at
    the minute's turn and finishes its task."""

    tenants = (TENANT_C, TENANT_D)

    def setUp(self):
        super().setUp()
        seed = [
            {"tenant_id": tenant, "name": name, "base_currency": "USD"}
            for tenant, name in ((TENANT_C, "Spent C"), (TENANT_D, "Waiting D"))
        ]
        self.emulator.reset({"organisations": seed})

    def test_worker_serves_another_dealer_while_a_minute_is_spent(self):
        def build(env):
            company_c, conn_c = self.dealer(env, "Spent Dealer C", TENANT_C, 3)
            company_d, conn_d = self.dealer(env, "Waiting Dealer D", TENANT_D, 3)
            Task = env["xero.task"]
            tasks = Task._queue(company_c, "send_new_customers") | Task._queue(
                company_d, "send_new_customers"
            )
            # C's runner is taken first; its minute is spent for PAUSE seconds more (a pause
            # mark in the throttle's ledger, as Xero's "X-MinLimit-Remaining: 0" leaves).
            conn_c.runner_cron_id.priority = 0
            conn_d.runner_cron_id.priority = 10
            conn_c._xero_throttle().pause(TENANT_C, time.time() + PAUSE)
            self.crons = (conn_c | conn_d).runner_cron_id.ids
            self.task_ids = tasks.ids
            return [company_c | company_d, conn_c.runner_cron_id | conn_d.runner_cron_id]

        self.commit(build)
        started = time.time()
        logs = self.run_workers(self.crons, count=1, timeout=120)
        task_c, task_d = self.read_back("xero.task", self.task_ids)
        self.assertEqual(task_d["state"], "done", logs)
        self.assertIn(task_c["state"], ("queued", "running"), logs)
        self.assertTrue(task_c["resume_at"], logs)
        turn = task_c["resume_at"]
        self.assertLess(
            task_d["date_finished"],
            turn - timedelta(seconds=PAUSE / 3),
            "D was served while C's minute was spent, not after",
        )
        self.assertLess(time.time() - started, PAUSE, "the worker did not sleep on C's limit")
        # C's runner is woken at the minute's turn and finishes.
        wait = (turn - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds()
        time.sleep(max(wait, 0) + 1)
        logs = self.run_workers(self.crons[:1], count=1, timeout=120)
        (task_c,) = self.read_back("xero.task", self.task_ids[:1])
        self.assertEqual(task_c["state"], "done", logs)
        self.assertEqual(task_c["count_created"], 3)
        self.assertFalse(task_c["message"], "a task that went on shows no warning")

    def test_dealers_take_turns_on_one_worker(self):
        """One worker, two dealers with three batches each: while the other dealer waits, a
        runner gives the worker back after each step, so the second dealer's first batch comes
        right after the first one's, not after the first dealer's whole task (the order of
        the later turns follows Odoo's order of the crons due at once: priority, then id)."""

        def build(env):
            company_c, conn_c = self.dealer(env, "Turns Dealer C", TENANT_C, 120)
            company_d, conn_d = self.dealer(env, "Turns Dealer D", TENANT_D, 120)
            Task = env["xero.task"]
            tasks = Task._queue(company_c, "send_new_customers") | Task._queue(
                company_d, "send_new_customers"
            )
            conn_c.runner_cron_id.priority = 0  # C's runner is taken first
            conn_d.runner_cron_id.priority = 10
            crons = conn_c.runner_cron_id | conn_d.runner_cron_id
            self.crons, self.task_ids = crons.ids, tasks.ids
            return [company_c | company_d, crons]

        self.commit(build)
        self.emulator.clear_requests()
        logs = self.run_workers(self.crons, count=1, timeout=120)
        tasks = self.read_back("xero.task", self.task_ids)
        self.assertEqual([t["state"] for t in tasks], ["done", "done"], logs)
        self.assertEqual([t["count_created"] for t in tasks], [120, 120], logs)
        puts = [r["tenant"] for r in self.emulator.requests("PUT", "/api.xro/2.0/Contacts")]
        self.assertEqual(sorted(puts), [TENANT_C] * 3 + [TENANT_D] * 3, "3 batches each")
        self.assertEqual(puts[:2], [TENANT_C, TENANT_D], "D's first batch came second")
        self.assertLess(puts.index(TENANT_D), len(puts) - 1 - puts[::-1].index(TENANT_C))
