import uuid
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..models.account_payment import XERO_PAYMENT_STATES
from ..xero_api import payloads
from ..xero_api.wire import chunk_by_length
from .common import (
    DEMO_TENANT,
    INVOICE_DATE,
    PAYMENT_DATE,
    WorkerKilled,
    XeroAccountingCommon,
)

GATEWAY_LOGGER = "odoo.addons.account_xero_sync.xero_api.client"


class XeroPaymentCommon(XeroAccountingCommon, AccountTestInvoicingCommon):
    """A dealer with a chart of accounts, invoices and payments, mapped to the emulator."""

    default_tax_mapping = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank = cls.company_data["default_journal_bank"]
        cls.aud = cls.setup_other_currency("AUD", rates=[("2019-01-01", 2.0)])
        cls.partner_b.customer_rank = 1

    # ------------------------------------------------------------------ helpers

    def invoice(self, amount, partner=None, currency=None, company=None):
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.partner_a,
            amounts=[amount],
            taxes=self.tax_sale_a if not company else None,
            currency=currency,
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
            company=company,
        )

    def bank_feed(self, *payments, tenant=DEMO_TENANT):
        """Payments entered in Xero (a bank feed): ``(invoice, amount[, reference[, code]])``."""
        body = [
            {
                "Invoice": {"InvoiceID": invoice.xero_invoice_id},
                "Account": {"Code": rest[1] if len(rest) > 1 else "090"},
                "Date": PAYMENT_DATE,
                "Amount": amount,
                "Reference": rest[0] if rest else "Bank feed %s" % invoice.name,
            }
            for invoice, amount, *rest in payments
        ]
        answer = self.emulator.control(
            "POST", "bank_payments", {"tenant_id": tenant, "payments": body}
        )
        return [p["PaymentID"] for p in answer["Payments"]]

    def pay(self, invoices, amount=None, date=PAYMENT_DATE, journal=None, currency=None):
        """The UI path: Register Payment on the invoices, one payment for all of them."""
        vals = {
            "payment_date": date,
            "journal_id": (journal or self.bank).id,
            "group_payment": True,
        }
        if amount is not None:
            vals["amount"] = amount
        if currency:
            vals["currency_id"] = currency.id
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        return wizard._create_payments()

    def run_task(self, task_type, records=None, company=None):
        task = self.env["xero.task"]._queue(company or self.company, task_type, records)
        task.action_run()
        return task

    def xero(self, kind, tenant=DEMO_TENANT):
        return self.emulator.state(tenant)[kind]

    def xero_payments(self, status="AUTHORISED", tenant=DEMO_TENANT):
        return [p for p in self.xero("payments", tenant) if p["Status"] == status]

    def xero_invoice(self, move, tenant=DEMO_TENANT):
        return next(
            i for i in self.xero("invoices", tenant) if i["InvoiceID"] == move.xero_invoice_id
        )

    def allocations(self, payment):
        return payment._xero_allocations()

    def line_of(self, task, record):
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == record._name and ln.res_id == record.id
        )
        self.assertEqual(len(line), 1, f"one log line for {record.display_name}")
        return line

    def assertStateSearch(self, payments):
        """Searching on ``xero_state`` finds exactly what the compute says, for every state."""
        for state, _label in XERO_PAYMENT_STATES:
            expected = payments.filtered(lambda p, s=state: p.xero_state == s)
            Payment = self.env["account.payment"]
            found = Payment.search([("xero_state", "=", state), ("id", "in", payments.ids)])
            self.assertEqual(found, expected, state)
            others = Payment.search([("xero_state", "!=", state), ("id", "in", payments.ids)])
            self.assertEqual(others, payments - expected, state)

    def assertAmountsDueAgree(self, invoices, tenant=DEMO_TENANT):
        for move in invoices:
            self.assertAlmostEqual(
                float(self.xero_invoice(move, tenant)["AmountDue"]),
                move.amount_residual,
                places=2,
                msg=move.name,
            )


