"""Each dealer's own customers (issue #12, item 5)."""

from odoo import fields
from odoo.tests import tagged

from .common import DEMO_TENANT, OTHER_TENANT
from .test_payments import INVOICE_DATE, XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestDealerGuards(XeroPaymentCommon):
    """Dealer A (Demo Company) and dealer B (its own organisation), both with a chart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dealer_b = cls.setup_dealer("Dealer B", OTHER_TENANT)
        cls.company_b = cls.dealer_b["company"]
        cls.connection_b = cls.dealer_b["connection"]

    def sell(self, partner, company=None, move_type="out_invoice"):
        """A posted invoice (or credit note) of ``company`` (default: dealer A)."""
        data = self.dealer_b if company == self.company_b else self.company_data
        return self.init_invoice(
            move_type,
            partner=partner,
            amounts=[100.0],
            taxes=self.tax_sale_a if data is self.company_data else data["default_tax_sale"],
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
            company=data["company"],
        )

    def contacts(self, tenant=DEMO_TENANT):
        return {c["Name"]: c for c in self.xero("contacts", tenant)}

    def preview_names(self, company):
        connection = self.env["xero.connection"]._for_company(company)
        rows = self.env["xero.handler.customers"]._preview(connection, "new")
        return {row["name"] for row in rows}

    # ------------------------------------------------------------------ 5. own customers

    def test_shared_customer_only_in_the_organisations_of_dealers_that_invoiced_it(self):
        Partner = self.env["res.partner"]
        only_b = Partner.create({"name": "Only B Ltd", "customer_rank": 1})
        both = Partner.create({"name": "Both Dealers Ltd", "customer_rank": 1})
        credited_a = Partner.create({"name": "Credited By A Ltd", "customer_rank": 1})
        own_a = Partner.create(
            {"name": "A's New Customer", "customer_rank": 1, "company_id": self.company.id}
        )
        own_b = Partner.create(
            {"name": "B's Own Customer", "customer_rank": 1, "company_id": self.company_b.id}
        )
        self.sell(only_b, self.company_b)
        self.sell(both, self.company_b)
        self.sell(both)
        self.sell(credited_a, move_type="out_refund")
        # Each dealer's preview and its Send New Customers hold its own customers only.
        in_a = {both.name, credited_a.name, own_a.name}
        self.assertEqual(self.preview_names(self.company) & {*in_a, only_b.name, own_b.name}, in_a)
        in_b = {only_b.name, both.name, own_b.name}
        self.assertEqual(
            self.preview_names(self.company_b) & {*in_b, credited_a.name, own_a.name}, in_b
        )
        self.run_task("send_new_customers")
        self.run_task("send_new_customers", company=self.company_b)
        in_xero_a, in_xero_b = self.contacts(), self.contacts(OTHER_TENANT)
        self.assertLessEqual(in_a, set(in_xero_a))
        self.assertFalse({only_b.name, own_b.name} & set(in_xero_a), "not A's customers")
        self.assertLessEqual(in_b, set(in_xero_b))
        self.assertFalse({credited_a.name, own_a.name} & set(in_xero_b), "not B's customers")
        self.assertFalse(only_b.with_company(self.company).xero_contact_id)
        # The customer of both: one contact in each organisation, each linked for its dealer.
        id_a = both.with_company(self.company).xero_contact_id
        id_b = both.with_company(self.company_b).xero_contact_id
        self.assertEqual(id_a, in_xero_a[both.name]["ContactID"])
        self.assertEqual(id_b, in_xero_b[both.name]["ContactID"])
        self.assertNotEqual(id_a, id_b)

    def test_email_or_reference_alone_with_another_name_is_blocked(self):
        by_email = self.env["res.partner"].create(
            {
                "name": "Harbour Cafe Ltd",
                "email": "accounts@harbour.example",
                "customer_rank": 1,
                "company_id": self.company.id,
            }
        )
        by_ref = self.env["res.partner"].create(
            {
                "name": "Ridge Farm",
                "ref": "C0099",
                "customer_rank": 1,
                "company_id": self.company.id,
            }
        )
        self.seed_org(
            contacts=[
                {"Name": "Harbour Bistro", "EmailAddress": "accounts@harbour.example"},
                {"Name": "Ridgeway Orchards", "AccountNumber": "C0099"},
            ]
        )
        seeded = {name: c["ContactID"] for name, c in self.contacts().items()}
        task = self.run_task("send_new_customers")
        for partner, xero_name in ((by_email, "Harbour Bistro"), (by_ref, "Ridgeway Orchards")):
            line = self.line_of(task, partner)
            self.assertEqual(line.outcome, "blocked", line.message)
            self.assertIn(partner.name, line.message)
            self.assertIn(xero_name, line.message)
            self.assertFalse(partner.xero_contact_id)
            self.assertEqual(partner.xero_candidate_id, seeded[xero_name])
            self.assertEqual(partner.xero_candidate_name, xero_name)
        self.assertEqual(len(self.contacts()), 2, "nothing created, nothing linked")
        # A person decides it is the same customer: "Link to this Xero contact".
        by_email.action_xero_link_candidate()
        self.assertEqual(by_email.xero_contact_id, seeded["Harbour Bistro"])
