"""A next step on every problem (issue #23, item 5): a task with blocked records alone ends
*Done, some blocked* (not *Done with errors*) and offers to send them again; a task failed on
its connection opens the connection and runs again; each blocked log line offers the fix of
its kind; one activity per dealer and problem, updated rather than piled up."""

import time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.xero_columns import write_xero_columns
from ..xero_api.throttle import VirtualClock
from .common import CLIENT_SECRET, DEMO_TENANT
from .test_payments import INVOICE_DATE, XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestNextSteps(XeroPaymentCommon):
    default_tax_mapping = False  # an unmapped tax blocks its invoice

    def run_task(self, task_type, records=None):
        return self.run_xero_task(self.company, task_type, records)

    def line_of(self, task, record):
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == record._name and ln.res_id == record.id
        )
        self.assertEqual(len(line), 1, "one log line for %s" % record.display_name)
        return line

    def activities(self, company=None):
        tasks = self.env["xero.task"].search([("company_id", "=", (company or self.company).id)])
        return self.env["mail.activity"].search(
            [("res_model", "=", "xero.task"), ("res_id", "in", tasks.ids)]
        )

    def nameless_customer(self):
        partner = self.env["res.partner"].create(
            {"name": "Nameless", "customer_rank": 1, "company_id": self.company.id}
        )
        self.env.cr.execute("UPDATE res_partner SET name = ' ' WHERE id = %s", [partner.id])
        partner.invalidate_recordset(["name"])
        return partner

    def break_the_secret(self):
        """A custom connection whose secret is wrong when its token expires."""
        self.connection._access_token()
        self.connection._token_record().write({"client_secret": "not-the-secret", "expires_at": 0})

    def failing_send(self, partner):
        task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        return task._queue(self.company, "send_customer", partner, run_now=True)

    # ------------------------------------------------------------------ blocked only

    def test_blocked_only_is_done_some_blocked_and_offers_the_resend(self):
        nameless = self.nameless_customer()
        task = self.run_task("send_new_customers")
        self.assertEqual((task.count_error, task.count_blocked), (0, 1))
        self.assertEqual(task.state, "done_blocked", "not done with errors")
        labels = dict(task._fields["state"]._description_selection(self.env))
        self.assertEqual(labels[task.state], "Done, some blocked")
        self.assertEqual(task.progress, 100.0)
        self.assertEqual(task.problem, "blocked")
        summaries = self.activities().mapped("summary")
        self.assertNotIn("Xero task ended with errors", summaries, "no error activity")
        self.assertEqual(summaries, ["Xero records blocked: they wait for a fix"])
        self.assertFalse(task.retry_offered)
        self.assertTrue(task.resend_offered)
        line = self.line_of(task, nameless)
        self.assertEqual(line.fix_action, "open_customer")
        opened = line.action_fix()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("res.partner", nameless.id))
        nameless.name = "Now Named Ltd"
        action = task.action_resend_blocked()
        resend = self.env["xero.task"].browse(action["res_id"])
        self.assertNotEqual(resend, task)
        self.assertEqual(resend.task_type, "send_customer")
        self.assertEqual((resend.res_model, resend.res_ids), ("res.partner", [nameless.id]))
        self.assertEqual(resend.state, "queued")
        resend.with_context(xero_clock=VirtualClock(time.time())).action_run()
        self.assertEqual((resend.state, resend.count_created), ("done", 1))

    def test_a_blocked_customer_with_a_possible_xero_contact_offers_the_link(self):
        self.seed_org(
            DEMO_TENANT, contacts=[{"Name": "Clash Ltd", "EmailAddress": "someone@else.com"}]
        )
        clash = self.env["res.partner"].create(
            {
                "name": "Clash Ltd",
                "email": "accounts@clash.com",
                "customer_rank": 1,
                "company_id": self.company.id,
            }
        )
        task = self.run_task("send_customer", clash)
        self.assertEqual(task.state, "done_blocked")
        line = self.line_of(task, clash)
        self.assertEqual(line.fix_action, "link_contact")
        contact = next(c for c in self.xero("contacts") if c["Name"] == "Clash Ltd")
        opened = line.action_fix()
        self.assertEqual((opened["res_model"], opened["res_id"]), ("res.partner", clash.id))
        self.assertEqual(clash.with_company(self.company).xero_contact_id, contact["ContactID"])
        line.invalidate_recordset(["fix_action"])
        self.assertFalse(line.fix_action, "linked: nothing left to fix")

    def xero(self, kind):
        return self.emulator.state(DEMO_TENANT)[kind]

    # ------------------------------------------------------------------ failed on the connection

    def test_wrong_secret_opens_the_connection_and_runs_again(self):
        self.break_the_secret()
        task = self.failing_send(self.partner_a)
        self.assertEqual(task.state, "failed")
        self.assertEqual(task.problem, "connection")
        opened = task.action_open_connection()
        self.assertEqual(
            (opened["res_model"], opened["res_id"]), ("xero.connection", self.connection.id)
        )
        (activity,) = self.activities()
        self.assertIn("client id or secret", activity.note)
        self.connection._token_record().write({"client_secret": CLIENT_SECRET})
        again = self.env["xero.task"].browse(task.action_run_again()["res_id"])
        self.assertNotEqual(again, task)
        self.assertEqual((again.task_type, again.company_id), ("send_customer", self.company))
        self.assertEqual((again.res_model, again.res_ids), ("res.partner", [self.partner_a.id]))
        self.assertEqual(again.state, "queued")
        again.with_context(xero_clock=VirtualClock(time.time())).action_run()
        self.assertEqual(again.state, "done")
        self.assertTrue(self.partner_a.with_company(self.company).xero_contact_id)

    def test_a_bulk_task_runs_again_as_a_bulk_task(self):
        self.env["res.partner"].create(
            {"name": "Fresh Ltd", "customer_rank": 1, "company_id": self.company.id}
        )
        self.break_the_secret()
        task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        task = task._queue(self.company, "send_new_customers", run_now=True)
        self.assertEqual((task.state, task.problem), ("failed", "connection"))
        again = self.env["xero.task"].browse(task.action_run_again()["res_id"])
        self.assertEqual(again.task_type, "send_new_customers")
        self.assertFalse(again.res_model)

    def test_a_fetch_failed_on_the_secret_does_not_say_nothing_to_do(self):
        self.break_the_secret()
        task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        # The fetch's failure is logged as an error for the administrator (expected here).
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_connection_runner"):
            task = task._queue(self.company, "fetch_new_payments", run_now=True)
        self.assertEqual((task.state, task.problem), ("failed", "connection"))
        self.assertIn("client id or secret", task.summary)
        self.assertNotIn("nothing to do", task.summary)
        self.assertFalse(task.resend_offered)

    # ------------------------------------------------------------------ activities

    def test_two_failing_tasks_of_a_dealer_leave_one_activity(self):
        self.break_the_secret()
        first = self.failing_send(self.partner_a)
        second = self.failing_send(self.partner_b)
        self.assertEqual((first.state, second.state), ("failed", "failed"))
        activity = self.activities()
        self.assertEqual(len(activity), 1, "one activity per dealer and problem")
        self.assertEqual(activity.res_id, second.id, "it follows the last task")
        self.assertEqual(activity.date_deadline, fields.Date.context_today(activity))
        self.assertFalse(first.activity_ids)
        # Another problem of the same dealer has its own activity.
        self.connection._token_record().write({"client_secret": CLIENT_SECRET})
        self.nameless_customer()
        self.run_task("send_new_customers")
        self.assertEqual(len(self.activities()), 2)
        self.run_task("send_new_customers")
        self.assertEqual(len(self.activities()), 2, "updated, not piled up")

    # ------------------------------------------------------------------ fixes by kind

    def test_a_missing_mapping_offers_map_now(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[100.0],
            taxes=self.tax_sale_b,  # not mapped, no default
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
        )
        task = self.run_task("send_invoice", invoice)
        line = self.line_of(task, invoice)
        self.assertEqual(line.outcome, "blocked")
        self.assertEqual(task.state, "done_blocked")
        self.assertEqual(line.fix_action, "map")
        action = line.action_fix()
        self.assertEqual(action["res_model"], "xero.mapping")
        self.assertEqual(action["id"], self.env.ref("account_xero_sync.action_xero_mapping").id)
        self.assertTrue(task.resend_offered)

    def test_a_document_xero_no_longer_has_is_unlinked_and_sent_again(self):
        invoice = self.invoice(100.0)
        old_id = "0d6a9b6e-0000-4000-8000-00000000dead"  # deleted in Xero since
        write_xero_columns(invoice, {"xero_invoice_id": old_id})
        task = self.run_task("send_invoice", invoice)
        line = self.line_of(task, invoice)
        self.assertEqual(invoice.xero_document_status, "missing", line.message)
        self.assertEqual(line.fix_action, "unlink_resend")
        action = line.action_fix()
        resend = self.env["xero.task"].browse(action["res_id"])
        self.assertEqual((resend.task_type, resend.res_ids), ("send_invoice", [invoice.id]))
        self.assertFalse(invoice.xero_invoice_id, "unlinked")
        resend.with_context(xero_clock=VirtualClock(time.time())).action_run()
        self.assertEqual((resend.state, resend.count_created), ("done", 1))
        self.assertTrue(invoice.xero_invoice_id)
        self.assertNotEqual(invoice.xero_invoice_id, old_id)
