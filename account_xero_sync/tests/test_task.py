from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..tasks.xero_task_types import TASK_TYPES
from .common import DEMO_TENANT, OTHER_TENANT, XeroTransactionCase


@tagged("post_install", "-at_install")
class TestTaskRunner(XeroTransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.connection = cls.make_connection(cls.company)
        cls.env["res.partner"].search([("customer_rank", ">", 0)]).customer_rank = 0
        cls.Task = cls.env["xero.task"]

    def customers(self, count, prefix="Customer"):
        """Customers of this dealer (partners of its company)."""
        return self.env["res.partner"].create(
            [
                {"name": f"{prefix} {i:03d}", "customer_rank": 1, "company_id": self.company.id}
                for i in range(count)
            ]
        )

    def run_cron_until_idle(self, limit=50):
        self.run_runner(self.connection, limit)

    def test_queue_and_run_via_cron(self):
        partners = self.customers(60)
        cron = self.connection.runner_cron_id
        self.assertTrue(cron, "the connection has its own runner")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        task = self.Task._queue(self.company, "send_new_customers")
        self.assertEqual(task.state, "queued")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers_before,
            "queuing triggers the dealer's runner",
        )
        self.Task._cron_run_tasks(self.connection.id)  # first batch
        self.assertEqual(task.state, "running")
        self.assertEqual((task.count_total, task.count_done, task.count_created), (60, 50, 50))
        self.assertAlmostEqual(task.progress, 50 / 60 * 100, places=2)
        self.run_cron_until_idle()
        self.assertEqual(task.state, "done")
        self.assertEqual((task.count_created, task.count_error, task.progress), (60, 0, 100))
        self.assertTrue(task.date_started and task.date_finished)
        by_partner = {line.res_id: line for line in task.line_ids}
        for partner in partners:
            line = by_partner[partner.id]
            self.assertEqual(line.outcome, "created")
            self.assertEqual(line.xero_id, partner.xero_contact_id)
        self.assertIn("60 created", task.summary)

    def test_each_connection_has_its_own_runner(self):
        """A cron per connection, made with it, running that dealer's tasks only; removed with
        the connection."""
        cron = self.connection.runner_cron_id
        self.assertTrue(cron.active)
        self.assertEqual(cron.code, "model._cron_run_tasks(%d)" % self.connection.id)
        self.assertEqual(cron.model_id.model, "xero.task")
        self.assertEqual(cron.user_id, self.env.ref("base.user_root"))
        xmlid = cron.get_external_id()[cron.id]
        self.assertTrue(xmlid.startswith("account_xero_sync."), "uninstalled with the module")
        dealer_b = self.env["res.company"].create({"name": "Runner Dealer B"})
        conn_b = self.make_connection(dealer_b, tenant=OTHER_TENANT)
        cron_b = conn_b.runner_cron_id
        self.assertTrue(cron_b)
        self.assertNotEqual(cron_b, cron)
        self.customers(2)
        task_b = self.Task._queue(dealer_b, "send_new_customers")
        triggered = self.env["ir.cron.trigger"].search([("cron_id", "in", (cron | cron_b).ids)])
        self.assertEqual(triggered.cron_id, cron_b, "only dealer B's runner is woken")
        task_a = self.Task._queue(self.company, "send_new_customers")
        self.run_cron_until_idle()
        self.assertEqual((task_a.state, task_a.count_created), ("done", 2))
        self.assertEqual(task_b.state, "queued", "A's runner never runs B's tasks")
        self.assertFalse([r for r in self.emulator.requests() if r["tenant"] == OTHER_TENANT])
        action = cron_b.ir_actions_server_id
        task_b.action_cancel()
        conn_b.unlink()
        self.assertFalse(cron_b.exists() or action.exists(), "removed with its connection")

    def test_connection_older_than_its_runner_gets_one(self):
        """A connection made before this version has no runner: queuing a task makes and wakes
        it; the sweeper does the same for a task queued before, and runs no batch itself."""
        self.customers(2)
        self.connection.runner_cron_id.unlink()
        self.assertFalse(self.connection.runner_cron_id)
        task = self.Task._queue(self.company, "send_new_customers")
        cron = self.connection.runner_cron_id
        self.assertTrue(cron, "made on demand")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        cron.unlink()
        sweeper = self.env.ref("account_xero_sync.ir_cron_xero_run_tasks")
        self.assertEqual(sweeper.code, "model._cron_run_tasks()")
        self.Task._cron_run_tasks()  # the sweeper
        cron = self.connection.runner_cron_id
        self.assertTrue(cron)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertEqual(task.state, "queued", "the sweeper runs no batch")
        self.assertFalse(self.emulator.requests(path="/api.xro"))
        self.Task._cron_run_tasks()
        self.assertEqual(self.connection.runner_cron_id, cron, "one runner, made once")
        self.run_cron_until_idle()
        self.assertEqual(task.state, "done")

    def test_one_task_per_dealer_at_a_time(self):
        """A second task of the same dealer waits: it never sends the first one's records."""
        self.customers(3)
        first = self.Task._queue(self.company, "send_new_customers")
        second = self.Task._queue(self.company, "send_new_customers")
        claimed = self.Task._claim_next(self.company)
        self.assertEqual(claimed, first)
        # Same transaction holds the dealer's advisory lock: a second runner (simulated by a
        # second connection) must not get this dealer. Checked with a real second cursor below.
        with self.env.registry.cursor() as other_cr:
            other_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [1480938032, self.company.id]
            )
            self.assertFalse(other_cr.fetchone()[0], "the dealer is locked by the runner")
        claimed._run_step()
        self.run_cron_until_idle()
        self.assertEqual(first.count_created, 3)
        self.assertEqual(second.state, "done")
        self.assertEqual(second.count_total, 0, "nothing left for the second task")
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["contacts"]), 3)

    def test_two_runners_never_take_the_same_task(self):
        """Two workers (two real database connections) claim tasks at the same time."""
        registry = self.env.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            dealer_a = env["res.company"].create({"name": "Runner Dealer A"})
            dealer_b = env["res.company"].create({"name": "Runner Dealer B"})
            tasks = env["xero.task"].create(
                [
                    {"company_id": dealer_a.id, "task_type": "send_new_customers"},
                    {"company_id": dealer_a.id, "task_type": "send_all_customers"},
                    {"company_id": dealer_b.id, "task_type": "send_new_customers"},
                ]
            )
            task_ids, company_ids = tasks.ids, (dealer_a | dealer_b).ids
        try:
            with registry.cursor() as cr1, registry.cursor() as cr2:
                worker1 = api.Environment(cr1, SUPERUSER_ID, {})["xero.task"]
                worker2 = api.Environment(cr2, SUPERUSER_ID, {})["xero.task"]
                first = worker1._claim_next()
                second = worker2._claim_next()
                self.assertEqual(first.id, task_ids[0])
                self.assertEqual(
                    second.id, task_ids[2], "the other dealer's task, not dealer A's second one"
                )
                # The batches end (their transactions): the dealer is free for whoever comes.
                cr1.rollback()
                cr2.rollback()
                self.assertEqual(worker2._claim_next().id, task_ids[0])
                self.assertEqual(worker1._claim_next().id, task_ids[2])
                cr1.rollback()
                cr2.rollback()
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["xero.task"].browse(task_ids).unlink()
                env["res.company"].browse(company_ids).unlink()

    def test_killed_after_second_batch_resumes_without_resending(self):
        self.customers(130)
        task = self.Task._queue(self.company, "send_new_customers")
        self.run_until_killed(self.run_cron_until_idle)
        self.assertEqual(task.state, "running")
        self.assertEqual(task.count_done, 100)
        self.run_cron_until_idle()
        self.assertEqual(task.state, "done")
        self.assertEqual(task.count_created, 130)
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Contacts")
        self.assertEqual(sum(r["items"] for r in puts), 130, "no record sent twice")
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["contacts"]), 130)

    def test_cancel_and_retry_failed(self):
        self.customers(2)
        queued = self.Task._queue(self.company, "send_new_customers")
        queued.action_cancel()
        self.assertEqual(queued.state, "cancelled")
        bad = self.customers(1, prefix="x")
        self.env.cr.execute("UPDATE res_partner SET name = ' ' WHERE id = %s", [bad.id])
        bad.invalidate_recordset(["name"])
        task = self.Task._queue(self.company, "send_new_customers")
        task.action_run()
        self.assertEqual(task.state, "done_blocked", "blocked records alone are not errors")
        self.assertEqual((task.count_created, task.count_blocked), (2, 1))
        self.assertTrue(task.activity_ids, "the user who queued it is told")
        bad.name = "Now Named Ltd"
        retry = self.Task.browse(task.action_retry_failed()["res_id"])
        self.assertEqual(retry.task_type, "send_customer")
        retry.action_run()
        self.assertEqual((retry.count_total, retry.count_created), (1, 1))

    def test_wizard_preview_queue(self):
        self.customers(2)
        self.emulator.control(
            "POST",
            "seed",
            {"organisations": [{"tenant_id": DEMO_TENANT, "contacts": [{"Name": "Customer 001"}]}]},
        )
        wizard = self.env["xero.bulk.task.wizard"].create({"task_type": "send_new_customers"})
        self.assertEqual(wizard.company_id, self.company, "the dealer is preselected")
        wizard.action_preview()
        actions = sorted(wizard.line_ids.mapped("action"))
        self.assertEqual(actions, ["create", "link"])
        self.assertIn(
            "Customer 001", wizard.line_ids.filtered(lambda ln: ln.action == "link").reason
        )
        self.assertFalse(
            self.emulator.requests(method="POST", path="/api.xro"), "a preview writes nothing"
        )
        self.assertFalse(self.emulator.requests(method="PUT", path="/api.xro"))
        task = self.Task.browse(wizard.action_queue()["res_id"])
        self.assertEqual(task.state, "queued")

    def test_access_between_dealers_and_menus(self):
        dealer_b = self.env["res.company"].create({"name": "Dealer B"})
        task_a = self.Task._queue(self.company, "send_new_customers")
        user_b = new_test_user(
            self.env,
            "xero_user_b2",
            groups="base.group_user,account_xero_sync.group_xero_user",
            company_ids=[dealer_b.id],
            company_id=dealer_b.id,
        )
        self.assertFalse(self.Task.with_user(user_b).search([]))
        with self.assertRaises(AccessError):
            task_a.with_user(user_b).read(["state"])
        with self.assertRaises(AccessError):
            task_a.with_user(user_b).action_run()
        plain = new_test_user(self.env, "no_xero_user", groups="base.group_user")
        menu = self.env.ref("account_xero_sync.menu_xero_root")
        visible = self.env["ir.ui.menu"].with_user(plain)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        visible_b = self.env["ir.ui.menu"].with_user(user_b)._visible_menu_ids()
        self.assertIn(menu.id, visible_b)
        config = self.env.ref("account_xero_sync.menu_xero_config")
        self.assertNotIn(config.id, visible_b, "configuration is for Xero Managers")

    def test_every_task_type_has_a_handler(self):
        """The registry is the one place task types live: each names a handler that implements
        the protocol, and Add bulk task offers exactly the bulk ones."""
        base = type(self.env["xero.task.handler"])
        for code, task_type in TASK_TYPES.items():
            handler = self.env[task_type.handler]
            self.assertIsInstance(handler, base, code)
            self.assertTrue(handler._records, code)
            self.assertIn(handler._records, self.env, code)
            if task_type.retry:
                self.assertIn(task_type.retry, TASK_TYPES, code)
        offered = [
            code
            for code, _label in self.env["xero.bulk.task.wizard"]._fields["task_type"].selection
        ]
        self.assertEqual(offered, [c for c, t in TASK_TYPES.items() if t.bulk])
        self.assertEqual(
            dict(self.Task._fields["task_type"].selection),
            {code: t.label for code, t in TASK_TYPES.items()},
        )
