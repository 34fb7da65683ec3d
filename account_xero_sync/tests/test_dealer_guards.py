"""Each dealer's own customers, and links that cannot rot (issue #12, items 5 and 7)."""

import urllib.parse

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    DEMO_TENANT,
    OTHER_TENANT,
    XeroSecondDealerMixin,
    client_for,
)
from .test_connection import follow_authorize
from .test_payments import INVOICE_DATE, XeroPaymentCommon

NEW_TENANT = "00000000-0000-4000-8000-000000000003"


@tagged("post_install", "-at_install")
class TestDealerGuards(XeroSecondDealerMixin, XeroPaymentCommon):
    """Dealer A (Demo Company) and dealer B (its own organisation), both with a chart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seed["organisations"].append(
            {
                "tenant_id": NEW_TENANT,
                "name": "New Org",
                "base_currency": cls.company.currency_id.name,
            }
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

    # ------------------------------------------------------------------ 7. links that cannot rot

    def test_invoice_or_credit_note_in_xero_cannot_be_deleted(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        self.assertTrue(invoice.xero_invoice_id)
        invoice.button_draft()
        with self.assertRaisesRegex(UserError, "cancel it instead"):
            invoice.unlink()
        refund = self.sell(self.partner_a, move_type="out_refund")
        refund.button_draft()
        refund.xero_invoice_id = "b3a9f1de-0000-4000-8000-00000000c0de"  # as Send Credit Note
        with self.assertRaisesRegex(UserError, "Send Invoice then voids it"):
            refund.unlink()
        self.assertTrue(invoice.exists() and refund.exists())
        self.assertEqual(self.xero_invoice(invoice)["Status"], "AUTHORISED")
        never_sent = self.invoice(5.0)
        never_sent.button_draft()
        never_sent.unlink()  # not in Xero: Odoo's own rules apply
        self.assertFalse(never_sent.exists())

    def test_dealer_with_links_is_never_repointed_until_unlinked(self):
        shared = self.partner_a
        invoice = self.invoice(100.0)
        self.sell(shared, self.company_b)
        self.run_task("send_new_invoices")
        payment = self.pay(invoice)
        self.run_task("send_new_payments")
        self.run_task("send_new_invoices", company=self.company_b)
        partial = self.allocations(payment)
        self.assertTrue(partial.xero_payment_id and invoice.xero_invoice_id)
        # A write, the organisation picker and the OAuth callback are all refused.
        with self.assertRaisesRegex(UserError, "1 customer, 1 invoice or credit note, 1 pay"):
            self.connection.tenant_id = NEW_TENANT
        choice = self.env["xero.connection.tenant"].create(
            {"connection_id": self.connection.id, "tenant_id": NEW_TENANT, "name": "New Org"}
        )
        with self.assertRaisesRegex(UserError, "Unlink all records of this dealer"):
            choice.action_choose()
        # Through the OAuth app (a custom connection authorises nothing).
        self.connection.write(
            {"auth_mode": "oauth2", "client_id": APP_CLIENT_ID, "client_secret": APP_CLIENT_SECRET}
        )
        action = self.connection.action_connect()
        code, state = follow_authorize(action["url"] + "&tenant_id=" + NEW_TENANT)
        with self.assertRaisesRegex(UserError, "cannot be pointed to another organisation"):
            self.connection._oauth_callback(code, state)
        # Disconnecting keeps the organisation of the links, so nothing re-points it later.
        self.connection.action_disconnect()
        self.assertEqual(self.connection.tenant_id, DEMO_TENANT)
        self.assertEqual(self.xero("invoices")[0]["InvoiceID"], invoice.xero_invoice_id)

        # A manager unlinks every record of dealer A (dealer B's links stay), in bulk.
        self.connection.action_xero_unlink_all()
        self.assertFalse(shared.with_company(self.company).xero_contact_id)
        self.assertTrue(shared.with_company(self.company_b).xero_contact_id)
        self.assertFalse(invoice.xero_invoice_id)
        self.assertEqual(invoice.xero_sync_state, "not_sent")
        self.assertFalse(partial.xero_payment_id)
        self.assertFalse(invoice.invoice_line_ids.xero_line_item_id)
        note = self.connection.message_ids[0].body
        self.assertIn("1 customer, 1 invoice or credit note, 1 payment", note)
        # Now it may point elsewhere: the next sends create everything in the new organisation.
        # The new organisation's own custom connection.
        client_id, client_secret = client_for(NEW_TENANT)
        self.connection.write(
            {
                "auth_mode": "client_credentials",
                "tenant_id": NEW_TENANT,
                "client_id": client_id,
                "client_secret": client_secret,
            }
        )
        task = self.run_task("send_new_invoices")
        self.assertEqual(self.line_of(task, invoice).outcome, "created")
        self.run_task("send_new_payments")
        self.assertEqual(self.xero("invoices", NEW_TENANT)[0]["InvoiceID"], invoice.xero_invoice_id)
        self.assertEqual(len(self.xero("payments", NEW_TENANT)), 1)
        self.assertAmountsDueAgree(invoice, tenant=NEW_TENANT)

    def test_two_dealers_never_share_an_organisation(self):
        # (assertRaises, not assertRaisesRegex: only the former rolls back what was written)
        with self.assertRaises(ValidationError) as refused:
            self.connection.tenant_id = OTHER_TENANT
        self.assertIn("already connected to Dealer B", str(refused.exception))
        self.assertEqual(self.connection.tenant_id, DEMO_TENANT)
        dealer_c = self.env["res.company"].create({"name": "Dealer C"})
        with self.assertRaises(ValidationError) as refused:
            # (a client of its own: one custom connection serves one dealer, checked apart)
            self.make_connection(dealer_c, tenant=DEMO_TENANT, client_id="dealer-c-client")
        self.assertIn(f"already connected to {self.company.name}", str(refused.exception))
        # Through the OAuth callback: dealer C authorises dealer B's organisation only.
        conn_c = self.make_connection(dealer_c, auth_mode="oauth2", tenant_id=False)
        self.env.user.company_ids |= dealer_c
        action = conn_c.action_connect()
        query = urllib.parse.urlencode({"tenant_id": OTHER_TENANT})
        code, state = follow_authorize(action["url"] + "&" + query)
        with self.assertRaisesRegex(UserError, "already connected to Dealer B"):
            conn_c._oauth_callback(code, state)
        self.assertFalse(conn_c.tenant_id)
        self.assertFalse(conn_c._token_record().access_token, "the refused grant is not kept")


@tagged("post_install", "-at_install")
class TestTaskAccess(XeroPaymentCommon):
    """#15: a Xero User of dealer A cannot aim a task at dealer B's records, nor write what
    the system writes; previews read with the user's own rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dealer_b = cls.setup_dealer("Dealer B", OTHER_TENANT)
        cls.company_b = cls.dealer_b["company"]
        cls.user_a = new_test_user(
            cls.env,
            "xero_user_of_a",
            groups="base.group_user,account.group_account_invoice,"
            "account_xero_sync.group_xero_user",
            company_ids=[cls.company.id],
            company_id=cls.company.id,
        )
        cls.bare_user = new_test_user(
            cls.env,
            "xero_user_no_accounting",
            groups="base.group_user,account_xero_sync.group_xero_user",
            company_ids=[cls.company.id],
            company_id=cls.company.id,
        )

    def b_invoice(self):
        return self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[100.0],
            taxes=self.dealer_b["default_tax_sale"],
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
            company=self.company_b,
        )

    def test_task_fields_are_the_systems_whatever_the_client(self):
        theirs = self.b_invoice()
        Task = self.env["xero.task"].with_user(self.user_a)
        for vals in (
            {"res_model": "account.move", "res_ids": theirs.ids},
            {"state": "running"},
            {"count_created": 5},
            {"handler_state": {"page": 9}},
        ):
            with self.assertRaises(AccessError):
                Task.create({"company_id": self.company.id, "task_type": "send_invoice", **vals})
        task = Task.create({"company_id": self.company.id, "task_type": "send_new_customers"})
        for vals in ({"state": "done"}, {"res_ids": theirs.ids}, {"planned": True}):
            with self.assertRaises(AccessError):
                task.write(vals)
        task.action_cancel()
        self.assertEqual(task.state, "cancelled", "the user's own actions still work")

    def test_another_dealers_records_are_refused_then_blocked(self):
        theirs = self.b_invoice()
        mine = self.invoice(10.0)
        with self.assertRaises(AccessError):
            self.env["xero.task"].with_user(self.user_a)._queue(
                self.company, "send_invoice", theirs | mine
            )
        # A task made by the system over both (as from an old version): B's is blocked on
        # its line and never reaches A's organisation; A's is sent.
        task = self.env["xero.task"]._queue(self.company, "send_invoice", mine)
        task.sudo().res_ids = (mine | theirs).ids
        task.action_run()
        line = task.line_ids.filtered(lambda ln: ln.res_id == theirs.id)
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("Dealer B", line.message)
        numbers = [i["InvoiceNumber"] for i in self.xero("invoices")]
        self.assertEqual(numbers, [mine.name])
        self.assertFalse(theirs.xero_invoice_id)

    def test_preview_reads_with_the_users_rights(self):
        self.invoice(10.0)
        Wizard = self.env["xero.bulk.task.wizard"]
        wizard = Wizard.with_user(self.user_a).create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        wizard.action_preview()
        self.assertTrue(wizard.line_ids, "an accountant sees the invoices")
        wizard.action_preview()  # a second preview replaces the first (no access error)
        bare = Wizard.with_user(self.bare_user).create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        with self.assertRaisesRegex(AccessError, "You may not read"):
            bare.action_preview()
