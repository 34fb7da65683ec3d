import json
import logging
import time
from urllib.parse import urlsplit

from odoo import Command
from odoo.exceptions import AccessError
from odoo.modules.migration import load_script
from odoo.modules.module import get_module_path
from odoo.tests import HttpCase, tagged

from ..models.xero_connection_webhook import xero_signature
from .common import DEMO_TENANT, OTHER_TENANT
from .test_payments import PAYMENT_DATE, XeroPaymentCommon

KEY = "Xero-webhook-key/abc123+XYZ=="
LOGGER = "odoo.addons.account_xero_sync.models.xero_connection_webhook"
_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestWebhooks(XeroPaymentCommon, HttpCase):
    """Xero's webhook deliveries, through Odoo's test HTTP server: the emulator's own and
    hand-made ones. While the server handles a delivery the test thread touches no data (the
    server thread works in the test's transaction, through Odoo's test cursor)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.webhook_key = KEY
        cls.path = urlsplit(cls.connection.webhook_url).path

    # ------------------------------------------------------------------ helpers

    def fetch_tasks(self):
        return self.env["xero.task"].search(
            [("company_id", "=", self.company.id), ("task_type", "=", "fetch_new_payments")]
        )

    def events(self):
        return self.env["xero.webhook.event"].search([("connection_id", "=", self.connection.id)])

    def body(self, *ids, category="INVOICE", tenant=DEMO_TENANT, entropy="ENTROPYONE"):
        """A delivery as Xero makes it: one UPDATE event per Xero id."""
        events = [
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{xero_id}",
                "resourceId": xero_id,
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
                "eventCategory": category,
                "eventType": "UPDATE",
                "eventDateUtc": "2026-11-05T10:00:00.000",
            }
            for xero_id in ids
        ]
        body = {
            "events": events,
            "firstEventSequence": 1,
            "lastEventSequence": len(events),
            "entropy": entropy,
        }
        return json.dumps(body).encode()

    def post(self, raw, signature=None, path=None):
        """POST a delivery to the webhook URL (signed with the key unless told otherwise)."""
        self.env.flush_all()
        headers = {"Content-Type": "application/json"}
        if signature is not False:
            headers["x-xero-signature"] = signature or xero_signature(KEY, raw)
        response = self.url_open(path or self.path, data=raw, headers=headers)
        self.env.invalidate_all()
        return response

    def sent_invoices(self, *amounts):
        invoices = self.env["account.move"]
        for amount in amounts:
            invoices |= self.invoice(amount)
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        return invoices

    def wait_deliveries(self, count, timeout=15):
        """The emulator's webhook deliveries once ``count`` have been answered. Only the
        emulator is asked meanwhile: the database is the server thread's."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            deliveries = [
                d for d in self.emulator.api.webhooks()["deliveries"] if d["kind"] == "events"
            ]
            if len(deliveries) >= count:
                self.env.invalidate_all()
                return deliveries
            time.sleep(0.1)
        self.fail(f"{count} webhook deliveries expected, got {len(deliveries)}")

    # ------------------------------------------------------------------ tests

    def test_intent_to_receive_and_forged_bodies(self):
        invoice = self.sent_invoices(100.0)
        self.env.flush_all()
        self.emulator.api.register_webhook(self.connection.webhook_url, KEY)
        with self.assertLogs(LOGGER, "WARNING") as logs:
            [check] = self.emulator.api.webhook_intent()
        self.env.invalidate_all()
        self.assertEqual((check["good"], check["bad"]), (200, 401), "Xero's check passes")
        self.assertTrue(check["ok"])
        self.assertEqual(len(logs.records), 1, "the bad signature is logged")
        received = self.connection.webhook_last_received
        self.assertTrue(received, "the correctly signed check came through")
        raw = self.body(invoice.xero_invoice_id)
        with self.assertLogs(LOGGER, "WARNING") as logs:
            forged = self.post(raw, signature=xero_signature("not the key", raw))
            unsigned = self.post(raw, signature=False)
            unknown = self.post(raw, path="/xero/webhook/not-a-connection")
        self.assertEqual(
            (forged.status_code, unsigned.status_code, unknown.status_code), (401, 401, 401)
        )
        self.assertEqual(forged.content, b"")
        for message in logs.output:
            self.assertNotIn(KEY, message)
            self.assertNotIn(invoice.xero_invoice_id, message, "the body is never logged")
        self.assertIn("wrong signature", logs.output[0])
        self.assertIn("no signature", logs.output[1])
        self.assertFalse(self.events(), "a forged body records nothing")
        self.assertFalse(self.fetch_tasks(), "and queues nothing")
        self.assertEqual(self.connection.webhook_last_received, received)
        # Correctly signed but not Xero's JSON: accepted (Xero would only send it again).
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(self.post(b"not json").status_code, 200)
        self.assertFalse(self.events() or self.fetch_tasks())
        # The key is never read back, not even by a manager; a Xero User cannot set it.
        self.assertFalse(self.connection.webhook_key)
        self.assertTrue(self.connection.webhook_key_set)
        user = self.env["res.users"].create(
            {
                "name": "Xero user",
                "login": "xero_webhook_user",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("account_xero_sync.group_xero_user").id,
                        ]
                    )
                ],
            }
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(user).write({"webhook_key": "stolen"})

    def test_payment_in_xero_reaches_odoo_through_one_fetch(self):
        paid, other, partly = self.sent_invoices(100.0, 200.0, 300.0)  # 115, 230, 345
        self.env.flush_all()
        self.emulator.api.register_webhook(self.connection.webhook_url, KEY)
        # Xero sends events only once intent to receive has passed.
        with self.assertLogs(LOGGER, "WARNING"):  # its wrongly signed half
            [check] = self.emulator.api.webhook_intent()
        self.assertTrue(check["ok"], check)
        # Two payments in one call: one delivery of two events; then a third, later.
        self.emulator.api.bank_payments(
            [
                self.bank_payment(paid, 115.0),
                self.bank_payment(other, 230.0),
            ],
            tenant_id=DEMO_TENANT,
        )
        first = self.wait_deliveries(1)
        self.emulator.api.bank_payments([self.bank_payment(partly, 45.0)], tenant_id=DEMO_TENANT)
        deliveries = self.wait_deliveries(2)
        self.assertEqual([(d["events"], d["status"]) for d in deliveries], [(2, 200), (1, 200)])
        self.assertEqual(first[0]["status"], 200)
        task = self.fetch_tasks()
        self.assertEqual(len(task), 1, "one fetch for every event that came while it waited")
        self.assertEqual(task.state, "queued")
        events = self.events()
        self.assertEqual(len(events), 3)
        self.assertEqual(events.move_id, paid | other | partly)
        self.assertEqual(events.task_id, task)
        self.assertEqual(set(events.mapped("category")), {"INVOICE"})
        self.assertTrue(self.connection.webhook_last_received)
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.connection.sudo().runner_cron_id.id)],
            order="id desc",
            limit=1,
        )
        self.assertGreater(trigger.call_at, events[0].received_at, "the runner, in 30 s")
        # The runner (not the hourly fetch) runs the queued task.
        task.action_run()
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(task.count_created, 3)
        for invoice in paid | other:
            self.assertEqual(invoice.payment_state, "paid", invoice.name)
            self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(partly.payment_state, "partial")
        self.assertAlmostEqual(partly.amount_residual, 300.0)
        payments = self.env["account.payment"].search([("xero_import_id", "!=", False)])
        self.assertEqual(sorted(payments.mapped("amount")), [45.0, 115.0, 230.0])
        self.assertAmountsDueAgree(paid | other | partly)

    def test_a_thousand_events_are_answered_well_within_five_seconds(self):
        """Xero fails a delivery answered later than 5 s. One delivery of 1,000 events (10 of
        invoices linked in Odoo, the rest of documents Odoo does not know) is answered 200 in
        well under that, and queues one fetch."""
        linked = self.sent_invoices(*[10.0 + n for n in range(10)])
        ids = linked.mapped("xero_invoice_id") + [
            "%08d-0000-4000-8000-%012d" % (n, n) for n in range(990)
        ]
        raw = self.body(*ids)
        started = time.monotonic()
        answer = self.post(raw)
        seconds = time.monotonic() - started
        self.assertEqual(answer.status_code, 200)
        self.assertLess(seconds, 5.0, "Xero waits 5 s")
        _logger.info("A delivery of 1,000 events answered in %.2f s", seconds)
        self.assertEqual(len(self.fetch_tasks()), 1)
        self.assertEqual(len(self.events()), 1000)

    def test_replayed_body_changes_nothing(self):
        invoice = self.sent_invoices(100.0)
        raw = self.body(invoice.xero_invoice_id)
        self.assertEqual(self.post(raw).status_code, 200)
        task = self.fetch_tasks()
        self.assertEqual(len(task), 1)
        task.action_cancel()  # no fetch waits any more: only the replay rule can hold it back
        self.connection.webhook_last_received = "2026-01-01 00:00:00"
        self.assertEqual(self.post(raw).status_code, 200)
        self.assertEqual(str(self.connection.webhook_last_received), "2026-01-01 00:00:00")
        self.assertEqual(self.fetch_tasks(), task, "a replay queues nothing")
        self.assertEqual(len(self.events()), 1, "and records nothing")
        # The same event in another delivery (other entropy) is news.
        again = self.body(invoice.xero_invoice_id, entropy="TWO")
        self.assertEqual(self.post(again).status_code, 200)
        self.assertEqual(len(self.fetch_tasks()), 2)
        self.assertEqual(len(self.events()), 2)

    def test_other_tenants_and_unlinked_documents_queue_nothing(self):
        invoice = self.sent_invoices(100.0)
        unknown = "9b1d2c3e-0000-4000-8000-00000000beef"
        for raw in (
            self.body(invoice.xero_invoice_id, tenant=OTHER_TENANT),
            self.body(unknown, entropy="UNLINKED"),
            self.body(invoice.partner_id.xero_contact_id, category="CONTACT", entropy="C"),
        ):
            self.assertEqual(self.post(raw).status_code, 200)
        self.assertFalse(self.fetch_tasks())
        events = self.events()
        self.assertEqual(len(events), 2, "another organisation's event is not recorded")
        contact = invoice.partner_id.xero_contact_id
        self.assertEqual(set(events.mapped("resource_id")), {unknown, contact})
        self.assertFalse(events.move_id)
        self.assertFalse(events.task_id)

    def test_connections_made_before_webhooks_get_their_own_url(self):
        old = self.connection.webhook_token
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE xero_connection SET webhook_token = NULL WHERE id = %s", [self.connection.id]
        )
        # What the update to 18.0.1.1.0 runs on a database of 18.0.1.0.0 (Odoo's own loader).
        folder = get_module_path("account_xero_sync") + "/migrations/18.0.1.1.0"
        load_script(f"{folder}/post-migrate.py", "post-migrate").migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        token = self.connection.webhook_token
        self.assertTrue(token and token != old)
        self.assertEqual(self.connection.webhook_url, f"{self.base_url()}/xero/webhook/{token}")

    def bank_payment(self, invoice, amount):
        return {
            "Invoice": {"InvoiceID": invoice.xero_invoice_id},
            "Account": {"Code": "090"},
            "Date": PAYMENT_DATE,
            "Amount": amount,
            "Reference": f"Bank feed {invoice.name}",
        }
