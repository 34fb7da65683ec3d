"""Lists that are never stale (issue #23, item 4): a change to a mapping, a customer, the
connection or a link, or a task that ends, makes the next opening of a to-send list or of the
wizard's Preview check again; an unchanged state reuses the last check (no Xero call)."""

from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from ..models.xero_columns import write_xero_columns
from .common import XeroListsMixin
from .test_payments import XeroPaymentCommon

TO_SEND = "Invoices to Send"


@tagged("post_install", "-at_install")
class TestFreshLists(XeroListsMixin, XeroPaymentCommon):
    default_tax_mapping = False  # an unmapped tax blocks its invoice
    accountant_login = "xero_fresh_accountant"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The same rate as the sales tax mapped to OUTPUT2, under another name: not mapped.
        cls.levy = cls.tax_sale_a.copy({"name": "Fresh Levy"})

    def to_send(self, task_type="send_new_invoices", name=TO_SEND):
        """Open a to-send list as the menu does, as an accountant: ``{res_id: row}``, whether
        it was checked again (not the last check shown again), and the Xero calls it made."""
        self.emulator.clear_requests()
        Wizard = self.registry["xero.bulk.task.wizard"]
        recent_check, reused = Wizard._recent_check, []

        def spy(wizard, signature):
            found = recent_check(wizard, signature)
            reused.append(bool(found))
            return found

        with patch.object(Wizard, "_recent_check", spy):
            action = self.Wizard.with_user(self.accountant)._action_to_send(task_type, name)
        rows = self.env["xero.bulk.task.wizard.line"].search(action["domain"])
        self.assertEqual(len(reused), 1)
        return {row.res_id: row for row in rows}, not reused[0], len(self.xero_calls())

    def assertReused(self, opened, what):
        _rows, checked, calls = opened
        self.assertFalse(checked, "%s: the last check is shown again" % what)
        self.assertEqual(calls, 0, "%s: shown again, no Xero call" % what)

    def assertChecked(self, opened, what):
        self.assertTrue(opened[1], "%s: the list is checked again" % what)

    def test_customers_sent_the_invoices_list_no_longer_waits_for_them(self):
        """Invoices to Send says the customer will be created first; after Send New
        Customers, the next opening says nothing of it, without Check again."""
        customer = self.env["res.partner"].create({"name": "Fresh Customer Ltd"})
        move = self.sale(partner=customer)
        opened = self.to_send()
        rows = opened[0]
        self.assertChecked(opened, "first opening")
        self.assertIn(
            "Customer Fresh Customer Ltd will be created in Xero first", rows[move.id].reason
        )
        opened = self.to_send()
        self.assertReused(opened, "nothing changed")

        self.run_task("send_new_customers")
        self.assertTrue(customer.with_company(self.company).xero_contact_id)
        opened = self.to_send()
        rows = opened[0]
        self.assertChecked(opened, "the customers were sent")
        self.assertEqual(rows[move.id].action, "create")
        self.assertNotIn("will be created in Xero first", rows[move.id].reason or "")

        # The wizard's Preview shares the new check.
        self.emulator.clear_requests()
        wizard = self.Wizard.with_user(self.accountant).create(
            {"company_id": self.company.id, "task_type": "send_new_invoices"}
        )
        wizard.action_preview()
        self.assertEqual(self.xero_calls(), [], "Preview reuses the list's fresh check")
        self.assertNotIn("will be created in Xero first", wizard.line_ids.reason or "")

    def test_a_customer_linked_outside_a_task_is_seen(self):
        """A customer linked by *Link to this Xero contact*, with no task ending, makes the
        next opening check again."""
        customer = self.env["res.partner"].create({"name": "Linked Later Ltd"})
        move = self.sale(partner=customer)
        rows = self.to_send()[0]
        self.assertIn("will be created in Xero first", rows[move.id].reason)
        contact = {"ContactID": "c0ffee00-0000-4000-8000-000000000001", "Name": "Linked Later Ltd"}
        self.seed_org(contacts=[contact])
        customer.with_company(self.company)._xero_link_contact(contact)
        opened = self.to_send()
        rows = opened[0]
        self.assertChecked(opened, "the customer was linked")
        self.assertNotIn("will be created in Xero first", rows[move.id].reason or "")

    def test_an_invoice_link_written_in_bulk_is_seen_by_payments_to_send(self):
        """A document's link written by ``write_xero_columns`` (as a send or an unlink does),
        with no task ending: Payments to Send, whose allocations depend on it, checks again."""
        move = self.sale()
        self.pay(move)
        self.run_task("send_new_invoices")
        self.assertTrue(move.xero_invoice_id)
        opened = self.to_send("send_new_payments", "Payments to Send")
        self.assertChecked(opened, "first opening")
        (row,) = opened[0].values()
        self.assertEqual(row.action, "create")
        self.assertNotIn("is sent to Xero first", row.reason or "")
        self.assertReused(self.to_send("send_new_payments", "Payments to Send"), "unchanged")

        write_xero_columns(move, {"xero_invoice_id": False})
        opened = self.to_send("send_new_payments", "Payments to Send")
        self.assertChecked(opened, "the invoice's link was cleared")
        (row,) = opened[0].values()
        self.assertIn("is sent to Xero first", row.reason)

    def test_a_tax_mapped_unblocks_the_next_opening(self):
        """An invoice blocked by an unmapped tax is no longer blocked once the tax is mapped;
        a mapping written or deleted is seen the same way."""
        move = self.sale(taxes=self.levy)
        opened = self.to_send()
        rows = opened[0]
        self.assertEqual(rows[move.id].action, "blocked")
        self.assertIn("has no Xero tax type", rows[move.id].reason)

        self.connection.write(
            {
                "mapping_ids": [
                    Command.create({"kind": "tax", "tax_id": self.levy.id, "xero_code": "OUTPUT2"})
                ]
            }
        )
        opened = self.to_send()
        rows = opened[0]
        self.assertChecked(opened, "the tax was mapped")
        self.assertEqual(rows[move.id].action, "create", rows[move.id].reason)
        opened = self.to_send()
        self.assertReused(opened, "nothing changed since")

        mapping = self.connection.mapping_ids.filtered(lambda m: m.tax_id == self.levy)
        mapping.xero_name = "GST on Income"
        self.assertChecked(self.to_send(), "the mapping was written")
        mapping.unlink()
        # Back to the state of the first opening: its check (blocked) may be shown again.
        rows = self.to_send()[0]
        self.assertEqual(rows[move.id].action, "blocked")
        self.assertIn("has no Xero tax type", rows[move.id].reason)

    def test_what_else_decides_makes_the_next_opening_check_again(self):
        """The customer written, the connection written, a task that ends: checked again.
        A change to a record no decision of the list reads keeps the last check."""
        move = self.sale()
        self.run_task("send_new_customers")
        opened = self.to_send()
        rows = opened[0]
        self.assertChecked(opened, "first opening")
        self.assertEqual(rows[move.id].action, "create")

        self.env["res.partner"].create({"name": "Someone Else Ltd"})
        self.company_data["default_journal_bank"].name = "Renamed Bank"
        opened = self.to_send()
        self.assertReused(opened, "nothing the list reads changed")

        self.partner_a.email = "accounts@partner-a.example"
        opened = self.to_send()
        self.assertChecked(opened, "the invoice's customer was written")

        self.connection.day_reserve_percent = 25
        opened = self.to_send()
        self.assertChecked(opened, "the connection was written")

        self.run_task("send_new_customers")  # nothing to send: it only ends
        opened = self.to_send()
        self.assertChecked(opened, "a task ended")
        opened = self.to_send()
        self.assertReused(opened, "nothing since")

    def test_customers_list_sees_a_mapping_change(self):
        """Customers to Send is checked again after a change of the dealer's mappings too
        (what decides for every list of the dealer)."""
        self.env["res.partner"].create({"name": "Listed Customer Ltd", "customer_rank": 1})
        opened = self.to_send("send_new_customers", "Customers to Send")
        self.assertChecked(opened, "first opening")
        opened = self.to_send("send_new_customers", "Customers to Send")
        self.assertReused(opened, "nothing changed")
        self.connection.mapping_ids[:1].xero_code = "201"
        opened = self.to_send("send_new_customers", "Customers to Send")
        self.assertChecked(opened, "a mapping was written")
