"""The screens' logic (issue #16): lists and previews that survive a broken connection, cost
Xero one look-up per few minutes, tell what the run will do, and words that say what happened."""

import time
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..wizards import xero_bulk_task_wizard
from ..xero_api.throttle import VirtualClock
from .common import CLIENT_SECRET, XeroListsMixin
from .test_fetch_payments import TestFetchPayments
from .test_payments import GATEWAY_LOGGER, XeroPaymentCommon

TO_SEND = "Invoices to Send"


@tagged("post_install", "-at_install")
class TestScreens(XeroListsMixin, XeroPaymentCommon):
    default_tax_mapping = False  # an unmapped tax blocks its invoice
    accountant_login = "xero_screens_accountant"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levy = cls.tax_sale_a.copy({"name": "Levy 12%", "amount": 12.0})
        cls.chf = cls.setup_other_currency("CHF", rates=[("2019-01-01", 1.5)])

    def to_send(self, task_type="send_new_invoices", name=TO_SEND, user=None):
        """Open a to-send list as the menu does: (its action, its rows)."""
        Wizard = self.Wizard.with_user(user) if user else self.Wizard
        action = Wizard._action_to_send(task_type, name)
        rows = self.env["xero.bulk.task.wizard.line"].search(action["domain"])
        return action, rows

    # ------------------------------------------------------------------ problem 2

    def test_preview_change_the_task_type_and_preview_again(self):
        """Preview, change the task type, Preview again, as the web client does it (onchange,
        save, button), by an accountant who is a Xero User: no access error."""
        self.sale()
        form = Form(self.Wizard.with_user(self.accountant))
        form.task_type = "send_new_customers"
        wizard = form.save()
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.mapped("res_model"), ["res.partner"])
        with Form(wizard) as form:
            form.task_type = "send_new_invoices"
        self.assertFalse(wizard.previewed, "changing the task type drops the old preview")
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.mapped("res_model"), ["account.move"])
        wizard.action_check_again()
        self.assertEqual(wizard.line_ids.mapped("res_model"), ["account.move"])

    # ------------------------------------------------------------------ problem 1

    def assertBanner(self, *words):
        """Invoices to Send and the wizard's Preview open, empty, with a banner naming the
        dealer's connection, ``words`` (what is wrong) and the way to the connection."""
        action, rows = self.to_send(user=self.accountant)
        self.assertFalse(rows)
        banner = str(action["help"])
        self.assertIn("Xero connection of %s" % self.company.name, banner)
        for word in words:
            self.assertIn(word, banner)
        self.assertIn(
            "/odoo/action-account_xero_sync.action_xero_connection/%s" % self.connection.id,
            banner,
        )
        self.assertNotIn(CLIENT_SECRET, banner)
        wizard = self.Wizard.with_user(self.accountant).create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        wizard.action_preview()
        self.assertIn("Xero connection of %s" % self.company.name, wizard.connection_error)
        for word in words:
            self.assertIn(word, wizard.connection_error)
        self.assertEqual(wizard.preview_summary, "Could not be checked against Xero.")
        self.assertFalse(wizard.checked_label, "never 'checked against Xero' beside it")
        opened = wizard.action_open_connection()
        self.assertEqual(
            (opened["res_model"], opened["res_id"]), ("xero.connection", self.connection.id)
        )
        return wizard

    def test_lists_open_with_a_wrong_client_secret(self):
        self.sale()
        self.connection.client_secret = "not-the-secret"
        self.assertBanner("client id or secret")

    def test_lists_open_with_a_revoked_grant(self):
        self.sale()
        self.connection.auth_mode = "oauth2"
        self.connection._token_record().write(
            {"access_token": False, "refresh_token": "revoked-elsewhere", "expires_at": 0}
        )
        self.assertBanner("grant was revoked or has expired", "Connect to Xero")

    def test_lists_open_when_the_organisation_is_unreachable(self):
        self.sale()
        self.connection.api_url = "http://127.0.0.1:9"  # nothing listens there
        # Another server drops the secret: the Manager types it again (docs/security.md).
        self.connection.client_secret = CLIENT_SECRET
        with mute_logger(GATEWAY_LOGGER):  # the gateway's retries, warned in its log
            self.assertBanner("could not be reached")

    def test_lists_open_at_the_rate_limit(self):
        self.sale()
        self.emulator.fault(kind="429", count=5, problem="day", retry_after=3600)
        wizard = self.assertBanner("daily call limit is reached until")
        self.assertIn(" UTC", wizard.connection_error)

    def test_run_now_at_the_rate_limit_fails_and_sends_nothing_more(self):
        """Run now cannot leave the user waiting for Xero's day: the task fails there and what
        it did not send are errors saying why (a one-off task would wait for its runner)."""
        invoice = self.sale()
        wizard = self.Wizard.create({"task_type": "send_new_invoices"})
        wizard.action_preview()
        self.emulator.fault(kind="429", count=5, problem="day", retry_after=3600, method="PUT")
        task = self.env["xero.task"].browse(wizard.action_run_now()["res_id"])
        self.assertEqual(task.state, "failed")
        self.assertIn("limit is reached", task.message)
        lines = task.line_ids.filtered(lambda ln: ln.res_model == "account.move")
        self.assertEqual(lines.mapped("res_id"), [invoice.id])
        self.assertEqual(lines.outcome, "error", "not left pending: the task will not resume")
        self.assertIn("Not sent", lines.message)
        self.assertFalse(invoice.xero_invoice_id)

    def test_the_banner_goes_once_the_connection_is_fixed(self):
        self.sale()
        self.connection.client_secret = "not-the-secret"
        self.assertBanner("client id or secret")
        self.connection.client_secret = CLIENT_SECRET
        action, rows = self.to_send(user=self.accountant)
        self.assertEqual(rows.mapped("action"), ["create"])
        self.assertIn("checked against Xero at", action["name"])

    # ------------------------------------------------------------------ problem 7 (cost)

    def test_a_list_checked_a_moment_ago_costs_xero_nothing(self):
        """Opening a to-send list again within a few minutes shows the last check and its
        time (no Xero call); Check again, or a record changed in Odoo, checks again."""
        first = self.sale()
        self.run_task("send_new_customers")
        self.emulator.clear_requests()
        action, rows = self.to_send(user=self.accountant)
        calls = len(self.xero_calls())
        self.assertGreaterEqual(calls, 1, "the first opening reads Xero")
        self.assertIn("checked against Xero at", action["name"])
        self.assertEqual(rows.mapped("res_id"), first.ids)

        self.emulator.clear_requests()
        again, rows = self.to_send(user=self.accountant)
        self.assertEqual(self.xero_calls(), [], "opened again: no Xero call")
        self.assertEqual(rows.mapped("res_id"), first.ids)
        self.assertEqual(again["name"], action["name"], "the same check, the same time")
        wizard = self.Wizard.with_user(self.accountant).create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        wizard.action_preview()
        self.assertEqual(self.xero_calls(), [], "the wizard's Preview shares it")
        self.assertEqual(wizard.line_ids.mapped("res_id"), first.ids)

        lines = self.env["xero.bulk.task.wizard.line"].with_user(self.accountant)
        lines.with_context(**again["context"]).action_check_again()
        self.assertEqual(len(self.xero_calls()), calls, "Check again reads Xero again")

        self.emulator.clear_requests()
        second = self.sale()
        _action, rows = self.to_send(user=self.accountant)
        self.assertEqual(len(self.xero_calls()), calls, "a new invoice: checked again")
        self.assertEqual(sorted(rows.mapped("res_id")), (first | second).ids)

        self.emulator.clear_requests()
        with patch.object(xero_bulk_task_wizard, "CHECK_TTL", timedelta(minutes=-1)):
            self.to_send(user=self.accountant)
        self.assertEqual(len(self.xero_calls()), calls, "a check too old: checked again")

    # ------------------------------------------------------------------ problem 3

    def test_preview_and_run_agree_line_for_line(self):
        """Every blocked reason is in the preview as the run then logs it."""
        Partner = self.env["res.partner"]
        self.seed_org(contacts=[{"Name": "Blocked Ltd", "EmailAddress": "accounts@other.example"}])
        blocked_customer = Partner.create({"name": "Blocked Ltd", "email": "me@blocked.example"})
        new_customer = Partner.create({"name": "New Customer Ltd"})
        newer_customer = Partner.create({"name": "Newer Customer Ltd"})
        archived = Partner.create({"name": "Archived Ltd"})
        self.run_task("send_new_customers", self.partner_a)
        moves = {
            "good": self.sale(),
            "unmapped tax": self.sale(taxes=self.levy),
            "blocked customer": self.sale(partner=blocked_customer),
            "new customer": self.sale(partner=new_customer),
            "new customer, unmapped tax": self.sale(partner=newer_customer, taxes=self.levy),
            "currency": self.sale(currency=self.chf),
            "archived customer": self.sale(partner=archived),
        }
        archived.active = False
        expected = {
            "good": ("create", "created", None),
            "unmapped tax": ("blocked", "blocked", "Levy 12%"),
            "blocked customer": ("blocked", "blocked", "Customer Blocked Ltd is blocked"),
            "new customer": ("create", "created", None),
            "new customer, unmapped tax": ("blocked", "blocked", "Levy 12%"),
            "currency": ("blocked", "blocked", "CHF is not enabled"),
            # Archived in Odoo after invoicing: the invoice still goes, its customer with it.
            "archived customer": ("create", "created", None),
        }
        _action, rows = self.to_send(user=self.accountant)
        preview = {row.res_id: row for row in rows}
        for case, move in moves.items():
            self.assertEqual(preview[move.id].action, expected[case][0], case)
        self.assertIn(
            "Customer New Customer Ltd will be created in Xero first",
            preview[moves["new customer"].id].reason,
        )
        task = self.run_task("send_new_invoices")
        for case, move in moves.items():
            line = self.line_of(task, move)
            self.assertEqual(line.outcome, expected[case][1], "%s: %s" % (case, line.message))
            if expected[case][2]:
                self.assertIn(expected[case][2], preview[move.id].reason, case)
                self.assertEqual(line.message, preview[move.id].reason, case)
        self.assertEqual(
            sorted(i["InvoiceNumber"] for i in self.xero("invoices")),
            sorted(moves[c].name for c in ("good", "new customer", "archived customer")),
        )
        # Afterwards the list promises nothing the run would block.
        wizard = self.Wizard.create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        wizard.action_check_again()
        after = {line.res_id: line for line in wizard.line_ids}
        for case, move in moves.items():
            if expected[case][1] == "blocked":
                self.assertEqual(after[move.id].action, "blocked", case)
                self.assertEqual(after[move.id].reason, self.line_of(task, move).message, case)

    def test_payments_preview_knows_the_invoice_is_blocked(self):
        """A payment on an invoice not in Xero yet: its preview says the invoice is sent first,
        or, when the invoice's own plan blocks it, that the payment is blocked, as the run."""
        good, levied = self.sale(), self.sale(taxes=self.levy)
        self.pay(good)
        self.pay(levied)
        _action, rows = self.to_send("send_new_payments", "Payments to Send")
        preview = {row.invoice_id: row for row in rows}
        self.assertEqual(preview[good].action, "create")
        self.assertIn("is sent to Xero first", preview[good].reason)
        self.assertEqual(preview[levied].action, "blocked")
        self.assertIn("Levy 12%", preview[levied].reason)
        task = self.run_task("send_new_payments")
        for move in (good, levied):
            partial = self.env["account.partial.reconcile"].browse(preview[move].res_id)
            line = self.line_of(task, partial)
            self.assertEqual(line.outcome, "created" if move == good else "blocked")
        blocked = self.env["account.partial.reconcile"].browse(preview[levied].res_id)
        self.assertEqual(self.line_of(task, blocked).message, preview[levied].reason)

    # ------------------------------------------------------------------ problem 4

    def test_a_failed_connection_fails_a_one_off_send_with_its_reason(self):
        """A custom connection whose secret is wrong when its token expires: the send ends
        Failed, the reason (the client id or secret, not "authorise again") in its summary and
        on its log line, never left pending; Test connection then shows it on the form."""
        self.connection._access_token()
        self.connection._token_record().write({"client_secret": "not-the-secret", "expires_at": 0})
        task = self.env["xero.task"]._queue(
            self.company, "send_customer", self.partner_a, run_now=True
        )
        self.assertEqual(task.state, "failed")
        self.assertIn("client id or secret", task.summary)
        self.assertNotIn("nothing to do", task.summary)
        self.assertNotIn("authorised again", task.summary)
        line = self.line_of(task, self.partner_a)
        self.assertEqual(line.outcome, "error")
        self.assertIn("client id or secret", line.message)
        self.assertFalse(self.xero("contacts"))
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("client id or secret", action["params"]["message"])
        self.assertEqual(self.connection.state, "bad_credentials")
        self.assertIn("client id or secret", self.connection.last_error)

    # ------------------------------------------------------------------ problem 9

    def test_retry_is_offered_for_errors_only(self):
        nameless = self.env["res.partner"].create(
            {"name": "Nameless", "customer_rank": 1, "company_id": self.company.id}
        )
        self.env.cr.execute("UPDATE res_partner SET name = ' ' WHERE id = %s", [nameless.id])
        nameless.invalidate_recordset(["name"])
        task = self.run_task("send_new_customers")
        self.assertEqual(task.count_blocked, 1)
        self.assertFalse(task.retry_offered, "blocked lines wait for a person, not a retry")
        self.emulator.fault(kind="500", count=10, method="PUT", path="/api.xro/2.0/Contacts")
        fresh = self.env["res.partner"].create({"name": "Fresh Ltd", "company_id": self.company.id})
        failed = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        failed = failed._queue(self.company, "send_customer", fresh, run_now=True)
        self.assertTrue(failed.count_error)
        self.assertTrue(failed.retry_offered)

    def test_fetch_outcomes_say_what_happened_in_odoo(self):
        """Fetch New Payments names its outcomes for what happened in Odoo."""
        invoice = self.sale()
        self.run_task("send_new_invoices")
        (xero_id,) = TestFetchPayments.bank_feed(self, (invoice, 115.0))
        task = self.run_task("fetch_new_payments")
        payment = self.env["account.payment"].search([("xero_import_id", "=", xero_id)])
        self.assertEqual(self.line_of(task, payment).outcome_label, "Imported")
        self.assertIn("1 imported", task.summary)
        self.assertEqual(task.summary_line, "1 imported", "the Tasks list says it the same way")
        self.assertNotIn("created", task.summary.splitlines()[0])
        self.connection._xero_call(
            "delete_payment", payment_id=xero_id, payment_delete={"Status": "DELETED"}
        )
        task = self.run_task("fetch_new_payments")
        self.assertEqual(self.line_of(task, payment).outcome_label, "Reversed")
        self.assertIn("1 reversed", task.summary)
        sent = self.run_task("send_new_customers", self.partner_b)
        self.assertEqual(sent.line_ids.outcome_label, "Created", "sends keep their words")
