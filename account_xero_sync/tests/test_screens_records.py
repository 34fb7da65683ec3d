"""What the screens open and say, server side: a log line opens its customer, invoice or
payment (an allocation opens its payment), and a task's one-line summary."""

from odoo.tests import tagged

from .test_payments import XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestScreenRecords(XeroPaymentCommon):
    def test_log_lines_open_the_customer_invoice_and_payment(self):
        invoice = self.invoice(100.0)
        payment = self.pay(invoice)
        customers = self.run_task("send_new_customers")
        invoices = self.run_task("send_new_invoices")
        payments = self.run_task("send_new_payments")
        opened = {}
        for task in customers | invoices | payments:
            for line in task.line_ids:
                action = line.action_open_record()
                self.assertEqual(
                    (action["type"], action["view_mode"]), ("ir.actions.act_window", "form")
                )
                opened[line.res_model] = (action["res_model"], action["res_id"])
        self.assertEqual(opened["res.partner"], ("res.partner", self.partner_a.id))
        self.assertEqual(opened["account.move"], ("account.move", invoice.id))
        self.assertEqual(opened["account.partial.reconcile"], ("account.payment", payment.id))
        self.assertEqual(payments.summary_line, "1 created")
        self.assertEqual(invoices.summary_line, "1 created")
