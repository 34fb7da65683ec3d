from odoo.tests import TransactionCase, tagged

from .common import XeroCommon
from .workers import RealWorkers

# Organisations of their own: the throttle's ledger of the other tests' tenants stays theirs.
TENANT_A = "00000000-0000-4000-8000-0000000000a1"
TENANT_B = "00000000-0000-4000-8000-0000000000b2"
DELAY = 0.4  # seconds the emulator takes over each contacts call
CUSTOMERS = 150  # three batches per task
CONTACTS = "/api.xro/2.0/Contacts"


@tagged("post_install", "-at_install")
class TestDealersInParallel(RealWorkers, XeroCommon, TransactionCase):
    """Real cron workers (separate OS processes running Odoo's ``ir.cron`` machinery) on data
    committed for them, against the emulator: dealers run side by side, a dealer never twice
    at once. The test's own transaction writes nothing, so the workers never wait for it."""

    tenants = (TENANT_A, TENANT_B)

    def setUp(self):
        super().setUp()
        seed = [
            {"tenant_id": tenant, "name": name, "base_currency": "USD"}
            for tenant, name in ((TENANT_A, "Parallel A"), (TENANT_B, "Parallel B"))
        ]
        self.emulator.reset({"organisations": seed})
        self.emulator.control(
            "POST", "faults", {"kind": "delay", "fraction": 1.0, "delay": DELAY, "path": CONTACTS}
        )

    # ------------------------------------------------------------------ committed data

    def writes(self, tenant):
        """Start times of the contacts writes sent to ``tenant``'s organisation, in order."""
        return sorted(
            r["time"]
            for r in self.emulator.requests(path=CONTACTS)
            if r["method"] in ("PUT", "POST") and r["tenant"] == tenant
        )

    def assertSentOnce(self, tenant, count):
        calls = [
            r
            for r in self.emulator.requests(path=CONTACTS)
            if r["method"] in ("PUT", "POST") and r["tenant"] == tenant
        ]
        self.assertEqual(sum(r["items"] for r in calls), count, "every customer sent once")
        self.assertEqual(len(self.emulator.state(tenant)["contacts"]), count)

    # ------------------------------------------------------------------ tests

    def test_two_dealers_run_side_by_side(self):
        """Two dealers' tasks of several batches each, two cron workers: each worker takes one
        dealer's runner, and both dealers' batches are at Xero at the same time."""

        def build(env):
            company_a, conn_a = self.dealer(env, "Parallel Dealer A", TENANT_A, CUSTOMERS)
            company_b, conn_b = self.dealer(env, "Parallel Dealer B", TENANT_B, CUSTOMERS)
            Task = env["xero.task"]
            tasks = Task._queue(company_a, "send_new_customers") | Task._queue(
                company_b, "send_new_customers"
            )
            self.assertTrue(conn_a.runner_cron_id and conn_b.runner_cron_id)
            self.assertNotEqual(conn_a.runner_cron_id, conn_b.runner_cron_id)
            self.crons = (conn_a | conn_b).runner_cron_id.ids
            self.task_ids = tasks.ids
            return [company_a | company_b]

        self.commit(build)
        logs = self.run_workers(self.crons)
        task_a, task_b = self.read_back("xero.task", self.task_ids)
        for task in (task_a, task_b):
            self.assertEqual(task["state"], "done", logs)
            self.assertEqual(task["count_created"], CUSTOMERS)
        self.assertLess(task_a["date_started"], task_b["date_finished"])
        self.assertLess(task_b["date_started"], task_a["date_finished"])
        self.assertSentOnce(TENANT_A, CUSTOMERS)
        self.assertSentOnce(TENANT_B, CUSTOMERS)
        # The two organisations' writes interleave: neither dealer waited for the other.
        writes_a, writes_b = self.writes(TENANT_A), self.writes(TENANT_B)
        self.assertEqual((len(writes_a), len(writes_b)), (3, 3))
        self.assertLess(writes_b[0], writes_a[-1], "B's batches began before A's ended")
        self.assertLess(writes_a[0], writes_b[-1], "A's batches began before B's ended")

    def test_a_dealer_never_runs_twice_at_once(self):
        """One dealer, two tasks, two crons running its tasks (its own and a copy, as a second
        server's stale one would) in two workers: both workers go for the dealer, and its
        batches still run one at a time, each record sent once, the tasks one after the other.
        """

        def build(env):
            company, conn = self.dealer(env, "Serial Dealer", TENANT_A, CUSTOMERS)
            Task = env["xero.task"]
            first = Task._queue(company, "send_new_customers")
            second = Task._queue(company, "send_new_customers")
            copy = conn.runner_cron_id.copy({"name": "Xero: copy of the runner"})
            copy._trigger()
            self.crons = (conn.runner_cron_id | copy).ids
            self.task_ids = (first | second).ids
            return [company, copy]

        self.commit(build)
        logs = self.run_workers(self.crons)
        first, second = self.read_back("xero.task", self.task_ids)
        self.assertEqual((first["state"], second["state"]), ("done", "done"), logs)
        self.assertEqual(first["count_created"], CUSTOMERS)
        self.assertEqual(second["count_total"], 0, "nothing left for the second task")
        self.assertLessEqual(first["date_finished"], second["date_started"])
        self.assertSentOnce(TENANT_A, CUSTOMERS)
        writes = self.writes(TENANT_A)
        self.assertEqual(len(writes), 3)
        gaps = [b - a for a, b in zip(writes, writes[1:], strict=False)]
        self.assertGreaterEqual(min(gaps), DELAY, "a write began before the last one ended")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT cron_id, count(*) FROM ir_cron_progress WHERE cron_id IN %s "
                "GROUP BY cron_id",
                [tuple(self.crons)],
            )
            runs = dict(cr.fetchall())
        self.assertEqual(set(runs), set(self.crons), "both workers ran the dealer's runner")
