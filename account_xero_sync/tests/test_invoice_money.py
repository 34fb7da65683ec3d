from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from ..xero_api.payloads import totals as xero_totals
from .common import DEMO_TENANT
from .test_invoices import XeroInvoiceCommon

# A reseller's month: per-minute and per-unit rates with 5 or 6 decimals, and a discount (a
# tuple: it is the default argument of per_minute_invoice).
PER_MINUTE_LINES = (
    ("Calls to mobiles", 412, 0.01234, 7.5),
    ("Mobile data (GB)", 2.5, 0.123456, 0),
    ("Texts", 1234, 0.00875, 7.5),
    ("Calls to 0800", 37.25, 0.043219, 0),
    ("Line rental", 1, 29.95, 0),
)


@tagged("post_install", "-at_install")
class TestInvoiceMoney(XeroInvoiceCommon):
    """What Xero receives: its Total, TotalTax, LineAmount, AmountDue and CurrencyRate checked
    against Odoo's, to the cent, as an accountant reconciling the two would."""

    def per_minute_invoice(self, lines=PER_MINUTE_LINES, taxes=None, currency=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_date": fields.Date.from_string("2026-10-31"),
                "currency_id": (currency or self.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": name,
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": [Command.set((taxes or self.tax_sale_a).ids)],
                        }
                    )
                    for name, quantity, price, discount in lines
                ],
            }
        )
        move.action_post()
        return move

    def assertCents(self, xero_amount, odoo_amount, msg=None):
        self.assertEqual(round(float(xero_amount) * 100), round(odoo_amount * 100), msg)

    def assertXeroHasOdoosAmounts(self, move, xero):
        """Total, TotalTax, AmountDue and each line's LineAmount, to the cent."""
        self.assertCents(xero["Total"], move.amount_total, "Total")
        self.assertCents(xero["TotalTax"], move.amount_tax, "TotalTax")
        self.assertCents(xero["AmountDue"], move.amount_residual, "AmountDue")
        lines = move.invoice_line_ids.filtered(lambda ln: ln.display_type == "product")
        inclusive = xero["LineAmountTypes"] == "Inclusive"
        for line, item in zip(lines, xero["LineItems"], strict=True):
            booked = move.direction_sign * line.amount_currency  # what Odoo's ledger holds
            tax = float(item["TaxAmount"]) if inclusive else 0.0
            self.assertCents(float(item["LineAmount"]) - tax, booked, line.name)

    def test_per_minute_prices_both_rounding_methods(self):
        """5 and 6 decimal prices, quantities 412 and 2.5, a 7.5% discount, per line and global
        tax rounding: Xero approves each invoice with Odoo's totals and line amounts."""
        for digits in (5, 6):
            for method in ("round_per_line", "round_globally"):
                with self.subTest(digits=digits, method=method):
                    self.env.ref("product.decimal_price").digits = digits
                    self.company.tax_calculation_rounding_method = method
                    move = self.per_minute_invoice()
                    self.assertEqual(
                        move.invoice_line_ids[3].price_unit, round(0.043219, digits), "precision"
                    )
                    task = self.run_task("send_invoice", move)
                    line = self.line_of(task, move)
                    self.assertEqual(line.outcome, "created", line.message)
                    xero = self.xero_invoice(move)
                    self.assertEqual(xero["Status"], "AUTHORISED")
                    self.assertXeroHasOdoosAmounts(move, xero)
                    calls = xero["LineItems"][0]
                    self.assertEqual(
                        calls["Description"], "Calls to mobiles (412 × 0.01234, less 7.5%)"
                    )
                    self.assertEqual((calls["Quantity"], calls["DiscountRate"]), (1.0, 7.5))
                    self.assertEqual(xero["LineItems"][4]["UnitAmount"], 29.95, "exact: as it is")

    def test_per_minute_prices_tax_included(self):
        """Tax-included per-minute prices, rounded globally: Xero's inclusive line amounts carry
        Odoo's base and tax, and the totals are Odoo's."""
        self.env.ref("product.decimal_price").digits = 5
        self.company.tax_calculation_rounding_method = "round_globally"
        included = self.tax_sale_a.copy(
            {"name": "15% included", "price_include_override": "tax_included"}
        )
        self.connection.mapping_ids = [
            Command.create({"kind": "tax", "tax_id": included.id, "xero_code": "OUTPUT2"})
        ]
        move = self.per_minute_invoice(taxes=included)
        task = self.run_task("send_invoice", move)
        self.assertEqual(
            self.line_of(task, move).outcome, "created", task.line_ids.mapped("message")
        )
        xero = self.xero_invoice(move)
        self.assertEqual((xero["Status"], xero["LineAmountTypes"]), ("AUTHORISED", "Inclusive"))
        self.assertXeroHasOdoosAmounts(move, xero)

    def test_tax_xero_cannot_carry_is_blocked_with_both_rates(self):
        """The one case no line can fix: Xero's rate for the mapped tax type is not Odoo's, and
        Xero takes no tax override that far from its own. The invoice is blocked before it is
        sent (never approved with a wrong total, nor left DRAFT in Xero), its log line names
        both rates (issue #23); the batch goes on."""
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "tax_rates": [
                            {
                                "TaxType": "OUTPUT3",
                                "Name": "10% Levy",
                                "Rate": 10,
                                "CanApplyToRevenue": True,
                            }
                        ],
                    }
                ]
            },
        )
        self.connection.action_load_mappings_from_xero()  # reads Xero's rates
        levy = self.tax_sale_a.copy({"name": "Levy 15%"})
        self.connection.mapping_ids = [
            Command.create({"kind": "tax", "tax_id": levy.id, "xero_code": "OUTPUT3"})
        ]
        wrong = self.per_minute_invoice(lines=[("Levied service", 1, 100.0, 0)], taxes=levy)
        good = self.per_minute_invoice()
        task = self.run_task("send_new_invoices")
        line = self.line_of(task, wrong)
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(
            "Odoo tax 15% is mapped to Xero OUTPUT3 at 10%: fix the mapping.", line.message
        )
        self.assertFalse(wrong.xero_invoice_id, "nothing sent")
        self.assertEqual(len(self.emulator.state(DEMO_TENANT)["invoices"]), 1)
        self.assertEqual(self.line_of(task, good).outcome, "created")
        self.assertEqual(self.xero_invoice(good)["Status"], "AUTHORISED")
        approved = [
            i for i in self.emulator.state(DEMO_TENANT)["invoices"] if i["Status"] == "AUTHORISED"
        ]
        self.assertEqual([i["InvoiceID"] for i in approved], [good.xero_invoice_id])

    def test_xero_answer_still_differs_the_invoice_is_voided(self):
        """Should Xero ever compute otherwise than this addon predicts (here the prediction is
        made to believe Xero keeps 6 decimals of a unit amount, where it keeps 4), the approved
        invoice is voided at once, in one call, and its log line keeps both totals."""
        self.env.ref("product.decimal_price").digits = 5
        move = self.per_minute_invoice()
        self.run_task("send_new_customers")
        self.emulator.clear_requests()
        with patch.object(xero_totals, "UNIT_PLACES", 6):
            task = self.run_task("send_new_invoices")
        line = self.line_of(task, move)
        self.assertEqual(line.outcome, "error")
        self.assertIn("Totals differ: Xero has 53.59 (tax 6.99), Odoo 53.55", line.message)
        self.assertIn("voided in Xero", line.message)
        self.assertEqual(move.amount_total, 53.55)
        self.assertEqual(self.xero_invoice(move)["Status"], "VOIDED")
        self.assertEqual(move.xero_sync_state, "voided")
        writes = self.emulator.requests(method="POST", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(writes), 1, "one call voids the batch's wrong invoices")

    def test_foreign_currency_invoice_and_payment_carry_odoos_rate(self):
        """AUD at 0.9 per unit of the company's currency on the invoice date, 0.95 on the
        payment date: Xero gets Odoo's rates, and its amounts in the base currency are Odoo's."""
        aud = self.other_currency
        self.env["res.currency.rate"].create(
            [
                {"name": day, "rate": rate, "currency_id": aud.id, "company_id": self.company.id}
                for day, rate in (("2026-10-01", 0.9), ("2026-11-10", 0.95))
            ]
        )
        self.env.ref("product.decimal_price").digits = 5
        plain = self.invoice([90.0, 45.0], currency=aud)  # converts exactly at 0.9
        per_minute = self.per_minute_invoice(currency=aud)
        self.assertAlmostEqual(plain.invoice_currency_rate, 0.9, places=12)
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.count_error, 0, task.line_ids.mapped("message"))
        for move in plain | per_minute:
            xero = self.xero_invoice(move)
            self.assertEqual((xero["CurrencyCode"], xero["Status"]), ("AUD", "AUTHORISED"))
            self.assertXeroHasOdoosAmounts(move, xero)
            rate = float(xero["CurrencyRate"])
            self.assertAlmostEqual(rate, 0.9, places=3, msg="Odoo's rate, not Xero's day rate")
            self.assertCents(round(float(xero["Total"]) / rate, 2), move.amount_total_signed)
        self.assertEqual(float(self.xero_invoice(plain)["CurrencyRate"]), 0.9)
        payment = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=plain.ids)
            .create(
                {
                    "payment_date": "2026-11-15",
                    "journal_id": self.company_data["default_journal_bank"].id,
                }
            )
            ._create_payments()
        )
        self.connection.mapping_ids.filtered(lambda m: m.kind == "journal").xero_code = "090"
        task = self.run_task("send_new_payments")
        self.assertEqual(task.count_error, 0, task.line_ids.mapped("message"))
        sent = [
            p for p in self.emulator.state(DEMO_TENANT)["payments"] if p["Status"] == "AUTHORISED"
        ]
        self.assertEqual(len(sent), 1)
        self.assertEqual(float(sent[0]["CurrencyRate"]), 0.95)
        self.assertCents(sent[0]["Amount"], plain.amount_total)
        booked = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id == payment.outstanding_account_id
        )
        self.assertCents(sent[0]["BankAmount"], abs(booked.balance))
        self.assertEqual(self.xero_invoice(plain)["Status"], "PAID")

    def test_organisation_in_another_base_currency_is_refused(self):
        """Test connection shows it refused, naming both currencies; a task fails before it
        plans, naming both, and sends nothing."""
        other = "NZD" if self.company.currency_id.name != "NZD" else "AUD"
        self.emulator.reset(
            {
                "organisations": [
                    {"tenant_id": DEMO_TENANT, "name": "Kiwi Org", "base_currency": other}
                ]
            }
        )
        self.connection.org_currency = False  # not known yet: the task reads it
        move = self.invoice([100.0])
        task = self.run_task("send_new_invoices")
        self.assertEqual(task.state, "failed")
        self.assertIn(other, task.message)
        self.assertIn(self.company.currency_id.name, task.message)
        self.assertFalse(task.line_ids, "nothing planned")
        self.assertFalse(move.xero_invoice_id or self.partner_a.xero_contact_id)
        self.assertEqual(
            [(r["method"], r["path"]) for r in self.emulator.requests(path="/api.xro")],
            [("GET", "/api.xro/2.0/Organisation")],
            "one read of the organisation, nothing sent",
        )
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.connection.state, "wrong_currency")
        for text in (action["params"]["message"], self.connection.last_error):
            self.assertIn(other, text)
            self.assertIn(self.company.currency_id.name, text)
        again = self.run_task("send_new_customers")
        self.assertEqual(again.state, "failed")
        self.assertIn(other, again.message)

    def test_per_minute_credit_note_in_a_foreign_currency(self):
        """A credit note of per-minute usage with a discount, in AUD at Odoo's 0.9: Xero's
        credit note (which takes no DiscountRate) has Odoo's total, tax and rate."""
        aud = self.other_currency
        self.env["res.currency.rate"].create(
            {
                "name": "2026-10-01",
                "rate": 0.9,
                "currency_id": aud.id,
                "company_id": self.company.id,
            }
        )
        self.env.ref("product.decimal_price").digits = 5
        invoice = self.per_minute_invoice(currency=aud)
        refund = invoice._reverse_moves(
            [{"date": fields.Date.from_string("2026-10-31"), "ref": "Dropped calls"}]
        )
        refund.action_post()
        task = self.run_task("send_new_credit_notes")
        line = self.line_of(task, refund)
        self.assertEqual(line.outcome, "created", line.message)
        [note] = [
            c
            for c in self.emulator.state(DEMO_TENANT)["credit_notes"]
            if c["CreditNoteID"] == refund.xero_invoice_id
        ]
        self.assertEqual((note["CurrencyCode"], note["Status"]), ("AUD", "AUTHORISED"))
        self.assertFalse([i for i in note["LineItems"] if i.get("DiscountRate")])
        self.assertCents(note["Total"], refund.amount_total, "Total")
        self.assertCents(note["TotalTax"], refund.amount_tax, "TotalTax")
        rate = float(note["CurrencyRate"])
        self.assertAlmostEqual(rate, 0.9, places=3, msg="Odoo's rate, not Xero's day rate")
        self.assertCents(round(float(note["Total"]) / rate, 2), abs(refund.amount_total_signed))
        # Odoo reconciled the credit note with its invoice: Send New Payments allocates it.
        self.assertTrue(refund.line_ids.matched_debit_ids)
        task = self.run_task("send_new_payments")
        self.assertEqual(task.count_error + task.count_blocked, 0, task.line_ids.mapped("message"))
        state = self.emulator.state(DEMO_TENANT)
        [note] = [c for c in state["credit_notes"] if c["CreditNoteID"] == refund.xero_invoice_id]
        self.assertCents(note["RemainingCredit"], refund.amount_residual, "RemainingCredit")
        self.assertCents(self.xero_invoice(invoice)["AmountDue"], invoice.amount_residual)
