"""The Xero screens in a real browser: Odoo tours (static/tests/tours/xero_screens_tours.js) in
headless Chromium against the real server, the real SDK and the bundled emulator."""

import threading
import time

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

from .common import DEMO_TENANT, OTHER_TENANT, VirtualClock, XeroAccountingCommon

JOURNEY_TENANT = "00000000-0000-4000-8000-0000000000a9"
#: Every tour's screens are checked at both sizes (xero_fits_tours.js).
SIZES = (("1440x900", False), ("390x844", True))


@tagged("post_install", "-at_install")
class TestTours(XeroAccountingCommon, AccountTestInvoicingHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("account_xero_sync.group_xero_user")
        partners = cls.env["res.partner"].create(
            [
                {"name": name, "customer_rank": 1, "company_id": cls.company.id, "email": email}
                for name, email in (
                    ("Tour Alpha Ltd", "ap@alpha.example"),
                    ("Clash Ltd", "ap@clash.example"),
                )
            ]
        )
        cls.alpha, cls.clash = partners
        cls.invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.alpha,
            amounts=[120.0],
            taxes=cls.tax_sale_a,
            post=True,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )
        # A finished task with a long name and many counts, for the Tasks list.
        cls.env["xero.task"].sudo().create(
            {
                "company_id": cls.company.id,
                "task_type": "link_existing_records",
                "state": "done_blocked",
                "count_total": 1234,
                "count_done": 1234,
                "count_linked": 1200,
                "count_skipped": 30,
                "count_blocked": 4,
            }
        )

    def setUp(self):
        super().setUp()
        # Xero already has a contact of that name with another email: the customer is blocked.
        self.seed_org(
            DEMO_TENANT, contacts=[{"Name": "Clash Ltd", "EmailAddress": "someone.else@clash.com"}]
        )

    def tour_url(self, action):
        menu = self.env.ref("account_xero_sync.menu_xero_root")
        return f"/odoo/action-account_xero_sync.{action}?menu_id={menu.id}"

    def run_queued_tasks_in_background(self, delay=3.0):
        """What the dealer's cron does, in a thread of this test: a task runs once this thread
        has seen it waiting for ``delay`` seconds (so the browser sees it queued first,
        whenever the thread wakes; the test's one transaction gives every record the same
        create date), on the test's cursor (as the browser's requests do)."""
        registry, stop, seen = self.env.registry, threading.Event(), {}

        def work():
            threading.current_thread().testing = True
            while not stop.wait(delay / 3):
                with registry.cursor() as cr:
                    env = api.Environment(
                        cr, SUPERUSER_ID, {"xero_clock": VirtualClock(time.time())}
                    )
                    Task, now = env["xero.task"], time.time()
                    tasks = Task.search(Task._runnable_domain())
                    for task in tasks:
                        seen.setdefault(task.id, now)
                    ripe = tasks.filtered(lambda t, now=now: now - seen[t.id] >= delay)
                    for connection in ripe.connection_id:
                        Task._cron_run_tasks(connection.id)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()

        def finish():
            stop.set()
            thread.join()

        self.addCleanup(finish)

    def test_bulk_task_preview_queue_and_watch_it_finish(self):
        """Tasks list that fits; Add bulk task in a large dialog: preview, change the type,
        preview again, queue; the task form follows the runner to "Done, some blocked" without
        a reload, offers to send the blocked one again, its line offers to link the Xero contact
        found; a click on the blocked log line opens the customer."""
        self.run_queued_tasks_in_background()
        self.start_tour(
            self.tour_url("action_xero_task"), "xero_bulk_task_tour", login="accountman"
        )
        task = self.env["xero.task"].search([("task_type", "=", "send_new_customers")])
        self.assertEqual(task.state, "done_blocked")
        self.assertTrue(self.alpha.with_company(self.company).xero_contact_id)
        self.assertFalse(self.clash.with_company(self.company).xero_contact_id)

    def test_to_send_lists(self):
        """Each to-send list has its own columns, a click opens the record, and the header
        button queues the list's task."""
        self.start_tour(self.tour_url("action_xero_task"), "xero_to_send_tour", login="accountman")
        task = self.env["xero.task"].search([("task_type", "=", "send_new_invoices")])
        self.assertEqual((len(task), task.state), (1, "queued"))

    def test_lists_are_not_stale_after_a_task(self):
        """Invoices to Send says the customer will be created first; Send New Customers queued
        from Customers to Send runs; the next opening of Invoices to Send no longer says so,
        without Check again (issue #23, item 4)."""
        self.run_queued_tasks_in_background()
        self.start_tour(
            self.tour_url("action_xero_task"), "xero_fresh_lists_tour", login="accountman"
        )
        self.assertTrue(self.alpha.with_company(self.company).xero_contact_id)

    def test_screens_with_a_broken_connection(self):
        """A wrong client secret: Customers and Invoices to Send open with a banner saying
        what is wrong and linking to the connection; the wizard's Preview shows it too."""
        self.connection.client_secret = "not-the-secret"
        self.start_tour(
            self.tour_url("action_xero_task"), "xero_broken_connection_tour", login="accountman"
        )

    def test_connection_and_mappings_screens(self):
        """The connection's state is a badge, its rate figures a dated snapshot; the Mappings
        tab warns of the unmapped tax, names the default row and every row's Xero name; a
        Mappings menu lists them all."""
        self.connection.write(
            {
                "last_test_date": fields.Datetime.now(),
                "min_remaining": 59,
                "mapping_ids": [
                    Command.create({"kind": "journal", "is_default": True, "xero_code": "090"})
                ],
            }
        )
        self.env["xero.code"].create(
            [
                {"connection_id": self.connection.id, "kind": kind, "code": code, "name": name}
                for kind, code, name in (
                    ("account", "200", "Sales"),
                    ("tax", "OUTPUT2", "GST on Income"),
                    ("bank", "090", "Business Bank Account"),
                )
            ]
        )
        # The warning names what the dealer's invoices use: one on the second sales tax.
        self.init_invoice(
            "out_invoice",
            partner=self.alpha,
            amounts=[50.0],
            taxes=self.tax_sale_b,
            post=True,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )
        self.assertIn(self.tax_sale_b.name, self.connection.unmapped_warning)
        self.assertNotIn("Payment journals", self.connection.unmapped_warning)
        url = f"/odoo/action-account_xero_sync.action_xero_connection/{self.connection.id}"
        self.start_tour(url, "xero_settings_tour", login="accountman")

    def test_mappings_screen_maps_what_is_missing(self):
        """Configuration > Mappings (issue #23, item 3): a Xero Manager adds the rows still to
        map (a sales tax an invoice uses), picks its Xero tax type found by code among the sales
        rates only (never INPUT2), and the row flags Xero's 5% against Odoo's 15%."""
        self.env["xero.code"].create(
            [
                {
                    "connection_id": self.connection.id,
                    "kind": "tax",
                    "code": code,
                    "name": name,
                    "rate": rate,
                    "use": use,
                }
                for code, name, rate, use in (
                    ("OUTPUT2", "15% GST on Income", 15.0, "sale"),
                    ("INPUT2", "15% GST on Expenses", 15.0, "purchase"),
                    ("OUTPUT3", "5% Levy", 5.0, "sale"),
                )
            ]
        )
        self.init_invoice(
            "out_invoice",
            partner=self.alpha,
            amounts=[50.0],
            taxes=self.tax_sale_b,
            post=True,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )
        self.start_tour(
            self.tour_url("action_xero_mapping"), "xero_mappings_tour", login="accountman"
        )
        row = self.connection.mapping_ids.filtered(lambda m: m.tax_id == self.tax_sale_b)
        self.assertEqual(row.xero_code, "OUTPUT3")
        self.assertTrue(row.rate_mismatch)

    def test_invoice_and_partner_xero_tabs(self):
        """The invoice's Xero tab reads "Xero invoice: Open in Xero"; the customer's has a link
        to its Xero contact."""
        contact_id = "11111111-2222-4333-8444-555555555555"
        self.invoice.xero_invoice_id = "66666666-2222-4333-8444-555555555555"
        self.alpha.with_company(self.company).xero_contact_id = contact_id
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
            "xero_invoice_tab_tour",
            login="accountman",
        )
        self.start_tour(
            f"/odoo/action-base.action_partner_form/{self.alpha.id}",
            "xero_partner_tab_tour",
            login="accountman",
        )

    def test_invoice_in_error_shows_its_error_status(self):
        """An invoice Xero no longer has, after a retry: its Xero tab says "Not found in Xero"
        beside the error, never "In Xero"."""
        self.invoice.action_xero_send()
        self.assertEqual(self.invoice.xero_sync_state, "sent")
        self.emulator.reset()
        self.emulator.control("POST", "seed", self.seed)
        self.invoice.action_xero_send()
        self.assertEqual(self.invoice.xero_sync_state, "missing")
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
            "xero_invoice_error_tour",
            login="accountman",
        )

    def test_dealer_picker_with_two_companies_active(self):
        """Two dealers active in the company switcher: Add bulk task offers both (the current
        one preselected), and the task runs for the one picked."""
        user = self.env.ref("base.user_admin").search([("login", "=", "accountman")])
        self.company.name = "Tour Dealer A"
        dealer_b = self.env["res.company"].create(
            {"name": "Tour Dealer B", "currency_id": self.company.currency_id.id}
        )
        user.company_ids |= dealer_b
        self.seed_org(OTHER_TENANT, name="Tour Org B", base_currency=self.company.currency_id.name)
        self.make_connection(dealer_b, tenant=OTHER_TENANT, tenant_name="Tour Org B")
        self.env["res.partner"].create(
            {"name": "Dealer B Customer", "customer_rank": 1, "company_id": dealer_b.id}
        )
        url = self.tour_url("action_xero_task") + f"&cids={self.company.id}-{dealer_b.id}"
        self.start_tour(url, "xero_dealer_picker_tour", login="accountman")
        task = self.env["xero.task"].search([("company_id", "=", dealer_b.id)])
        self.assertEqual(task.task_type, "send_new_customers")

    def test_oauth_journey(self):
        """A Xero Manager adds a connection for the active company without one (only Save
        until it is saved; where secrets go was set by an administrator, as defaults), Connects
        to Xero, consents at the emulator, comes back to Odoo, chooses the organisation and
        tests the connection: organisation, base currency and calls left."""
        user = self.env.ref("base.user_admin").search([("login", "=", "accountman")])
        dealer = self.env["res.company"].create(
            {"name": "Journey Tour Dealer", "currency_id": self.env.ref("base.USD").id}
        )
        user.company_ids |= dealer
        self.seed_org(JOURNEY_TENANT, name="Journey Tour Org", base_currency="USD")
        for name in ("api_url", "identity_url", "login_url"):
            self.env["ir.default"].set("xero.connection", name, self.emulator.url)
        # A Xero Manager, not a system administrator: the Servers tab is not theirs.
        user.sudo().groups_id -= self.env.ref("base.group_system")
        self.assertFalse(user.has_group("base.group_system"))
        url = self.tour_url("action_xero_connection") + f"&cids={dealer.id}"
        self.start_tour(url, "xero_oauth_journey_tour", login="accountman")
        connection = self.env["xero.connection"].search([("company_id", "=", dealer.id)])
        self.assertEqual(
            (connection.tenant_id, connection.state, connection.org_currency),
            (JOURNEY_TENANT, "connected", "USD"),
        )

    def test_dashboard_on_a_desktop(self):
        """The Dashboard at 1440 px: the dealer's card, nothing cut; its count of invoices to
        send opens Invoices to Send."""
        self.browser_size = "1440x900"
        self.start_tour(
            self.tour_url("action_xero_dashboard"),
            "xero_dashboard_desktop_tour",
            login="accountman",
        )

    def test_dashboard_on_a_phone(self):
        """The Dashboard at 390 px: the card fits the screen; the count opens Invoices to Send
        as cards (what will happen and why on screen, no table running off it)."""
        self.browser_size = "390x844"
        self.touch_enabled = True
        self.start_tour(
            self.tour_url("action_xero_dashboard"), "xero_dashboard_phone_tour", login="accountman"
        )

    def stage_screens(self):
        """What the screens show at their fullest: a credit note and a payment to send, an
        invoice in error and one that differs from Xero, a tested connection with mappings."""
        refund = self.init_invoice(
            "out_refund",
            partner=self.alpha,
            amounts=[30.0],
            taxes=self.tax_sale_a,
            post=True,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create({"amount": 50.0})._create_payments()
        differs = self.invoice.copy({"invoice_date": fields.Date.from_string("2026-10-31")})
        differs.action_post()
        # One invoice still to send (the wizard's preview), its customer's send blocked.
        self.init_invoice(
            "out_invoice",
            partner=self.clash,
            amounts=[75.0],
            taxes=self.tax_sale_a,
            post=True,
            invoice_date=fields.Date.from_string("2026-10-31"),
        )
        task = self.env["xero.task"].search([("company_id", "=", self.company.id)], limit=1)
        self.env["xero.task.line"].create(
            {
                "task_id": task.id,
                "res_model": "res.partner",
                "res_id": self.clash.id,
                "res_name": self.clash.name,
                "outcome": "blocked",
                "message": 'Xero contact "Clash Ltd" has the email someone.else@clash.com, '
                "not ap@clash.example: link it by hand from the customer's Xero tab if it is "
                "the same customer.",
            }
        )
        self.invoice.write(
            {
                "xero_invoice_id": "66666666-2222-4333-8444-555555555555",
                "xero_document_status": "AUTHORISED",
                "xero_last_error": "Xero refused the invoice: the account code 200 is "
                "archived in Xero (ValidationException). Map the income account to an active "
                "Xero account, then send it again.",
            }
        )
        differs.write(
            {
                "xero_invoice_id": "77777777-2222-4333-8444-555555555555",
                "xero_document_status": "DRAFT",
                "xero_amount_due": 138.0,
                "xero_last_read": fields.Datetime.now(),
                "xero_attention": "Odoo expects AUTHORISED, Xero has DRAFT; "
                "total 138.00 in Odoo, 137.99 in Xero.",
            }
        )
        self.connection.write(
            {"last_test_date": fields.Datetime.now(), "min_remaining": 59, "day_remaining": 4987}
        )
        self.env["xero.code"].create(
            [
                {"connection_id": self.connection.id, "kind": kind, "code": code, "name": name}
                | extra
                for kind, code, name, extra in (
                    ("account", "200", "Sales", {}),
                    ("tax", "OUTPUT2", "15% GST on Income", {"rate": 15.0, "use": "sale"}),
                    ("bank", "090", "Business Bank Account", {}),
                )
            ]
        )
        return refund, differs

    def check_screens_fit(self, size, touch):
        refund, differs = self.stage_screens()
        task = self.env["xero.task"].search([("company_id", "=", self.company.id)], limit=1)
        invoice_url = "/odoo/action-account.action_move_out_invoice_type/%s"
        screens = [
            (self.tour_url("action_xero_dashboard"), "xero_fits_tour"),
            (self.tour_url("action_xero_task"), "xero_fits_tour"),
            (f"/odoo/action-account_xero_sync.action_xero_task/{task.id}", "xero_fits_tour"),
            (self.tour_url("action_xero_task"), "xero_fits_wizard_tour"),
            *(
                (self.tour_url(f"action_xero_{name}_to_send"), "xero_fits_tour")
                for name in ("customers", "invoices", "credit_notes", "payments")
            ),
            (
                f"/odoo/action-account_xero_sync.action_xero_connection/{self.connection.id}",
                "xero_fits_mappings_tab_tour",
            ),
            (self.tour_url("action_xero_mapping"), "xero_fits_tour"),
            (invoice_url % self.invoice.id, "xero_fits_xero_tab_tour"),
            (invoice_url % differs.id, "xero_fits_xero_tab_tour"),
            (
                f"/odoo/action-account.action_move_out_refund_type/{refund.id}",
                "xero_fits_xero_tab_tour",
            ),
            (f"/odoo/action-base.action_partner_form/{self.alpha.id}", "xero_fits_xero_tab_tour"),
        ]
        self.browser_size, self.touch_enabled = size, touch
        for url, tour in screens:
            with self.subTest(url=url, tour=tour, size=size):
                self.start_tour(url, tour, login="accountman")

    def test_screens_fit_on_a_desktop(self):
        self.check_screens_fit(*SIZES[0])

    def test_screens_fit_on_a_phone(self):
        self.check_screens_fit(*SIZES[1])