@tagged("post_install", "-at_install")
class TestPayments(XeroPaymentCommon):
    def test_one_payment_three_invoices(self):
        invoices = self.invoice(100.0) | self.invoice(200.0) | self.invoice(300.0)
        payment = self.pay(invoices)
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.xero_state, "not_sent")
        partials = self.allocations(payment)
        self.assertEqual(len(partials), 3)
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        # The invoices (and their customer) went first, in the same task.
        for move in invoices:
            self.assertEqual(self.line_of(task, move).outcome, "created")
        self.assertTrue(self.partner_a.xero_contact_id)
        xero = {p["PaymentID"]: p for p in self.xero_payments()}
        self.assertEqual(len(xero), 3)
        for partial in partials:
            self.assertEqual(self.line_of(task, partial).outcome, "created")
            sent = xero[partial.xero_payment_id]
            invoice = partial.debit_move_id.move_id
            self.assertEqual(sent["Invoice"]["InvoiceID"], invoice.xero_invoice_id)
            self.assertAlmostEqual(float(sent["Amount"]), invoice.amount_total, places=2)
            self.assertEqual(sent["Account"]["Code"], "090")
            self.assertTrue(sent["Reference"].startswith(payment.name))
            self.assertTrue(sent["Reference"].endswith(f"#A{partial.id}"))
            day = payloads.parse_xero_date(sent["Date"], as_date=True)
            self.assertEqual(str(day), PAYMENT_DATE)
        self.assertEqual(
            sorted(round(float(p["Amount"]), 2) for p in xero.values()),
            sorted(invoices.mapped("amount_total")),
        )
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments")
        self.assertEqual([r["items"] for r in puts], [3], "one call for the batch")
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual(len([r for r in reads if "IDs" in r["query"]]), 1, "one bulk read")
        self.assertFalse(
            self.emulator.requests(method="GET", path="/api.xro/2.0/Payments"),
            "invoices without payments need no payment look-up",
        )
        self.assertEqual(payment.xero_state, "sent")
        self.assertAmountsDueAgree(invoices)
        # A rerun sends nothing and writes nothing.
        self.emulator.clear_requests()
        again = self.run_task("send_new_payments")
        self.assertEqual(again.count_total, 0)
        self.assertFalse(self.emulator.requests(method="PUT"))

    def test_partial_payments_and_several_on_one_invoice(self):
        invoice = self.invoice(300.0)  # 345.00 with tax
        first = self.pay(invoice, amount=100.0)
        second = self.pay(invoice, amount=45.0, date="2026-11-06")
        self.assertEqual(invoice.payment_state, "partial")
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        outcomes = task.line_ids.filtered(lambda ln: ln.res_model == "account.partial.reconcile")
        self.assertEqual(outcomes.mapped("outcome"), ["created", "created"])
        xero = sorted(self.xero_payments(), key=lambda p: float(p["Amount"]))
        self.assertEqual([float(p["Amount"]) for p in xero], [45.0, 100.0])
        self.assertEqual({p["Invoice"]["InvoiceID"] for p in xero}, {invoice.xero_invoice_id})
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 200.0, places=2)
        self.assertAmountsDueAgree(invoice)
        self.assertEqual((first | second).mapped("xero_state"), ["sent", "sent"])

    def test_many_invoices_are_read_once_per_task(self):
        """A task paying more invoices than one read by ids holds (38) reads the invoices
        modified in Xero since they were sent, once, instead of two reads per batch; what it
        finds still decides: a payment typed in Xero is linked, not sent twice."""
        invoices = self.env["account.move"]
        for i in range(45):
            invoices |= self.invoice(10.0 + i)
        self.run_task("send_new_invoices")
        typed = invoices[7]
        self.bank_feed((typed, typed.amount_total))
        payments = self.env["account.payment"]
        for invoice in invoices:
            payments |= self.pay(invoice)
        self.emulator.clear_requests()
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        outcomes = {
            invoice: self.line_of(task, self.allocations(payment)).outcome
            for invoice, payment in zip(invoices, payments, strict=True)
        }
        self.assertEqual(outcomes.pop(typed), "linked")
        self.assertEqual(set(outcomes.values()), {"created"})
        self.assertEqual(len(self.xero_payments()), 45, "44 sent and the one typed in Xero")
        self.assertAmountsDueAgree(invoices)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(reads), 1, [r["query"] for r in reads])
        self.assertTrue(reads[0]["if_modified_since"])
        self.assertNotIn("IDs", reads[0]["query"])
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments")
        self.assertEqual([r["items"] for r in puts], [44])

    def test_overpayment_waits_then_sent_when_allocated(self):
        invoice = self.invoice(100.0)  # 115.00
        payment = self.pay(invoice, amount=150.0)
        on_account = self.init_payment(80.0, post=True, date=fields.Date.from_string(PAYMENT_DATE))
        self.assertEqual(on_account.xero_state, "waiting")
        wizard = self.env["xero.bulk.task.wizard"].create({"task_type": "send_new_payments"})
        wizard.action_preview()
        rows = {(r.res_model, r.res_id): r for r in wizard.line_ids}
        partial = self.allocations(payment)
        self.assertEqual(rows[(partial._name, partial.id)].action, "create")
        self.assertEqual(rows[(partial._name, partial.id)].amount_allocated, 115.0)
        self.assertEqual(rows[(partial._name, partial.id)].invoice_id, invoice)
        self.assertEqual(rows[("account.payment", payment.id)].action, "waiting")
        self.assertIn("35.00", rows[("account.payment", payment.id)].reason)
        self.assertEqual(rows[("account.payment", on_account.id)].action, "waiting")
        self.assertFalse(self.emulator.requests(method="PUT"), "a preview writes nothing")
        self.assertIn(
            on_account, self.env["account.payment"].search([("xero_state", "=", "waiting")])
        )
        self.assertStateSearch(payment | on_account)

        to_send = self.env["xero.bulk.task.wizard"]._action_to_send(
            "send_new_payments", "Payments to Send"
        )
        listed = self.env["xero.bulk.task.wizard.line"].search(to_send["domain"])
        self.assertEqual(sorted(listed.mapped("action")), ["create", "waiting", "waiting"])
        self.run_task("send_new_payments")
        self.assertEqual([float(p["Amount"]) for p in self.xero_payments()], [115.0])
        self.assertEqual(len(self.xero_payments()), 1, "the unallocated 35.00 waits")

        # Allocated to a new invoice: that allocation appears in Payments to Send, then is sent.
        later = self.invoice(20.0)  # 23.00
        line = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        later.js_assign_outstanding_line(line.id)
        new_partial = self.allocations(payment) - partial
        self.assertEqual(len(new_partial), 1)
        preview = self.env["xero.handler.payments"]._preview(self.connection, "new")
        row = next(
            r
            for r in preview
            if r.get("res_model", new_partial._name) == new_partial._name
            and r["res_id"] == new_partial.id
        )
        self.assertEqual((row["action"], row["amount_allocated"]), ("create", 23.0))
        task = self.run_task("send_new_payments")
        self.assertEqual(self.line_of(task, new_partial).outcome, "created")
        self.assertEqual(sorted(float(p["Amount"]) for p in self.xero_payments()), [23.0, 115.0])
        self.assertAmountsDueAgree(invoice | later)

    def test_foreign_currency_payment(self):
        invoice = self.invoice(100.0, currency=self.aud)  # AUD 115.00, 1 USD = 2 AUD
        payment = self.pay(invoice, currency=self.aud)
        task = self.run_task("send_new_payments")
        self.assertEqual(self.line_of(task, self.allocations(payment)).outcome, "created")
        sent = self.xero_payments()[0]
        self.assertEqual(self.xero_invoice(invoice)["CurrencyCode"], "AUD")
        self.assertAlmostEqual(float(sent["Amount"]), 115.0, places=2)
        self.assertAlmostEqual(float(sent["CurrencyRate"]), 2.0, places=6)
        self.assertEqual(payment.xero_state, "sent")
        self.assertEqual(self.xero_invoice(invoice)["Status"], "PAID")

    def test_blocked_without_journal_mapping_or_beyond_amount_due(self):
        other_bank = self.env["account.journal"].create(
            {"name": "Unmapped Bank", "type": "bank", "code": "UBK"}
        )
        self.connection.mapping_ids.filtered(lambda m: m.kind == "journal").write(
            {"journal_id": self.bank.id}
        )
        unmapped = self.pay(self.invoice(10.0), journal=other_bank)
        invoice = self.invoice(100.0)  # 115.00
        self.run_task("send_new_invoices")
        # 80.00 paid in Xero (bank feed), not fetched yet: Odoo's full payment must not go.
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": DEMO_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": invoice.xero_invoice_id},
                        "Account": {"Code": "090"},
                        "Date": PAYMENT_DATE,
                        "Amount": 80.0,
                        "Reference": "bank feed",
                    }
                ],
            },
        )
        full = self.pay(invoice)
        task = self.run_task("send_new_payments")
        line = self.line_of(task, self.allocations(unmapped))
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("Unmapped Bank has no Xero bank account mapping", line.message)
        line = self.line_of(task, self.allocations(full))
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("amount due", line.message)
        self.assertEqual(len(self.xero_payments()), 1, "only the bank-feed payment")
        self.assertEqual(full.xero_state, "error")
        self.assertStateSearch(unmapped | full)

    def test_rerun_after_lost_answers_links_without_duplicates(self):
        invoices = self.invoice(10.0) | self.invoice(20.0)
        self.pay(invoices)
        self.run_task("send_new_invoices")
        self.emulator.fault(
            kind="drop_after_write", count=4, method="PUT", path="/api.xro/2.0/Payments"
        )
        first = self.run_task("send_new_payments")
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments")
        self.assertEqual(len(puts), 1, "a lost answer is not replayed: the next step re-reads")
        self.assertEqual(len(self.xero_payments()), 2, "Xero applied the write")
        lookups = self.emulator.requests(method="GET", path="/api.xro/2.0/Payments")
        self.assertTrue(lookups, "the rerun looked the payments up")
        self.assertIn("Invoice.InvoiceID==Guid(", lookups[-1]["query"]["where"])
        self.assertEqual(first.count_linked, 2, "the next step linked what Xero holds")
        self.assertEqual(first.state, "done")
        rerun = self.run_task("send_new_payments")
        self.assertEqual(rerun.count_total, 0)
        self.assertEqual(len(self.xero_payments()), 2, "no duplicate")
        self.assertAmountsDueAgree(invoices)

    def test_changed_amount_deletes_and_recreates(self):
        invoice = self.invoice(200.0)  # 230.00
        payment = self.pay(invoice, amount=100.0)
        self.run_task("send_new_payments")
        old_id = self.allocations(payment).xero_payment_id
        # One-off change in Odoo: reset, amount 80, post, reconcile again.
        payment.action_draft()
        self.assertEqual(payment.xero_state, "partly", "its Xero payment waits to be deleted")
        self.assertStateSearch(payment)
        payment.amount = 80.0
        payment.action_post()
        line = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        invoice.js_assign_outstanding_line(line.id)
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(task.task_type, "send_payment")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.line_of(task, payment).outcome, "updated")
        self.assertEqual(self.line_of(task, self.allocations(payment)).outcome, "created")
        deleted = self.xero_payments("DELETED")
        self.assertEqual([p["PaymentID"] for p in deleted], [old_id])
        self.assertEqual([float(p["Amount"]) for p in self.xero_payments()], [80.0])
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 150.0, places=2)
        self.assertEqual(payment.xero_state, "sent")
        self.assertStateSearch(payment)
        self.assertFalse(payment.xero_removed_payments)

    def test_unreconciled_and_cancelled_payments_delete_their_xero_payments(self):
        invoices = self.invoice(10.0) | self.invoice(20.0)
        payment = self.pay(invoices)
        self.run_task("send_new_payments")
        partial = self.allocations(payment)[0]
        partial.debit_move_id.move_id.js_remove_outstanding_partial(partial.id)
        # Action > Xero: Send Payment, as the menu runs it.
        action = (
            self.env.ref("account_xero_sync.action_xero_send_payment")
            .with_context(active_model="account.payment", active_ids=payment.ids)
            .run()
        )
        self.assertEqual(self.env["xero.task"].browse(action["res_id"]).task_type, "send_payment")
        self.assertEqual(len(self.xero_payments()), 1)
        self.assertEqual(len(self.xero_payments("DELETED")), 1)
        payment.action_cancel()
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(self.line_of(task, payment).outcome, "updated")
        self.assertFalse(self.xero_payments())
        self.assertEqual(payment.xero_state, "not_sent")
        self.assertStateSearch(payment)
        self.assertAmountsDueAgree(invoices)

    def test_changed_account_replacement_survives_a_crash_between_calls(self):
        invoice = self.invoice(100.0)
        payment = self.pay(invoice)
        self.run_task("send_new_payments")
        partial = self.allocations(payment)
        old_id = partial.xero_payment_id
        # The journal now maps to the savings account: the Xero payment must move.
        self.connection.mapping_ids.filtered(lambda m: m.kind == "journal").xero_code = "091"
        handler = type(self.env["xero.handler.payments"])
        # Not assertRaises: it rolls back to a savepoint, which a dying worker never does.
        died = False
        with patch.object(handler, "_batch_call", side_effect=WorkerKilled()):
            try:
                payment.action_xero_send()
            except WorkerKilled:
                died = True
        self.assertTrue(died, "the worker did not die")
        # What survived the crash: the recorded intent (committed before any call) and the
        # delete in Xero; no new payment.
        self.assertEqual(partial.xero_pending_action, "delete_then_create")
        self.assertEqual(partial.xero_pending_payment_id, old_id)
        self.assertFalse(partial.xero_payment_id)
        self.assertEqual([p["PaymentID"] for p in self.xero_payments("DELETED")], [old_id])
        self.assertFalse(self.xero_payments())
        # Send New Payments leaves a half-done replacement alone.
        self.assertNotIn(
            partial, self.env["xero.handler.payments"]._candidates(self.connection, "new")
        )
        # The rerun finishes: nothing deleted twice, one new payment on the new account.
        self.emulator.clear_requests()
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(self.line_of(task, partial).outcome, "created")
        self.assertFalse(
            [
                r
                for r in self.emulator.requests(method="POST")
                if r["path"].startswith("/api.xro/2.0/Payments/")
            ]
        )
        live = self.xero_payments()
        self.assertEqual(len(live), 1)
        self.assertEqual(live[0]["Account"]["Code"], "091")
        self.assertEqual(partial.xero_payment_id, live[0]["PaymentID"])
        self.assertFalse(partial.xero_pending_action)
        self.assertAmountsDueAgree(invoice)

    def test_replacement_whose_create_answer_is_lost_is_linked(self):
        invoice = self.invoice(100.0)
        payment = self.pay(invoice)
        self.run_task("send_new_payments")
        partial = self.allocations(payment)
        self.connection.mapping_ids.filtered(lambda m: m.kind == "journal").xero_code = "091"
        self.emulator.fault(
            kind="drop_after_write", count=4, method="PUT", path="/api.xro/2.0/Payments"
        )
        self.emulator.clear_requests()
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(self.line_of(task, partial).outcome, "linked")
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments")
        self.assertEqual(len(puts), 1, "a lost answer is not replayed: the next step re-reads")
        live = self.xero_payments()
        self.assertEqual(len(live), 1, "no duplicate")
        self.assertEqual(partial.xero_payment_id, live[0]["PaymentID"])
        self.assertEqual(len(self.xero_payments("DELETED")), 1)
        self.assertAmountsDueAgree(invoice)

    def test_load_bank_accounts_from_xero(self):
        self.connection.mapping_ids.filtered(lambda m: m.kind == "journal").unlink()
        savings = self.env["account.journal"].create(
            {"name": "Business Savings Account", "type": "bank", "code": "BSA"}
        )
        self.connection.action_load_bank_accounts()
        accounts = {a["Code"]: a["AccountID"] for a in self.xero("accounts") if a["Type"] == "BANK"}
        rows = self.connection.mapping_ids.filtered(lambda m: m.kind == "journal")
        self.assertFalse(rows.filtered(lambda m: not m.journal_id), "never a default")
        self.assertNotIn(self.bank, rows.journal_id, "no Xero account of its name or number")
        mapped = rows.filtered(lambda m: m.journal_id == savings)
        self.assertEqual((mapped.xero_code, mapped.xero_id), ("091", accounts["091"]))
        self.assertEqual(mapped.xero_name, "Business Savings Account")
        requests = self.emulator.requests(method="GET", path="/api.xro/2.0/Accounts")
        self.assertEqual(requests[-1]["query"]["where"], 'Type=="BANK"')
        # Loading again updates, never duplicates; payments then go to the mapped account.
        self.connection.action_load_bank_accounts()
        self.assertEqual(
            len(self.connection.mapping_ids.filtered(lambda m: m.kind == "journal")), 1
        )
        payment = self.pay(self.invoice(10.0), journal=savings)
        unmapped = self.pay(self.invoice(20.0))
        task = self.run_task("send_new_payments")
        self.assertEqual(self.xero_payments()[0]["Account"]["AccountID"], accounts["091"])
        line = self.line_of(task, self.allocations(unmapped))
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(self.bank.display_name, line.message)
        self.assertEqual(len(self.xero_payments()), 1)
        self.assertEqual(payment.xero_state, "sent")

    def test_xero_reads_split_to_short_queries(self):
        """Xero answers 404 to a query string above about 2 KB: reads by id are split."""
        ids = [str(uuid.uuid4()) for _i in range(100)]
        Payments = self.env["xero.handler.payments"]
        self.emulator.clear_requests()
        self.assertEqual(Payments._fetch_invoices(self.connection, ids), {})
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(reads), len(list(chunk_by_length(ids, str, separator_len=3))))
        self.assertGreater(len(reads), 1)
        self.assertEqual({r["status"] for r in reads}, {200})
        self.assertEqual(
            sorted(i for r in reads for i in r["query"]["IDs"].split(",")), sorted(ids)
        )
        self.emulator.clear_requests()
        self.assertEqual(Payments._fetch_live_payments(self.connection, ids[:50]), {})
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Payments")
        self.assertGreater(len(reads), 1)
        self.assertEqual({r["status"] for r in reads}, {200})
        self.assertEqual(sum(r["query"]["where"].count("Guid(") for r in reads), 50)

    def test_a_xero_payment_is_stored_once(self):
        invoices = self.invoice(10.0) | self.invoice(20.0)
        first, second = self.pay(invoices[0]), self.pay(invoices[1])
        xero_id = str(uuid.uuid4())
        self.allocations(first).xero_payment_id = xero_id
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.allocations(second).xero_payment_id = xero_id
            self.env.flush_all()
        first.xero_import_id = xero_id
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            second.xero_import_id = xero_id
            self.env.flush_all()
        # Empty links are not duplicates.
        self.assertFalse(self.allocations(second).xero_payment_id)
        self.assertFalse(second.xero_import_id)
