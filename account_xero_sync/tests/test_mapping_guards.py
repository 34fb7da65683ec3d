"""No silent catch-all mapping (issue #12, item 6): an unmapped income account, tax or journal
blocks what uses it, unless a manager set a default on purpose; 0% taxes map by kind."""

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_payments import INVOICE_DATE, XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestMappingGuards(XeroPaymentCommon):
    default_tax_mapping = False  # no default tax: every tax needs its own mapping

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.roaming = cls.env["account.account"].create(
            {"code": "400900", "name": "Roaming Revenue", "account_type": "income"}
        )

    def sale(self, taxes=None, account=None, amount=100.0):
        """A posted invoice to partner_a: one line on ``account`` (default: the sales account)."""
        line = {"name": "Service", "quantity": 1, "price_unit": amount}
        if account:
            line["account_id"] = account.id
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_date": fields.Date.from_string(INVOICE_DATE),
                "invoice_line_ids": [
                    Command.create(
                        dict(line, tax_ids=[Command.set((taxes or self.tax_sale_a).ids)])
                    )
                ],
            }
        )
        move.action_post()
        return move

    def zero_tax(self, name):
        return self.env["account.tax"].create(
            {"name": name, "amount": 0.0, "type_tax_use": "sale", "amount_type": "percent"}
        )

    def mapped(self, record):
        field = {"account.account": "account_id", "account.tax": "tax_id"}.get(
            record._name, "journal_id"
        )
        return self.connection.mapping_ids.filtered(lambda m: m[field] == record)

    def test_load_from_xero_leaves_no_catch_all(self):
        """Loaded from Xero, the unmapped account, tax and journal block their records."""
        self.connection.mapping_ids.unlink()
        sales = self.company_data["default_journal_sale"].default_account_id
        self.seed_org(accounts=[{"Code": sales.code, "Name": "Sales", "Type": "REVENUE"}])
        levy = self.tax_sale_a.copy({"name": "Levy 12%", "amount": 12.0})
        action = self.connection.action_load_mappings_from_xero()
        self.connection.action_load_bank_accounts()
        self.assertFalse(self.connection.mapping_ids.filtered("is_default"), "never a default")
        self.assertEqual(self.mapped(sales).xero_code, sales.code)
        self.assertEqual(self.mapped(self.tax_sale_a).xero_code, "OUTPUT2")
        self.assertFalse(self.mapped(self.roaming) | self.mapped(levy) | self.mapped(self.bank))
        message = action["params"]["message"]
        self.assertIn(self.roaming.code, message)
        self.assertIn("Levy 12%: Xero has no sales rate of 12%", message)
        self.assertIn(message, self.connection.message_ids[0].body)

        good = self.sale()
        on_roaming = self.sale(account=self.roaming)
        with_levy = self.sale(taxes=levy)
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, good).outcome, "created")
        for move, named in ((on_roaming, self.roaming.display_name), (with_levy, "Levy 12%")):
            line = self.line_of(task, move)
            self.assertEqual(line.outcome, "blocked", line.message)
            self.assertIn(named, line.message)
            self.assertFalse(move.xero_invoice_id)
        self.assertEqual([i["InvoiceNumber"] for i in self.xero("invoices")], [good.name])
        payment = self.pay(good)
        task = self.run_task("send_new_payments")
        line = self.line_of(task, self.allocations(payment))
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(self.bank.display_name, line.message)
        self.assertFalse(self.xero("payments"), "no payment into a guessed bank account")

    def test_explicit_default_is_honoured(self):
        on_roaming = self.sale(account=self.roaming)
        cards = self.env["account.journal"].create(
            {"name": "Card Settlements", "type": "bank", "code": "CRD"}
        )
        payment = self.pay(self.sale(), journal=cards)
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, on_roaming).outcome, "blocked")
        line = self.line_of(self.run_task("send_new_payments"), self.allocations(payment))
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("Card Settlements", line.message)
        # A row without its Odoo record must be ticked "Default for unmapped", once per kind.
        with self.assertRaises(ValidationError):
            self.connection.mapping_ids = [Command.create({"kind": "account", "xero_code": "260"})]
        self.connection.mapping_ids = [
            Command.create({"kind": "account", "is_default": True, "xero_code": "260"}),
            Command.create({"kind": "journal", "is_default": True, "xero_code": "091"}),
        ]
        with self.assertRaises(ValidationError):
            self.connection.mapping_ids = [
                Command.create({"kind": "account", "is_default": True, "xero_code": "200"})
            ]
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, on_roaming).outcome, "created")
        self.assertEqual(
            [li["AccountCode"] for li in self.xero_invoice(on_roaming)["LineItems"]], ["260"]
        )
        line = self.line_of(self.run_task("send_new_payments"), self.allocations(payment))
        self.assertEqual(line.outcome, "created", line.message)
        self.assertEqual([p["Account"]["Code"] for p in self.xero_payments()], ["091"])

    def test_zero_taxes_map_by_kind_never_to_the_first_zero_rate(self):
        self.connection.mapping_ids.filtered(lambda m: m.kind == "tax").unlink()
        exempt = self.zero_tax("Exempt Sales")
        no_gst = self.zero_tax("No GST")
        exports = self.zero_tax("Zero Rated Exports")
        plain = self.zero_tax("0%")
        action = self.connection.action_load_mappings_from_xero()
        # The organisation's 0% rates: EXEMPTOUTPUT ("Zero Rated Income") and NONE ("No GST").
        self.assertEqual(self.mapped(exempt).xero_code, "EXEMPTOUTPUT")
        self.assertEqual(self.mapped(no_gst).xero_code, "NONE")
        self.assertFalse(self.mapped(exports) | self.mapped(plain))
        message = action["params"]["message"]
        self.assertIn("Zero Rated Exports: Xero has no zero-rated 0% sales rate", message)
        self.assertIn("0%: cannot tell whether it is exempt, zero-rated or no tax", message)
        # Xero gets a zero-rated rate: the next load maps the zero-rated tax to it.
        self.seed_org(
            tax_rates=[
                {
                    "TaxType": "ZERORATEDOUTPUT",
                    "Name": "Zero Rated Exports",
                    "Rate": "0.00",
                    "ReportTaxType": "ZERORATEDOUTPUT",
                    "CanApplyToRevenue": True,
                }
            ]
        )
        self.connection.action_load_mappings_from_xero()
        self.assertEqual(self.mapped(exports).xero_code, "ZERORATEDOUTPUT")
        self.assertFalse(self.mapped(plain), "still nothing to choose by")
        moves = {tax: self.sale(taxes=tax) for tax in (exempt, no_gst, exports, plain)}
        task = self.run_task("send_new_invoices")
        for tax, code in ((exempt, "EXEMPTOUTPUT"), (no_gst, "NONE"), (exports, "ZERORATEDOUTPUT")):
            self.assertEqual(self.line_of(task, moves[tax]).outcome, "created")
            self.assertEqual(self.xero_invoice(moves[tax])["LineItems"][0]["TaxType"], code)
        line = self.line_of(task, moves[plain])
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("tax 0% has no Xero tax type", line.message)
