"""Mappings that guide (issue #23, item 3): pickers offer only the Xero codes that fit the Odoo
record and find them by code; a tax mapped to a Xero rate of another percentage is flagged on
its row and blocks its invoices in the preview and the run, both rates named; the unmapped
warning lists only what the dealer's documents use; a manager adds the rows still to map."""

from odoo import Command
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from . import test_mapping_guards  # its helpers; the module, so its class is not run twice
from .test_payments import XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestMappingScreens(XeroPaymentCommon):
    default_tax_mapping = False  # no default tax: every tax needs its own mapping

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.roaming = cls.env["account.account"].create(
            {"code": "400900", "name": "Roaming Revenue", "account_type": "income"}
        )

    sale = test_mapping_guards.TestMappingGuards.sale
    mapped = test_mapping_guards.TestMappingGuards.mapped

    def load_codes(self):
        """Load from Xero: the emulator's accounts and tax rates kept as codes to pick from."""
        self.connection.action_load_mappings_from_xero()
        self.connection.action_load_bank_accounts()

    def offered(self, row):
        """The codes the row's Xero-code picker offers: the field's domain evaluated with the
        row's values, as the web client does, searched as the picker searches."""
        domain = self.env["xero.mapping"].fields_get(["xero_code_id"])["xero_code_id"]["domain"]
        values = {
            "connection_id": row.connection_id.id,
            "company_id": row.company_id.id,
            "xero_fit": row.xero_fit,
        }
        return self.env["xero.code"].search(safe_eval(domain, values))

    def test_pickers_offer_what_fits(self):
        self.load_codes()
        account_row = self.connection.mapping_ids.filtered(
            lambda m: m.account_id == self.company_data["default_account_revenue"]
        )
        tax_row = self.mapped(self.tax_sale_a)
        journal_row = self.mapped(self.bank)
        offered = self.offered(account_row)
        self.assertIn("200", offered.mapped("code"))
        for code in ("090", "400", "404", "610"):  # bank, expense, receivable
            self.assertNotIn(code, offered.mapped("code"))
        self.assertEqual(set(offered.mapped("kind")), {"account"})
        taxes = self.offered(tax_row).mapped("code")
        self.assertIn("OUTPUT2", taxes)
        self.assertNotIn("INPUT2", taxes)
        self.assertEqual(set(self.offered(journal_row).mapped("kind")), {"bank"})
        # Found by code as by name.
        domain = [("connection_id", "=", self.connection.id), ("fits", "=", "sale")]
        found = self.env["xero.code"].name_search("OUTPUT2", domain)
        self.assertEqual([name for _id, name in found], ["OUTPUT2 15% GST on Income"])
        self.assertFalse(self.env["xero.code"].name_search("INPUT2", domain))

    def test_rate_mismatch_flagged_and_blocked_with_both_rates(self):
        self.load_codes()
        five = self.tax_sale_a.copy({"name": "Reduced 5%", "amount": 5.0})
        self.connection.mapping_ids = [
            Command.create({"kind": "tax", "tax_id": five.id, "xero_code": "OUTPUT2"})
        ]
        row = self.mapped(five)
        why = "Odoo tax 5% is mapped to Xero OUTPUT2 at 15%: fix the mapping."
        self.assertTrue(row.rate_mismatch)
        self.assertEqual(row.rate_mismatch_message, why)
        self.assertFalse(self.mapped(self.tax_sale_a).rate_mismatch, "15% to 15%")
        wrong, good = self.sale(taxes=five), self.sale()
        preview = self.env["xero.handler.invoices"]._preview(self.connection, "new")
        rows = {r["res_id"]: r for r in preview}
        self.assertEqual(rows[wrong.id]["action"], "blocked")
        self.assertIn(why, rows[wrong.id]["reason"])
        self.assertEqual(rows[good.id]["action"], "create")
        task = self.run_task("send_new_invoices")
        line = self.line_of(task, wrong)
        self.assertEqual(line.outcome, "blocked")
        self.assertIn(why, line.message)
        self.assertFalse(wrong.xero_invoice_id)
        self.assertEqual(self.line_of(task, good).outcome, "created")
        self.assertEqual([i["InvoiceNumber"] for i in self.xero("invoices")], [good.name])
        row.xero_code = "NONE"
        self.assertEqual(
            row.rate_mismatch_message,
            "Odoo tax 5% is mapped to Xero NONE at 0%: fix the mapping.",
        )

    def test_unmapped_warning_lists_only_what_documents_use(self):
        unused = self.env["account.account"].create(
            {"code": "449900", "name": "Unused Income", "account_type": "income"}
        )
        unused_tax = self.tax_sale_a.copy({"name": "Unused 9%", "amount": 9.0})
        levy = self.tax_sale_a.copy({"name": "Levy 12%", "amount": 12.0})
        cards = self.env["account.journal"].create(
            {"name": "Card Settlements", "type": "bank", "code": "CRD"}
        )
        self.env["account.journal"].create({"name": "Idle Bank", "type": "bank", "code": "IDL"})
        self.sale(account=self.roaming, taxes=levy)
        self.pay(self.sale(), journal=cards)
        warning = self.connection.unmapped_warning
        for named in (self.roaming.code, "Levy 12%", "Card Settlements"):
            self.assertIn(named, warning)
        for unnamed in (unused.code, unused_tax.name, "Idle Bank"):
            self.assertNotIn(unnamed, warning)

    def test_add_the_missing_rows(self):
        levy = self.tax_sale_a.copy({"name": "Levy 12%", "amount": 12.0})
        self.sale(account=self.roaming, taxes=levy)
        before = self.connection.mapping_ids
        action = self.env["xero.mapping"].action_add_missing_rows()
        added = self.connection.mapping_ids - before
        self.assertEqual(
            {(r.kind, r.account_id.display_name or r.tax_id.display_name) for r in added},
            {("account", self.roaming.display_name), ("tax", levy.display_name)},
        )
        self.assertFalse(any(added.mapped("xero_code")), "still to map")
        self.assertEqual(action["context"], {"search_default_to_map": 1})
        to_map = self.env["xero.mapping"].search(action["domain"] + [("xero_code", "=", False)])
        self.assertEqual(to_map, added)
        # Still unmapped: the warning names them, the invoice stays blocked.
        self.assertIn("Levy 12%", self.connection.unmapped_warning)
        self.env["xero.mapping"].action_add_missing_rows()
        self.assertEqual(self.connection.mapping_ids - before, added, "added once")
        added.filtered(lambda r: r.kind == "account").xero_code = "260"
        added.filtered(lambda r: r.kind == "tax").xero_code = "OUTPUT2"
        self.assertFalse(self.connection.unmapped_warning)
