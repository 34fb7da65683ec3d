from odoo import Command, fields
from odoo.tests import tagged

from .test_payments import INVOICE_DATE, PAYMENT_DATE, XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestWriteOffs(XeroPaymentCommon):
    """A payment that settles more than the cash received: the bank account in Xero moves by
    the cash only, the rest is a payment from the mapped write-off account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fees = cls.company_data["default_account_expense"]
        cls.connection.write(
            {
                "mapping_ids": [
                    Command.create(
                        {"kind": "account", "account_id": cls.fees.id, "xero_code": "404"}
                    )
                ]
            }
        )

    def bank_total(self, code="090"):
        return round(
            sum(
                float(p["Amount"]) for p in self.xero_payments() if p["Account"].get("Code") == code
            ),
            2,
        )

    def register(self, invoices, **vals):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"payment_date": PAYMENT_DATE, "journal_id": self.bank.id, **vals})
        )
        return wizard._create_payments()

    def pay_writing_off(self, invoices, amount, account=None, label="Bank fee", **vals):
        """Register a payment of ``amount`` that marks ``invoices`` fully paid, the difference
        written off to ``account`` (the bank fees account by default)."""
        return self.register(
            invoices,
            amount=amount,
            payment_difference_handling="reconcile",
            writeoff_account_id=(account or self.fees).id,
            writeoff_label=label,
            **vals,
        )

    def test_bank_fee_written_off_cash_into_the_bank_rest_from_fees(self):
        invoice = self.invoice(100.0)  # 115.00
        payment = self.pay_writing_off(invoice, 113.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(payment.amount, 113.0)
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        partial = self.allocations(payment)
        line = self.line_of(task, partial)
        self.assertEqual(line.outcome, "created")
        self.assertIn("written off", line.message)
        self.assertEqual(self.bank_total("090"), 113.0, "the bank moved by the cash received")
        self.assertEqual(self.bank_total("404"), 2.0)
        xero_invoice = self.xero_invoice(invoice)
        self.assertAlmostEqual(float(xero_invoice["AmountDue"]), invoice.amount_residual, places=2)
        self.assertEqual(xero_invoice["Status"], "PAID")
        self.assertTrue(partial.xero_writeoff_payment_id)
        # Fetch New Payments reads both back as Odoo's own: nothing imported.
        fetch = self.run_task("fetch_new_payments")
        self.assertFalse(fetch.line_ids.filtered(lambda ln: ln.outcome == "created"))
        self.assertEqual(
            self.env["account.payment"].search_count([("xero_import_id", "!=", False)]), 0
        )
        # Removed in Odoo: both Xero payments are deleted by Send Payment.
        payment.action_draft()
        payment.action_cancel()
        payment.action_xero_send()
        self.assertFalse(self.xero_payments())
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 115.0, places=2)

    def test_one_write_off_over_three_invoices_adds_up_to_the_cent(self):
        invoices = self.invoice(100.0) | self.invoice(100.0) | self.invoice(100.0)  # 345.00
        self.pay_writing_off(invoices, 344.0, group_payment=True)
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.bank_total("090"), 344.0, "the bank moved by the cash, to the cent")
        self.assertEqual(self.bank_total("404"), 1.0)
        for invoice in invoices:
            self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 0.0, places=2)

    def test_write_off_account_without_mapping_is_blocked(self):
        other = self.company_data["default_account_revenue"].copy({"code": "999001"})
        invoice = self.invoice(100.0)
        self.pay_writing_off(invoice, 113.0, account=other, label="Small difference")
        task = self.run_task("send_new_payments")
        [line] = task.line_ids.filtered(lambda ln: ln.res_model == "account.partial.reconcile")
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(other.code, line.message)
        self.assertFalse(self.xero_payments(), "nothing half-sent")

    def test_early_payment_discount(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})
                ],
            }
        )
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[500.0],
            taxes=[],
            invoice_date=fields.Date.from_string(INVOICE_DATE),
        )
        invoice.invoice_payment_term_id = term
        invoice.action_post()
        discount_account = self.company.account_journal_early_pay_discount_loss_account_id
        self.connection.write(
            {
                "mapping_ids": [
                    Command.create(
                        {"kind": "account", "account_id": discount_account.id, "xero_code": "404"}
                    )
                ]
            }
        )
        payment = self.register(invoice)
        self.assertEqual(payment.amount, 490.0)
        self.assertEqual(invoice.payment_state, "paid")
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.bank_total("090"), 490.0)
        self.assertEqual(self.bank_total("404"), 10.0)
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 0.0, places=2)

    def test_write_off_deleted_in_xero_is_replaced_with_its_payment(self):
        invoice = self.invoice(100.0)
        payment = self.pay_writing_off(invoice, 113.0)
        self.run_task("send_new_payments")
        partial = self.allocations(payment)
        writeoff_id = partial.xero_writeoff_payment_id
        # The accountant deletes the 2.00 in Xero: Xero's invoice owes 2.00, Odoo's nothing.
        self.connection._xero_call(
            "delete_payment", payment_id=writeoff_id, payment_delete={"Status": "DELETED"}
        )
        fetch = self.run_task("fetch_new_payments")
        line = fetch.line_ids.filtered(lambda ln: ln.xero_id == writeoff_id)
        self.assertEqual(line.outcome, "blocked", fetch.line_ids.mapped("message"))
        self.assertIn("Send Payment", line.message)
        self.assertEqual(partial.xero_pending_action, "delete_then_create")
        self.assertFalse(self.env["account.payment"].search([("xero_import_id", "!=", False)]))
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        log = task.line_ids.mapped(lambda ln: (ln.res_model, ln.outcome, ln.message))
        self.assertEqual(self.bank_total("090"), 113.0, log)
        self.assertEqual(self.bank_total("404"), 2.0)
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 0.0, places=2)
        self.assertTrue(partial.xero_payment_id and partial.xero_writeoff_payment_id)
        self.assertFalse(partial.xero_pending_action)


@tagged("post_install", "-at_install")
class TestPaymentDeletedInXero(XeroPaymentCommon):
    def test_deleted_in_xero_on_its_own_is_sent_again_as_a_new_payment(self):
        """The same body a minute later: Xero would replay the first answer (the deleted
        payment) for the same idempotency key; the re-send carries a new key."""
        invoice = self.invoice(100.0)
        payment = self.pay(invoice)
        self.run_task("send_new_payments")
        partial = self.allocations(payment)
        first = partial.xero_payment_id
        self.connection._xero_call(
            "delete_payment", payment_id=first, payment_delete={"Status": "DELETED"}
        )
        self.run_task("fetch_new_payments")
        self.assertFalse(partial.xero_payment_id)
        task = self.run_task("send_new_payments")
        self.assertEqual(self.line_of(task, partial).outcome, "created")
        [live] = self.xero_payments()
        self.assertNotEqual(live["PaymentID"], first)
        self.assertEqual(partial.xero_payment_id, live["PaymentID"])
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 0.0, places=2)
