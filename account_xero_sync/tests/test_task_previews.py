"""Every task previews what its run will do (issue #23, item 2): Link Existing Xero Records,
Compare with Xero and Fetch New Payments (the tasks that read Xero) and Send All Customers
preview, line for line, what their run then logs (as
``TestScreens.test_preview_and_run_agree_line_for_line`` does for Send New Invoices); the
previews write nothing."""

import time
from unittest.mock import patch

from odoo.tests import tagged

from ..handlers import reader
from ..xero_api.throttle import VirtualClock
from .common import DEMO_TENANT
from .test_onboarding import document
from .test_payments import INVOICE_DATE, PAYMENT_DATE, XeroPaymentCommon

# The preview's word for each outcome the run logs, per task.
SEND_WORDS = {"create": "created", "update": "updated", "skip": "skipped"}
LINK_WORDS = {"link": "linked", "blocked": "blocked", "not_in_xero": "skipped"}
COMPARE_WORDS = {"differs": "error"}
FETCH_WORDS = {
    "import": "created",
    "link": "linked",
    "reverse": "updated",
    "blocked": "blocked",
    "not_imported": "skipped",
}


@tagged("post_install", "-at_install")
class TestTaskPreviews(XeroPaymentCommon):
    def setUp(self):
        super().setUp()
        self.Wizard = self.env["xero.bulk.task.wizard"].with_context(
            xero_clock=VirtualClock(time.time())
        )

    def customer(self, name, **vals):
        return self.env["res.partner"].create(
            {"name": name, "customer_rank": 1, "company_id": self.company.id, **vals}
        )

    def preview(self, task_type):
        """Preview the task in *Add bulk task*, checked against Xero now: the wizard."""
        wizard = self.Wizard.create({"company_id": self.company.id, "task_type": task_type})
        wizard.action_check_again()
        self.assertFalse(wizard.connection_error)
        return wizard

    def writes(self):
        return [
            r
            for r in self.emulator.requests(path="/api.xro/")
            if r["method"] in ("PUT", "POST", "DELETE")
        ]

    def assert_preview_then_run(self, task_type, words, key=None):
        """Preview ``task_type`` (writing nothing in Xero, no task, no log line), run it, and
        check that the preview's rows are the run's lines: same record (``key``), outcome (in
        the preview's words, ``words``) and message. :return: (wizard, task, rows)"""
        key = key or (lambda rec: (rec["model"], rec["id"]))
        tasks = self.env["xero.task"].search_count([])
        self.emulator.clear_requests()
        wizard = self.preview(task_type)
        self.assertFalse(self.writes(), "a preview writes nothing in Xero")
        self.assertEqual(self.env["xero.task"].search_count([]), tasks, "nor a task")
        preview = sorted(
            (
                key({"model": ln.res_model, "id": ln.res_id, "xero_id": ln.xero_id}),
                words[ln.action],
                ln.reason or "",
            )
            for ln in wizard.line_ids
        )
        task = self.run_task(task_type)
        run = sorted(
            (
                key({"model": ln.res_model, "id": ln.res_id, "xero_id": ln.xero_id}),
                ln.outcome,
                ln.message or "",
            )
            for ln in task.line_ids
        )
        self.assertEqual(preview, run)
        return wizard, task, preview

    # ------------------------------------------------------------------ send all customers

    def test_send_all_customers_preview_is_its_run(self):
        """Updated, unchanged and created, as the run logs them (the run skips a customer whose
        contact is what the last send sent: its preview says so, not "Update in Xero")."""
        same = self.customer("Unchanged Ltd", email="same@unchanged.example")
        moved = self.customer("Moved Ltd", email="old@moved.example")
        self.run_task("send_new_customers")
        moved.email = "new@moved.example"
        new = self.customer("New Ltd")
        wizard, _task, rows = self.assert_preview_then_run("send_all_customers", SEND_WORDS)
        outcomes = {rec: (outcome, message) for (rec, outcome, message) in rows}
        self.assertEqual(
            outcomes[("res.partner", same.id)], ("skipped", "Unchanged since the last send.")
        )
        self.assertEqual(outcomes[("res.partner", moved.id)][0], "updated")
        self.assertEqual(outcomes[("res.partner", new.id)][0], "created")
        self.assertIn("Nothing to send: ", wizard.preview_summary)
        contact = next(c for c in self.xero("contacts") if c["ContactID"] == moved.xero_contact_id)
        self.assertEqual(contact["EmailAddress"], "new@moved.example")

    # ------------------------------------------------------------------ link existing

    def test_link_existing_preview_is_its_run(self):
        acme = self.customer("Acme Telecom Ltd")
        charlie = self.customer("Charlie Ltd", email="charlie@odoo.example")
        delta = self.customer("Delta Odoo Only")
        kiwi = self.customer("Kiwi Fibre Ltd")  # typed in Xero with extra spaces
        same = self.invoice(100.0, partner=acme)  # 115.00
        spaced = self.invoice(60.0, partner=kiwi)  # linked by its contact, as the run links
        conflict = self.invoice(200.0, partner=acme)  # 230.00 in Odoo, 5.75 in Xero
        odoo_only = self.invoice(40.0, partner=acme)
        paid = self.pay(same, amount=50.0)  # in Xero too, on the invoice the run links
        unsent = self.pay(odoo_only, amount=10.0)
        self.seed_org(
            contacts=[
                {"Name": "ACME TELECOM LTD"},
                {"Name": "Charlie Ltd", "EmailAddress": "charlie@xero.example"},
                {"Name": "Echo Xero Only"},
                {"Name": "Kiwi  Fibre Ltd "},
            ],
            invoices=[
                document("InvoiceNumber", same.name, "ACME TELECOM LTD", 100.0, Type="ACCREC"),
                document("InvoiceNumber", spaced.name, "Kiwi  Fibre Ltd ", 60.0, Type="ACCREC"),
                document("InvoiceNumber", conflict.name, "ACME TELECOM LTD", 5.0, Type="ACCREC"),
                document("InvoiceNumber", "XO-100", "Echo Xero Only", 70.0, Type="ACCREC"),
            ],
            payments=[
                {
                    "Invoice": {"InvoiceNumber": same.name},
                    "Account": {"Code": "090"},
                    "Date": PAYMENT_DATE,
                    "Amount": 50.0,
                }
            ],
        )
        wizard, task, rows = self.assert_preview_then_run("link_existing_records", LINK_WORDS)
        expected = {
            acme: "linked",
            charlie: "blocked",
            delta: "skipped",
            kiwi: "linked",
            same: "linked",
            spaced: "linked",
            conflict: "blocked",
            odoo_only: "skipped",
            self.allocations(paid): "linked",
            self.allocations(unsent): "skipped",
        }
        self.assertEqual(
            {(rec, outcome) for (rec, outcome, _m) in rows},
            {((r._name, r.id), outcome) for r, outcome in expected.items()},
        )
        summary = wizard.preview_summary
        self.assertIn("Link to existing: 5", summary)
        self.assertIn("Blocked: 2", summary)
        self.assertIn("Not in Xero: 3", summary)
        # What only Xero has: the run's report, word for word, under the preview.
        self.assertIn("XO-100 (Echo Xero Only, 80.5)", wizard.preview_note)
        self.assertEqual(wizard.preview_note, task.report)

    def test_link_existing_preview_writes_nothing(self):
        acme = self.customer("Acme Telecom Ltd")
        same = self.invoice(100.0, partner=acme)
        self.seed_org(
            contacts=[{"Name": "Acme Telecom Ltd"}],
            invoices=[
                document("InvoiceNumber", same.name, "Acme Telecom Ltd", 100.0, Type="ACCREC")
            ],
        )
        wizard = self.preview("link_existing_records")
        self.assertEqual(wizard.line_ids.mapped("action"), ["link", "link"])
        self.env.invalidate_all()
        self.assertFalse(acme.xero_contact_id, "previewed, not linked")
        self.assertFalse(same.xero_invoice_id)
        self.assertFalse(self.env["xero.task.line"].search_count([]))

    # ------------------------------------------------------------------ compare

    def test_compare_preview_is_its_run(self):
        paid_in_xero = self.invoice(100.0)  # 115.00
        voided_in_xero = self.invoice(200.0)
        aligned = self.invoice(40.0)
        gone = self.invoice(30.0)
        self.run_task("send_new_invoices")
        self.bank_feed((paid_in_xero, 50.0))
        self.connection._xero_call(
            "update_or_create_invoices",
            invoices={
                "Invoices": [{"InvoiceID": voided_in_xero.xero_invoice_id, "Status": "VOIDED"}]
            },
        )
        # Linked to an invoice Xero does not have (deleted from the organisation).
        gone.xero_invoice_id = "00000000-0000-4000-8000-0000000000aa"
        wizard, task, rows = self.assert_preview_then_run("compare_with_xero", COMPARE_WORDS)
        self.assertEqual(
            {rec for (rec, _o, _m) in rows},
            {("account.move", m.id) for m in (paid_in_xero, voided_in_xero, gone)},
        )
        self.assertNotIn(("account.move", aligned.id), {rec for (rec, _o, _m) in rows})
        self.assertIn(("amount due: Odoo 115.0, Xero 65.0"), [m for (_r, _o, m) in rows])
        self.assertEqual(wizard.preview_summary, "Differs from Xero: 3")
        self.assertEqual(wizard.preview_note, task.report)

    def test_a_large_organisation_preview_says_what_it_left_to_the_run(self):
        """Xero has more documents than the preview reads: it shows what the first page says,
        and says the run reads them all (pages of 2 here, of 1,000 in production)."""
        moves = [self.invoice(amount) for amount in (10.0, 20.0, 30.0)]
        self.run_task("send_new_invoices")
        moves[0].xero_invoice_id = "00000000-0000-4000-8000-0000000000aa"  # Xero has none
        with patch.object(reader, "DOCUMENTS_PAGE", 2):
            self.emulator.clear_requests()
            wizard = self.preview("compare_with_xero")
            pages = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
            self.assertEqual(len(pages), 1, "one page read")
            self.assertFalse(wizard.line_ids, "Xero's missing one may be on a page not read")
            self.assertIn(
                "Xero has more invoices than the preview reads (2): the preview shows what the "
                "first 2 say; the run reads them all.",
                wizard.preview_note,
            )
            task = self.run_task("compare_with_xero")
        self.assertEqual(task.line_ids.res_id, moves[0].id, "the run reads every page")

    def test_a_reader_preview_is_shown_again_until_odoo_changes(self):
        """A preview checked a moment ago is shown again, note included, without reading
        Xero; a change in Odoo to what it covers makes the next one check again."""
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        self.bank_feed((invoice, 50.0))
        first = self.Wizard.create(
            {"company_id": self.company.id, "task_type": "compare_with_xero"}
        )
        first.action_preview()
        self.assertEqual(first.line_ids.action, "differs")
        self.emulator.clear_requests()
        again = self.Wizard.create(
            {"company_id": self.company.id, "task_type": "compare_with_xero"}
        )
        again.action_preview()
        self.assertFalse(self.emulator.requests(path="/api.xro/"), "shown again: no Xero call")
        self.assertEqual(again.checked_at, first.checked_at)
        self.assertEqual(again.preview_note, first.preview_note)
        self.assertEqual(again.line_ids.reason, first.line_ids.reason)
        self.pay(invoice, amount=50.0)  # Odoo's amount due now agrees
        later = self.Wizard.create(
            {"company_id": self.company.id, "task_type": "compare_with_xero"}
        )
        later.action_preview()
        self.assertTrue(self.emulator.requests(path="/api.xro/"), "checked again")
        self.assertFalse(later.line_ids)
        self.assertEqual(later.preview_summary, "Nothing to do.")
        self.assertIn("Odoo and Xero agree.", later.preview_note)

    # ------------------------------------------------------------------ fetch

    def test_fetch_preview_is_its_run(self):
        part = self.invoice(100.0)  # 115.00
        full = self.invoice(200.0)  # 230.00
        twin = self.invoice(50.0)  # 57.50
        deleted = self.invoice(10.0)  # 11.50
        self.run_task("send_new_invoices")
        (gone,) = self.bank_feed((deleted, 11.5))
        self.run_task("fetch_new_payments")
        self.connection._xero_call(
            "delete_payment", payment_id=gone, payment_delete={"Status": "DELETED"}
        )
        self.pay(twin, amount=20.0)  # the same receipt, not sent yet: linked
        self.seed_org(
            contacts=[{"Name": "Xero Only Ltd"}],
            invoices=[
                dict(
                    document("InvoiceNumber", "XO-1", "Xero Only Ltd", 50.0, Type="ACCREC"),
                    Date=INVOICE_DATE,
                )
            ],
        )
        xero_only = next(i for i in self.xero("invoices") if i["InvoiceNumber"] == "XO-1")
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": DEMO_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": xero_only["InvoiceID"]},
                        "Account": {"Code": "090"},
                        "Date": PAYMENT_DATE,
                        "Amount": 20.0,
                        "Reference": "not ours",
                    }
                ],
            },
        )
        imported = self.bank_feed((part, 40.0), (full, 230.0, "DD 42"), (twin, 20.0))
        (unmapped,) = self.bank_feed((part, 15.0, "savings", "091"))
        mark = self.connection.payments_fetched_until
        wizard, task, rows = self.assert_preview_then_run(
            "fetch_new_payments", FETCH_WORDS, key=lambda rec: rec["xero_id"]
        )
        outcomes = {xero_id: outcome for (xero_id, outcome, _m) in rows}
        self.assertEqual(
            outcomes,
            {
                imported[0]: "created",
                imported[1]: "created",
                imported[2]: "linked",
                unmapped: "blocked",
                gone: "updated",
                **{
                    p["PaymentID"]: "skipped"
                    for p in self.xero_payments()
                    if p["Invoice"]["InvoiceID"] == xero_only["InvoiceID"]
                },
            },
        )
        # The preview moved no mark and queued no retry: the run did.
        self.assertGreater(self.connection.payments_fetched_until, mark)
        self.assertEqual(self.connection.payments_fetch_retry_ids, [unmapped])
        self.assertIn("Import from Xero: 2", wizard.preview_summary)
        self.assertIn(task.report.splitlines()[0], wizard.preview_note)

    def test_fetch_preview_writes_nothing(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        self.bank_feed((invoice, 40.0), (invoice, 15.0, "savings", "091"))
        wizard = self.preview("fetch_new_payments")
        self.assertEqual(sorted(wizard.line_ids.mapped("action")), ["blocked", "import"])
        self.env.invalidate_all()
        self.assertFalse(self.connection.payments_fetched_until)
        self.assertFalse(self.connection.payments_fetch_retry_ids)
        self.assertFalse(self.env["account.payment"].search([("xero_import_id", "!=", False)]))
        self.assertEqual(invoice.payment_state, "not_paid")
