"""The audit trail (issue #23, item 6): a chatter note on each record a task created, updated,
voided or linked in Xero, naming the task, one per record and task, written in bulk; and on
the manual links and unlinks."""

import time

from odoo.tests import tagged

from ..models.xero_columns import write_xero_columns
from ..xero_api.throttle import VirtualClock
from .test_onboarding import document
from .test_payments import PAYMENT_DATE, XeroPaymentCommon


@tagged("post_install", "-at_install")
class TestAuditTrail(XeroPaymentCommon):
    def notes(self, record):
        """The Xero notes in ``record``'s chatter (internal notes that speak of Xero)."""
        return self.env["mail.message"].search(
            [
                ("model", "=", record._name),
                ("res_id", "=", record.id),
                ("subtype_id", "=", self.env.ref("mail.mt_note").id),
                ("body", "ilike", "Xero"),
            ],
            order="id",
        )

    def assertNotedBy(self, record, task, *words):
        """``record`` has exactly one Xero note, naming ``task`` and saying ``words``."""
        notes = self.notes(record)
        self.assertEqual(len(notes), 1, f"one note on {record.display_name}: {notes.body}")
        body = str(notes.body)
        self.assertIn(f"#{task.id}", body)
        self.assertIn(f'data-oe-id="{task.id}"', body.replace("'", '"'))
        for word in words:
            self.assertIn(word, body)
        self.assertTrue(notes.is_internal, "internal: never shown to a portal customer")

    def test_send_new_invoices_notes_each_record_once(self):
        first = self.invoice(100.0)
        second = self.invoice(40.0, partner=self.partner_b)
        task = self.run_task("send_new_invoices")
        self.assertEqual(
            (task.state, task.count_created), ("done", 4), task.line_ids.mapped("message")
        )
        for move in first | second:
            self.assertNotedBy(move, task, "Created in Xero", move.xero_invoice_id)
        # Their customers, sent first in the same task, have theirs too.
        for partner in self.partner_a | self.partner_b:
            self.assertNotedBy(partner, task, "Created in Xero", partner.xero_contact_id)
        # A task that changes nothing in Xero adds no note: the customers are unchanged.
        again = self.run_task("send_all_customers")
        self.assertEqual(again.count_skipped, 2, again.line_ids.mapped("message"))
        nothing = self.run_task("send_new_invoices")
        self.assertEqual(nothing.count_total, 0)
        for record in [first, second, self.partner_a, self.partner_b]:
            self.assertEqual(len(self.notes(record)), 1, record.display_name)

    def test_notes_of_a_task_take_the_same_queries_for_2_or_6_records(self):
        self.invoice(1.0)
        self.run_task("send_new_invoices")  # its customer is in Xero from now on
        queries = []
        for size in (2, 6):
            moves = [self.invoice(10.0 + i) for i in range(size)]
            task = self.run_task("send_new_invoices")
            self.assertEqual(task.count_created, size, task.line_ids.mapped("message"))
            # Written twice more: the second time, Odoo's own caches (groups, record rules,
            # xml ids) are warm, as in a running server; each time one note per invoice.
            for _warm_then_count in range(2):
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                task._write_audit_notes()
                self.env.flush_all()
                count = self.env.cr.sql_log_count - before
            queries.append(count)
            for move in moves:
                self.assertEqual(len(self.notes(move)), 3, "one note per call")
        self.assertEqual(queries[0], queries[1], "the notes of a task in bulk: %s" % queries)

    def test_void_and_payment_are_noted(self):
        move = self.invoice(100.0)
        sent = self.run_task("send_new_invoices")
        payment = self.pay(move, amount=30.0)
        paid = self.run_task("send_new_payments")
        self.assertEqual(paid.count_created, 1, paid.line_ids.mapped("message"))
        # The allocation has no chatter: its payment says it.
        self.assertNotedBy(payment, paid, "Created in Xero")
        self.assertIn(self.allocations(payment).xero_payment_id, str(self.notes(payment).body))
        self.run_task("send_new_payments")  # nothing left: no second note
        self.assertEqual(len(self.notes(payment)), 1)
        other = self.invoice(20.0)
        self.run_task("send_new_invoices")
        other.button_draft()
        other.button_cancel()
        voided = self.run_task("send_invoice", other)
        self.assertEqual(self.xero_invoice(other)["Status"], "VOIDED")
        notes = self.notes(other)
        self.assertEqual(len(notes), 2, "created, then voided")
        self.assertIn("Voided in Xero", str(notes[-1].body))
        self.assertIn(f"#{voided.id}", str(notes[-1].body))
        self.assertNotedBy(move, sent, "Created in Xero")

    def test_link_existing_notes_what_it_linked_only(self):
        acme = self.env["res.partner"].create(
            {"name": "Acme Telecom Ltd", "customer_rank": 1, "company_id": self.company.id}
        )
        same = self.invoice(100.0, partner=acme)
        odoo_only = self.invoice(40.0, partner=acme)
        payment = self.pay(same, amount=50.0)
        self.seed_org(
            contacts=[{"Name": "ACME TELECOM LTD"}],
            invoices=[
                document("InvoiceNumber", same.name, "ACME TELECOM LTD", 100.0, Type="ACCREC")
            ],
            payments=[
                {
                    "Invoice": {"InvoiceNumber": same.name},
                    "Account": {"Code": "090"},
                    "Date": PAYMENT_DATE,
                    "Amount": 50.0,
                }
            ],
        )
        task = self.run_task("link_existing_records")
        self.assertEqual(task.count_linked, 3, task.line_ids.mapped("message"))
        self.assertNotedBy(acme, task, "Linked with its Xero record", acme.xero_contact_id)
        self.assertNotedBy(same, task, "Linked with its Xero record", same.xero_invoice_id)
        self.assertNotedBy(payment, task, "Linked with its Xero record")
        self.assertFalse(self.notes(odoo_only), "not in Xero: skipped, nothing to note")

    def test_link_to_this_xero_contact_is_noted(self):
        clash = self.env["res.partner"].create(
            {
                "name": "Clash Ltd",
                "email": "accounts@clash.com",
                "customer_rank": 1,
                "company_id": self.company.id,
            }
        )
        self.seed_org(contacts=[{"Name": "Clash Ltd", "EmailAddress": "someone@else.com"}])
        task = self.run_task("send_new_customers")
        self.assertEqual(self.line_of(task, clash).outcome, "blocked")
        self.assertFalse(self.notes(clash), "blocked: nothing done in Xero, no note")
        candidate = clash.xero_candidate_id
        clash.action_xero_link_candidate()
        notes = self.notes(clash)
        self.assertEqual(len(notes), 1)
        self.assertIn("Linked by hand to the Xero contact Clash Ltd", str(notes.body))
        self.assertIn(candidate, str(notes.body))

    def test_unlink_and_send_again_is_noted(self):
        move = self.invoice(100.0)
        old_id = "0d6a9b6e-0000-4000-8000-00000000dead"  # deleted in Xero since
        write_xero_columns(move, {"xero_invoice_id": old_id})
        task = self.run_task("send_invoice", move)
        line = self.line_of(task, move)
        self.assertEqual(line.fix_action, "unlink_resend")
        self.assertFalse(self.notes(move), "an error: nothing done in Xero, no note")
        resend = self.env["xero.task"].browse(line.action_fix()["res_id"])
        notes = self.notes(move)
        self.assertEqual(len(notes), 1)
        self.assertIn("Unlinked by hand from the Xero document " + old_id, str(notes.body))
        self.assertIn(f"#{resend.id}", str(notes.body))
        resend.with_context(xero_clock=VirtualClock(time.time())).action_run()
        notes = self.notes(move)
        self.assertEqual(len(notes), 2)
        self.assertIn("Created in Xero", str(notes[-1].body))
        self.assertIn(move.xero_invoice_id, str(notes[-1].body))

    def test_unlink_all_notes_each_record_it_unlinks(self):
        move = self.invoice(100.0)
        self.run_task("send_new_invoices")
        payment = self.pay(move, amount=30.0)
        self.run_task("send_new_payments")
        ids = {
            move: move.xero_invoice_id,
            self.partner_a: self.partner_a.xero_contact_id,
            payment: self.allocations(payment).xero_payment_id,
        }
        self.connection.action_xero_unlink_all()
        self.assertFalse(move.xero_invoice_id)
        for record, xero_id in ids.items():
            notes = self.notes(record)
            self.assertEqual(len(notes), 2, f"sent, then unlinked: {record.display_name}")
            self.assertIn("Unlinked by hand from Xero organisation", str(notes[-1].body))
            self.assertIn(xero_id, str(notes[-1].body))
