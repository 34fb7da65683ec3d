import json
import os
import subprocess
import sys
import tempfile
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

from .common import CLIENT_ID, CLIENT_SECRET, XeroCommon

# Organisations of their own: the throttle's ledger of the other tests' tenants stays theirs.
TENANT_A = "00000000-0000-4000-8000-0000000000a1"
TENANT_B = "00000000-0000-4000-8000-0000000000b2"
DELAY = 0.4  # seconds the emulator takes over each contacts call
CUSTOMERS = 150  # three batches per task
WORKER = os.path.join(os.path.dirname(os.path.realpath(__file__)), "cron_worker.py")
CONTACTS = "/api.xro/2.0/Contacts"


@tagged("post_install", "-at_install")
class TestDealersInParallel(XeroCommon, TransactionCase):
    """Real cron workers (separate OS processes running Odoo's ``ir.cron`` machinery) on data
    committed for them, against the emulator: dealers run side by side, a dealer never twice
    at once. The test's own transaction writes nothing, so the workers never wait for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_emulator()

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
        self.made = {}
        self.addCleanup(self.drop_committed)

    # ------------------------------------------------------------------ committed data

    def dealer(self, env, name, tenant):
        """A company with its connection to ``tenant`` and ``CUSTOMERS`` customers."""
        company = env["res.company"].create({"name": name})
        connection = env["xero.connection"].create(
            {
                "company_id": company.id,
                "auth_mode": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "api_url": self.emulator.url,
                "identity_url": self.emulator.url,
                "login_url": self.emulator.url,
                "tenant_id": tenant,
                "tenant_name": name,
                "org_currency": "USD",
            }
        )
        env["res.partner"].create(
            [
                {"name": f"{name} {i:03d}", "customer_rank": 1, "company_id": company.id}
                for i in range(CUSTOMERS)
            ]
        )
        return company, connection

    def commit(self, build):
        """Run ``build(env)`` in a transaction of its own, committed for the workers; what it
        returns (records) is remembered for the clean-up."""
        with self.registry.cursor() as cr:
            for record in build(api.Environment(cr, SUPERUSER_ID, {})):
                self.made.setdefault(record._name, []).extend(record.ids)

    def drop_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            companies = env["res.company"].browse(self.made.get("res.company", []))
            env["xero.task"].search([("company_id", "in", companies.ids)]).unlink()
            env["xero.connection"].search([("company_id", "in", companies.ids)]).unlink()
            env["res.partner"].search([("company_id", "in", companies.ids)]).unlink()
            crons = env["ir.cron"].browse(self.made.get("ir.cron", [])).exists()
            actions = crons.ir_actions_server_id
            crons.unlink()
            actions.unlink()
            env["xero.rate.call"].search([("tenant_id", "in", [TENANT_A, TENANT_B])]).unlink()
            companies.unlink()

    def read_back(self, model, ids):
        """``model`` records as committed by the workers: ``[{field: value}]``."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env[model].browse(ids).read()

    # ------------------------------------------------------------------ workers

    def run_workers(self, crons, count=2, timeout=180):
        """Start ``count`` cron workers on ``crons``, release them together, wait for them."""
        barrier = tempfile.mkdtemp()
        deadline = time.time() + timeout
        opts = {
            "db": self.env.cr.dbname,
            "addons_path": config["addons_path"],
            "db_host": config["db_host"],
            "db_port": config["db_port"],
            "db_user": config["db_user"],
            "db_password": config["db_password"],
            "crons": crons,
            "barrier": barrier,
            "deadline": deadline,
        }
        workers = []
        for n in range(count):
            log = open(os.path.join(barrier, f"worker-{n}.log"), "w+")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, WORKER, json.dumps(dict(opts, name=str(n)))],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            workers.append((proc, log))
            self.addCleanup(lambda p=proc: p.poll() is None and p.kill())
        while not all(os.path.exists(os.path.join(barrier, f"ready-{n}")) for n in range(count)):
            failed = [p for p, _log in workers if p.poll() is not None]
            if failed or time.time() > deadline:
                self.fail("a worker did not start: %s" % self.logs(workers))
            time.sleep(0.1)
        open(os.path.join(barrier, "go"), "w").close()
        for proc, _log in workers:
            proc.wait(max(1, deadline - time.time() + 10))
        codes = [proc.returncode for proc, _log in workers]
        self.assertEqual(codes, [0] * count, self.logs(workers))
        return self.logs(workers)

    def logs(self, workers):
        text = []
        for _proc, log in workers:
            log.seek(0)
            text.append(log.read()[-3000:])
        return "\n----\n".join(text)

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
            company_a, conn_a = self.dealer(env, "Parallel Dealer A", TENANT_A)
            company_b, conn_b = self.dealer(env, "Parallel Dealer B", TENANT_B)
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
            company, conn = self.dealer(env, "Serial Dealer", TENANT_A)
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
