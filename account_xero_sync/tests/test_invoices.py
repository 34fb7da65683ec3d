import io
import threading
import time
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.account_xero_sync.handlers import org_index
from odoo.addons.account_xero_sync.models import wkhtmltopdf_pool
from odoo.addons.account_xero_sync.xero_api.throttle import VirtualClock

from .common import DEMO_TENANT, XeroAccountingCommon


def pdf_text(content):
    """The text of a PDF (bytes, or the path of a file holding it)."""
    if isinstance(content, str):
        with open(content, "rb") as pdf:
            content = pdf.read()
    reader = PdfFileReader(io.BytesIO(content))
    return " ".join(page.extract_text() for page in reader.pages)


class XeroInvoiceCommon(XeroAccountingCommon, AccountTestInvoicingCommon):
    """A dealer with a chart of accounts, mapped to the emulator's organisation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = cls.setup_other_currency("AUD", rates=[("2019-01-01", 2.0)])
        # wkhtmltopdf loads the report's CSS from this URL: nothing listens there in tests, so
        # it renders at once without it instead of waiting for a server.
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    def invoice(self, amounts, taxes=None, partner=None, currency=None, post=True):
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.partner_a,
            amounts=amounts,
            taxes=taxes if taxes is not None else self.tax_sale_a,
            currency=currency,
            post=post,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )

    def run_task(self, task_type, records=None):
        return self.run_xero_task(self.company, task_type, records)

    def xero_invoice(self, move):
        return next(
            i
            for i in self.emulator.state(DEMO_TENANT)["invoices"]
            if i["InvoiceID"] == move.xero_invoice_id
        )

    def line_of(self, task, record):
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == record._name and ln.res_id == record.id
        )
        self.assertEqual(len(line), 1)
        return line


@tagged("post_install", "-at_install")
class TestInvoices(XeroInvoiceCommon):
    def test_send_new_invoices_lines_accounts_taxes_totals(self):
        inv = self.invoice([100.0, 55.55])
        inv2 = self.invoice([10.0], partner=self.partner_b)
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        # The customers were sent first, in the same task.
        self.assertTrue(self.partner_a.xero_contact_id and self.partner_b.xero_contact_id)
        self.assertEqual(self.line_of(task, self.partner_b).outcome, "created")
        xero = self.xero_invoice(inv)
        self.assertEqual(xero["InvoiceNumber"], inv.name)
        self.assertEqual(xero["Type"], "ACCREC")
        self.assertEqual(xero["Status"], "AUTHORISED")
        self.assertEqual(xero["Contact"]["ContactID"], self.partner_a.xero_contact_id)
        self.assertEqual([li["AccountCode"] for li in xero["LineItems"]], ["200", "200"])
        self.assertEqual([li["TaxType"] for li in xero["LineItems"]], ["OUTPUT2", "OUTPUT2"])
        self.assertEqual([li["UnitAmount"] for li in xero["LineItems"]], [100.0, 55.55])
        self.assertAlmostEqual(xero["Total"], inv.amount_total, places=2)
        self.assertAlmostEqual(xero["TotalTax"], inv.amount_tax, places=2)
        self.assertEqual(self.line_of(task, inv2).outcome, "created")
        # A rerun sends nothing.
        self.emulator.clear_requests()
        again = self.run_task("send_new_invoices")
        self.assertEqual(again.count_total, 0)
        self.assertFalse(self.emulator.requests(method="PUT"))

    def test_rounding_global_and_foreign_currency_totals_equal(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        odd = self.invoice([0.10, 0.10, 0.10])
        many = self.invoice([0.33, 1.17, 2.21, 4.45, 9.99])
        foreign = self.invoice([123.45, 0.07], currency=self.other_currency)
        self.company.tax_calculation_rounding_method = "round_per_line"
        per_line = self.invoice([0.10, 0.10, 0.10])
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.count_error, 0, task.line_ids.mapped("message"))
        for move in odd | many | foreign | per_line:
            xero = self.xero_invoice(move)
            self.assertAlmostEqual(xero["Total"], move.amount_total, places=2, msg=move.name)
            self.assertAlmostEqual(xero["TotalTax"], move.amount_tax, places=2, msg=move.name)
        self.assertEqual(self.xero_invoice(foreign)["CurrencyCode"], "AUD")
        self.assertNotEqual(odd.amount_tax, per_line.amount_tax, "the rounding really differs")

    def test_blocked_cases_rest_goes_through(self):
        unmapped_tax = self.tax_sale_a.copy({"name": "Unmapped 15%"})
        no_tax_mapping = self.invoice([50.0], taxes=unmapped_tax)
        eur = self.setup_other_currency("EUR", rates=[("2019-01-01", 1.5)])
        disabled_currency = self.invoice([20.0], currency=eur)
        zero = self.invoice([0.0])
        archived_partner = self.env["res.partner"].create({"name": "Archived In Xero"})
        archived = self.invoice([30.0], partner=archived_partner)
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "contacts": [{"Name": "Archived In Xero", "ContactStatus": "ARCHIVED"}],
                    }
                ]
            },
        )
        good = self.invoice([40.0])
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, good).outcome, "created")
        for move, words in (
            (no_tax_mapping, "Unmapped 15%"),
            (disabled_currency, "EUR"),
            (zero, "Zero"),
            (archived, "rchived"),
        ):
            line = self.line_of(task, move)
            self.assertEqual(line.outcome, "blocked", move.name)
            self.assertIn(words, line.message)
            self.assertFalse(move.xero_invoice_id)
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["invoices"]), 1)

    def test_unmapped_account_blocks_and_names_it(self):
        self.connection.mapping_ids.filtered(lambda m: m.kind == "account").unlink()
        move = self.invoice([10.0])
        task = self.run_task("send_new_invoices")
        line = self.line_of(task, move)
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(move.invoice_line_ids.account_id.display_name, line.message)

    def test_drop_after_write_rerun_links(self):
        """Every answer to the create is lost: the next step finds the invoices by number."""
        moves = self.invoice([10.0]) | self.invoice([20.0]) | self.invoice([30.0])
        self.run_task("send_new_customers")
        self.emulator.fault(
            kind="drop_after_write", count=100, method="PUT", path="/api.xro/2.0/Invoices"
        )
        with mute_logger("odoo.addons.account_xero_sync.xero_api.client"):
            task = self.run_task("send_new_invoices")
        self.assertEqual((task.count_created, task.count_linked), (0, 3))
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["invoices"]), 3, "no duplicate")
        self.assertTrue(all(moves.mapped("xero_invoice_id")))
        self.emulator.control("DELETE", "faults")
        self.assertEqual(self.run_task("send_new_invoices").count_total, 0)

    def test_server_error_after_write_rechecked_not_replayed(self):
        """Xero makes the invoices, answers 500 and keeps that 500 under the key: the next
        step reads them back by number and links them (totals checked), never a duplicate."""
        moves = self.invoice([10.0]) | self.invoice([20.0])
        self.run_task("send_new_customers")
        self.emulator.fault(
            kind="500_after_write", count=1, method="PUT", path="/api.xro/2.0/Invoices"
        )
        with mute_logger("odoo.addons.account_xero_sync.tasks.xero_task_runner"):
            task = self.run_task("send_new_invoices")
        self.assertEqual((task.state, task.count_linked), ("done", 2))
        xero = self.emulator.state(DEMO_TENANT)["invoices"]
        self.assertEqual(len(xero), 2, "no duplicate")
        self.assertEqual(
            sorted((i["InvoiceID"], i["Total"]) for i in xero),
            sorted((m.xero_invoice_id, m.amount_total) for m in moves),
        )
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(puts), 1)

    def test_xero_warnings_kept_on_the_log_line(self):
        """An item Xero writes with a WARNING is created, and the warning is on its log line
        (not dropped): the accountant reads what Xero said."""
        move = self.invoice([10.0])
        self.run_task("send_new_customers")
        self.emulator.fault(
            kind="warning",
            count=1,
            method="PUT",
            path="/api.xro/2.0/Invoices",
            message="Rounding was applied to the tax of line 1.",
        )
        line = self.line_of(self.run_task("send_new_invoices"), move)
        self.assertEqual(line.outcome, "created")
        self.assertIn("Xero warns: Rounding was applied to the tax of line 1.", line.message)
        self.assertTrue(move.xero_invoice_id)

    def test_existing_number_linked_other_total_blocked(self):
        same = self.invoice([100.0])
        other = self.invoice([200.0])
        self.run_task("send_new_customers")
        contact = self.partner_a.xero_contact_id
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "invoices": [
                            {
                                "Type": "ACCREC",
                                "InvoiceNumber": same.name,
                                "Contact": {"ContactID": contact},
                                "Status": "AUTHORISED",
                                "Date": "2026-10-31",
                                "DueDate": "2026-11-30",
                                "LineAmountTypes": "Exclusive",
                                "LineItems": [
                                    {
                                        "Description": "x",
                                        "Quantity": 1,
                                        "UnitAmount": 100.0,
                                        "AccountCode": "200",
                                        "TaxType": "OUTPUT2",
                                    }
                                ],
                            },
                            {
                                "Type": "ACCREC",
                                "InvoiceNumber": other.name,
                                "Contact": {"ContactID": contact},
                                "Status": "AUTHORISED",
                                "Date": "2026-10-31",
                                "DueDate": "2026-11-30",
                                "LineAmountTypes": "Exclusive",
                                "LineItems": [
                                    {
                                        "Description": "y",
                                        "Quantity": 1,
                                        "UnitAmount": 5.0,
                                        "AccountCode": "200",
                                        "TaxType": "OUTPUT2",
                                    }
                                ],
                            },
                        ],
                    }
                ]
            },
        )
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, same).outcome, "linked")
        self.assertEqual(self.line_of(task, other).outcome, "blocked")
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["invoices"]), 2)

    def test_many_numbers_taken_read_the_organisation_once(self):
        """A tenth of a two-batch task already in Xero (a dealer's history): each batch is
        created first; the numbers Xero refuses are found in one read of the organisation's
        invoices (cheaper than a look-up per batch) and linked, the rest created."""
        moves = self.env["account.move"]
        for i in range(60):
            moves |= self.invoice([10.0 + i])
        self.run_task("send_new_customers")
        existing = moves[5] | moves[15] | moves[25] | moves[35] | moves[52] | moves[58]
        line = {"Quantity": 1, "AccountCode": "200", "TaxType": "OUTPUT2"}
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "invoices": [
                            {
                                "Type": "ACCREC",
                                "InvoiceNumber": move.name,
                                "Contact": {"ContactID": self.partner_a.xero_contact_id},
                                "Status": "AUTHORISED",
                                "Date": "2026-10-31",
                                "DueDate": "2026-11-30",
                                "LineAmountTypes": "Exclusive",
                                "LineItems": [
                                    dict(line, Description="x", UnitAmount=move.amount_untaxed)
                                ],
                            }
                            for move in existing
                        ],
                    }
                ]
            },
        )
        self.emulator.clear_requests()
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual({self.line_of(task, m).outcome for m in existing}, {"linked"})
        self.assertEqual({self.line_of(task, m).outcome for m in moves - existing}, {"created"})
        invoices = self.emulator.state(DEMO_TENANT)["invoices"]
        self.assertEqual(len(invoices), 60)
        self.assertEqual(len({i["InvoiceNumber"] for i in invoices}), 60)
        for move in moves:
            self.assertAlmostEqual(float(self.xero_invoice(move)["Total"]), move.amount_total, 2)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual([r["query"].get("pageSize") for r in reads], ["1000"])
        self.assertNotIn("InvoiceNumbers", reads[0]["query"])
        self.assertEqual(len(self.emulator.requests(method="PUT", path="/api.xro")), 2)

    def test_a_process_remembers_its_last_tasks_only(self):
        """A long-lived worker sends a batch of thousands of tasks over months: it knows a task's
        first batch (which reads what changed in Xero) but keeps only the last tasks in memory."""
        org_index.forget()
        tasks = self.env["xero.task"].browse(range(1, org_index._KEEP_TASKS + 2))
        self.assertTrue(org_index.first_batch(tasks[0]))
        self.assertFalse(org_index.first_batch(tasks[0]), "the same task's second batch")
        for task in tasks[1:]:
            self.assertTrue(org_index.first_batch(task))
        self.assertEqual(len(org_index._TASKS), org_index._KEEP_TASKS)
        self.assertFalse(org_index.first_batch(tasks[-1]))
        self.assertTrue(org_index.first_batch(tasks[0]), "the oldest was forgotten")

    def test_one_off_update_unpaid_and_paid(self):
        move = self.invoice([100.0])
        move.action_xero_send()
        move.with_context(skip_readonly_check=True).ref = "PO-778"
        move.action_xero_send()
        self.assertEqual(self.xero_invoice(move)["Reference"], "PO-778")
        # Paid in Xero: only the editable fields go; the log says what could not be sent.
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": DEMO_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": move.xero_invoice_id},
                        "Account": {"Code": "090"},
                        "Date": "2026-11-01",
                        "Amount": 20.0,
                    }
                ],
            },
        )
        move.button_draft()
        move.invoice_line_ids.price_unit = 120.0
        move.ref = "PO-779"
        move.action_post()
        task = self.env["xero.task"].browse(move.action_xero_send()["res_id"])
        line = self.line_of(task, move)
        self.assertEqual(line.outcome, "updated", line.message)
        self.assertIn("could not be sent", line.message)
        self.assertIn("UnitAmount", line.message)
        xero = self.xero_invoice(move)
        self.assertEqual(xero["Reference"], "PO-779")
        self.assertEqual(xero["LineItems"][0]["UnitAmount"], 100.0)

    def test_an_unpaid_update_logs_what_was_sent(self):
        """An invoice not paid in Xero gets every change: its log line never says "Paid in
        Xero: these changes could not be sent" (issue #23: a retry said so of an unpaid one)."""
        move = self.invoice([100.0])
        move.action_xero_send()
        move.button_draft()
        move.invoice_line_ids.price_unit = 120.0
        move.action_post()
        task = self.env["xero.task"].browse(move.action_xero_send()["res_id"])
        line = self.line_of(task, move)
        self.assertEqual(line.outcome, "updated", line.message)
        self.assertNotIn("could not be sent", line.message or "")
        self.assertNotIn("Paid in Xero", line.message or "")
        xero = self.xero_invoice(move)
        self.assertEqual(xero["LineItems"][0]["UnitAmount"], 120.0)
        self.assertEqual((xero["Status"], float(xero.get("AmountPaid") or 0)), ("AUTHORISED", 0.0))

    def test_load_mappings_from_xero(self):
        """Load from Xero maps income accounts by code and taxes by rate, and never adds a
        catch-all default: an account Xero has no code for stays unmapped, and is listed."""
        self.connection.mapping_ids.filtered(lambda m: m.kind in ("account", "tax")).unlink()
        sales = self.company_data["default_journal_sale"].default_account_id
        other_income = self.env["account.account"].create(
            {"code": "499999", "name": "Other Income", "account_type": "income_other"}
        )
        self.seed_org(accounts=[{"Code": sales.code, "Name": "Sales", "Type": "REVENUE"}])
        action = self.connection.action_load_mappings_from_xero()
        codes = self.connection.code_ids
        self.assertIn("200", codes.filtered(lambda c: c.kind == "account").mapped("code"))
        self.assertIn("OUTPUT2", codes.filtered(lambda c: c.kind == "tax").mapped("code"))
        self.assertTrue(codes.filtered(lambda c: c.kind == "bank"))
        mappings = self.connection.mapping_ids
        self.assertFalse(mappings.filtered("is_default"), "never a default")
        self.assertFalse(mappings.filtered(lambda m: m.kind == "account" and not m.account_id))
        account = mappings.filtered(lambda m: m.account_id == sales)
        self.assertEqual(account.xero_code, sales.code, "mapped by its code")
        self.assertFalse(mappings.filtered(lambda m: m.account_id == other_income))
        self.assertIn(other_income.code, action["params"]["message"])
        tax = mappings.filtered(lambda m: m.kind == "tax" and m.tax_id == self.tax_sale_a)
        self.assertEqual(tax.xero_code, "OUTPUT2", "15% maps to Xero's 15% rate")
        move = self.invoice([10.0])
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, move).outcome, "created")
        self.assertEqual(self.xero_invoice(move)["LineItems"][0]["AccountCode"], sales.code)

    def test_one_off_send_needs_the_right_to_read_the_invoice(self):
        """A Xero User sends an invoice it may read from the Action menu; the run is the
        system's (the customer is sent too, without partner rights being asked). A Xero User
        without accounting rights may not read invoices, so cannot aim a task at one."""
        plain = new_test_user(
            self.env,
            "plain_xero_user",
            groups="base.group_user,account_xero_sync.group_xero_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        billing = new_test_user(
            self.env,
            "billing_xero_user",
            groups="base.group_user,account.group_account_invoice,"
            "account_xero_sync.group_xero_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        move = self.invoice([10.0])
        action = self.env.ref("account_xero_sync.action_xero_send_invoice")
        context = {"active_model": "account.move", "active_ids": move.ids, "active_id": move.id}
        with self.assertRaises(AccessError):
            action.with_user(plain).with_context(**context).run()
        self.assertFalse(self.env["xero.task"].search([("task_type", "=", "send_invoice")]))
        result = action.with_user(billing).with_context(**context).run()
        task = self.env["xero.task"].browse(result["res_id"])
        self.assertEqual(task.user_id, billing)
        self.assertEqual(self.line_of(task, move).outcome, "created")
        self.assertEqual(self.line_of(task, self.partner_a).outcome, "created")
        self.assertTrue(move.xero_invoice_id)

    def test_void_cancelled_invoice(self):
        move = self.invoice([100.0])
        move.action_xero_send()
        move.button_draft()
        move.button_cancel()
        move.action_xero_send()
        self.assertEqual(self.xero_invoice(move)["Status"], "VOIDED")
        self.assertEqual(move.xero_sync_state, "voided")


@tagged("post_install", "-at_install")
class TestInvoicePdfs(XeroInvoiceCommon):
    def test_pdf_attached_once_then_again_when_changed(self):
        move = self.invoice([100.0])
        self.run_task("send_new_invoices")
        task = self.run_task("send_invoice_pdfs")
        self.assertEqual(self.line_of(task, move).outcome, "created", task.line_ids.message)
        attachments = self.emulator.state(DEMO_TENANT)["attachments"][move.xero_invoice_id]
        self.assertEqual(len(attachments), 1)
        self.assertTrue(attachments[0]["IncludeOnline"])
        self.assertEqual(move.xero_pdf_name, attachments[0]["FileName"])
        self.emulator.clear_requests()
        again = self.run_task("send_invoice_pdfs")
        self.assertEqual(again.count_total, 0, "a rerun sends nothing new")
        self.assertFalse([r for r in self.emulator.requests() if "Attachments" in r["path"]])
        move.button_draft()
        move.invoice_line_ids.name = "Changed description"
        move.action_post()
        changed = self.run_task("send_invoice_pdfs")
        self.assertEqual(self.line_of(changed, move).outcome, "updated")
        attachments = self.emulator.state(DEMO_TENANT)["attachments"][move.xero_invoice_id]
        self.assertEqual(len(attachments), 1)

    def test_a_fetch_queued_behind_pdfs_runs_at_the_runners_next_step(self):
        """Send Invoice PDFs is background work, Fetch New Payments urgent (#25): a fetch queued
        while the PDFs are being sent runs at the dealer runner's next step; the PDF task then
        goes on where it was, and each PDF reaches Xero exactly once."""
        moves = self.env["account.move"].browse([self.invoice([10.0 + n]).id for n in range(6)])
        self.run_task("send_new_invoices")
        Task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        pdfs = Task._queue(self.company, "send_invoice_pdfs")
        handler = type(self.env["xero.handler.invoice.pdfs"])
        with patch.object(handler, "_step_size", lambda _self, _task, _mode: 2):
            while not pdfs.count_done:
                Task._cron_run_tasks(self.connection.id)  # one step of the dealer's runner
            self.assertEqual((pdfs.state, pdfs.count_done), ("running", 2))
            fetch = Task._queue(self.company, "fetch_new_payments")
            self.assertEqual(fetch.priority, "urgent")
            self.assertEqual(pdfs.priority, "background")
            Task._cron_run_tasks(self.connection.id)
            self.assertNotEqual(fetch.state, "queued", "the fetch ran at the next step")
            self.assertEqual(pdfs.count_done, 2, "the PDFs waited meanwhile")
            self.run_runner(self.connection)
        self.assertEqual(fetch.state, "done", fetch.summary)
        self.assertEqual((pdfs.state, pdfs.count_created), ("done", 6), pdfs.summary)
        self.assertLess(fetch.date_finished, pdfs.date_finished)
        for move in moves:
            self.assertEqual(len(self.attachments_of(move)), 1, move.name)
            self.assertEqual(len(self.pdf_requests(move, "PUT")), 1, "sent once")

    def test_a_fetch_queued_behind_hundreds_of_pdfs_is_served_at_the_next_step(self):
        """Issue #25 at the size it was filed for: a Send Invoice PDFs task of 200 invoices is
        sending (one upload per call, a step as many as Xero's minute takes) when Fetch New
        Payments is queued; the dealer runner's next step is the fetch, which imports the
        payment made in Xero; then the PDFs go on, and each of the 200 reaches Xero exactly
        once. The invoices' PDFs are the ones Odoo keeps after Send & Print (rendering 200
        here would only measure wkhtmltopdf; Xero's minute, which a real runner waits for,
        is test_budget's subject: here the organisation takes 1,000 calls a minute)."""
        self.emulator.control("POST", "limits", {"per_minute": 1000})
        moves = self.env["account.move"].browse(
            [self.invoice([10.0 + n / 100]).id for n in range(200)]
        )
        self.run_task("send_new_invoices")
        self.env["ir.attachment"].create(
            [
                {
                    "name": "%s.pdf" % move.name.replace("/", "_"),
                    "raw": b"%PDF-1.4 stored invoice " + move.name.encode(),
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": move.id,
                    "res_field": "invoice_pdf_report_file",
                }
                for move in moves
            ]
        )
        moves.invalidate_recordset(["invoice_pdf_report_id", "invoice_pdf_report_file"])
        paid = moves[137]
        Task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        pdfs = Task._queue(self.company, "send_invoice_pdfs")
        Task._cron_run_tasks(self.connection.id)  # the runner's first step: PDFs
        sent = pdfs.count_done
        self.assertTrue(0 < sent < 200, "one step sends part of the PDFs: %s" % sent)
        payment = {
            "Invoice": {"InvoiceID": paid.xero_invoice_id},
            "Account": {"Code": "090"},
            "Date": "2026-11-01",
            "Amount": 10.0,
        }  # a payment arrives in Xero meanwhile
        body = {"tenant_id": DEMO_TENANT, "payments": [payment]}
        self.emulator.control("POST", "bank_payments", body)
        fetch = Task._queue(self.company, "fetch_new_payments")
        Task._cron_run_tasks(self.connection.id)  # the runner's next step is the fetch's
        self.assertNotEqual(fetch.state, "queued", "the fetch ran at the next step")
        for _step in range(10):  # and the steps after it, until it is done
            self.assertEqual(pdfs.count_done, sent, "the PDFs waited for the fetch")
            if fetch.state != "running":
                break
            Task._cron_run_tasks(self.connection.id)
        self.assertEqual(fetch.state, "done", fetch.summary)
        self.assertEqual(paid.payment_state, "partial", "the payment made in Xero is in Odoo")
        self.run_runner(self.connection)
        self.assertEqual((pdfs.state, pdfs.count_created), ("done", 200), pdfs.summary)
        puts = {}
        for request in self.emulator.requests("PUT"):
            if "/Attachments/" in request["path"]:
                puts[request["path"]] = puts.get(request["path"], 0) + 1
        self.assertEqual(len(puts), 200, "one upload per invoice")
        self.assertEqual(set(puts.values()), {1}, "each PDF sent exactly once")
        for move in moves:
            self.assertEqual(len(self.attachments_of(move)), 1, move.name)

    def test_missing_wkhtmltopdf_reported(self):
        move = self.invoice([100.0])
        self.run_task("send_new_invoices")
        with patch.object(
            type(self.env["ir.actions.report"]), "get_wkhtmltopdf_state", return_value="install"
        ):
            task = self.run_task("send_invoice_pdfs")
        line = self.line_of(task, move)
        self.assertEqual(line.outcome, "error")
        self.assertIn("wkhtmltopdf", line.message)
        self.assertFalse(
            self.emulator.state(DEMO_TENANT).get("attachments", {}).get(move.xero_invoice_id)
        )

    def pdf_requests(self, move, method=None):
        path = "/api.xro/2.0/Invoices/%s/Attachments" % move.xero_invoice_id
        return [r for r in self.emulator.requests(method) if r["path"].startswith(path)]

    def attachments_of(self, move):
        return self.emulator.state(DEMO_TENANT).get("attachments", {}).get(move.xero_invoice_id)

    def test_one_bad_pdf_marks_only_its_invoice(self):
        good, unrenderable, gone, good2 = moves = [self.invoice([10.0 * n]) for n in range(1, 5)]
        self.run_task("send_new_invoices")
        gone.xero_invoice_id = "0d6a9b6e-0000-4000-8000-00000000dead"  # deleted in Xero
        Report = type(self.env["ir.actions.report"])
        render = Report._render_qweb_html
        calls = []

        def render_html(report, report_ref, docids, data=None):
            calls.append(list(docids))
            if unrenderable.id in docids:
                # As Odoo's report does: a UserError with a translated message.
                raise UserError(report.env._("wkhtmltopdf failed"))
            return render(report, report_ref, docids, data=data)

        # Rendering the report (the QWeb rendering that comes before any wkhtmltopdf run).
        with patch.object(Report, "_render_qweb_html", render_html):
            task = self.run_task("send_invoice_pdfs")
        # One rendering for the step; after its failure, one per invoice.
        self.assertEqual(calls[0], [move.id for move in moves])
        self.assertEqual(len(calls), 5)
        self.assertEqual(task.state, "done_with_errors")
        line = self.line_of(task, unrenderable)
        self.assertEqual(line.outcome, "error")
        self.assertIn("wkhtmltopdf failed", line.message)
        self.assertEqual(self.line_of(task, gone).outcome, "error")
        self.assertFalse(self.attachments_of(unrenderable))
        for move in (good, good2):
            self.assertEqual(self.line_of(task, move).outcome, "created")
            self.assertEqual(len(self.attachments_of(move)), 1)
            self.assertEqual(len(self.pdf_requests(move, "PUT")), 1)

    def test_pdfs_rendered_several_at_once_each_its_own(self):
        """With a wkhtmltopdf that cannot render several invoices in one run (Debian's, on
        unpatched Qt; #25), a step's PDFs are rendered by runs side by side, at most
        ``PDF_PROCESSES`` at once, and each invoice gets its own PDF in Xero."""
        moves = [self.invoice([10.0 * n]) for n in range(1, 7)]
        self.run_task("send_new_invoices")
        runs, live, lock = [], [0], threading.Lock()
        real_run = wkhtmltopdf_pool.subprocess.run

        def timed_run(command, **kwargs):
            if "wkhtmltopdf" not in command[0] or "--version" in command:
                return real_run(command, **kwargs)
            with lock:
                live[0] += 1
                runs.append((command, live[0]))
            try:
                return real_run(command, **kwargs)
            finally:
                with lock:
                    live[0] -= 1

        with patch.object(wkhtmltopdf_pool.subprocess, "run", timed_run):
            several = wkhtmltopdf_pool.renders_several_per_run()
            task = self.run_task("send_invoice_pdfs")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        if several:  # a build on patched Qt: one run for the step, split by Odoo
            self.assertFalse(runs)
        else:
            self.assertEqual(len(runs), len(moves), "one run per invoice")
            most = max(at_once for _command, at_once in runs)
            self.assertGreater(most, 1, "runs side by side")
            self.assertLessEqual(most, wkhtmltopdf_pool.PDF_PROCESSES)
        for move in moves:
            (attachment,) = self.attachments_of(move)
            self.assertEqual(attachment["FileName"], move.xero_pdf_name)
            content = self.connection._xero_call(
                "get_invoice_attachment_by_file_name",
                invoice_id=move.xero_invoice_id,
                file_name=attachment["FileName"],
                content_type="application/pdf",
            )
            self.assertIn(move.name, pdf_text(content), "the invoice's own PDF")

    def test_unanswered_upload_sent_again_never_twice(self):
        moves = [self.invoice([10.0 * n]) for n in range(1, 5)]
        self.run_task("send_new_invoices")
        applied, lost = moves[1], moves[2]
        # Xero stores the second PDF but answers 500; it never gets the third.
        for move, kind in ((applied, "500_after_write"), (lost, "500")):
            path = "/api.xro/2.0/Invoices/%s/Attachments" % move.xero_invoice_id
            self.emulator.fault(kind=kind, count=1, method="PUT", path=path)
        self.emulator.clear_requests()
        task = self.run_task("send_invoice_pdfs")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        for move in moves:
            self.assertEqual(self.line_of(task, move).outcome, "created")
            self.assertEqual(len(self.attachments_of(move)), 1)
            self.assertEqual(move.xero_pdf_name, self.attachments_of(move)[0]["FileName"])
        # The uploads Xero answered before a failure were kept, never sent again.
        self.assertEqual(len(self.pdf_requests(moves[0], "PUT")), 1)
        # Before sending again, the invoice's attachments were read: Xero had the file, so it
        # was replaced (POST), not added a second time (PUT).
        self.assertEqual(len(self.pdf_requests(applied, "GET")), 1)
        self.assertEqual(len(self.pdf_requests(applied, "PUT")), 1)
        self.assertEqual(len(self.pdf_requests(applied, "POST")), 1)
        self.assertEqual(len(self.pdf_requests(lost, "PUT")), 2)
        self.assertFalse(self.pdf_requests(lost, "POST"))
        self.assertEqual(self.line_of(task, applied).attempts, 1)

    def test_step_size_follows_the_minute_budget(self):
        self.emulator.control("POST", "limits", {"per_minute": 12})
        moves = [self.invoice([10.0 * n]) for n in range(1, 5)]
        self.run_task("send_new_invoices")
        connection = self.connection.with_context(xero_clock=VirtualClock(time.time()))
        used = len(self.emulator.requests(path="/api.xro/2.0"))
        self.assertEqual(connection._xero_calls_left(), 12 - used, "Xero's count, not 60")
        while connection._xero_calls_left() > 2:
            connection._xero_call("get_organisations")
        task = (
            self.env["xero.task"]
            .with_context(xero_clock=VirtualClock(time.time()))
            ._queue(self.company, "send_invoice_pdfs")
            .sudo()
        )
        task._run_step()
        uploads = self.emulator.requests("PUT", "/api.xro/2.0/Invoices/")
        self.assertEqual(len(uploads), 2, "the step sent what the minute had left")
        self.assertFalse([r for r in self.emulator.requests() if r["status"] == 429])
        self.assertEqual(task.count_created, 2)
        # Nothing is left this minute: the next step meets Xero's limit; what it had sent
        # stays sent and the other PDFs wait, pending.
        task._run_step()
        self.assertEqual(task.count_created, 2)
        self.assertEqual(len(task.line_ids.filtered(lambda ln: ln.outcome == "pending")), 2)
        self.assertEqual(len(moves), 4)
