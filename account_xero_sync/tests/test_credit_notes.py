from odoo import fields
from odoo.tests import tagged

from .common import DEMO_TENANT
from .test_payments import INVOICE_DATE, XeroPaymentCommon


class XeroCreditNoteCommon(XeroPaymentCommon):
    """Invoices, credit notes and their allocations, against the emulator's organisation."""

    def credit_note(self, amount, partner=None, reverse=None, post=True):
        """A customer credit note: a refund of ``reverse`` when given, else a free one."""
        if reverse:
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=reverse.ids)
                .create(
                    {
                        "journal_id": reverse.journal_id.id,
                        "date": fields.Date.from_string(INVOICE_DATE),
                        "reason": "Dropped call credit",
                    }
                )
            )
            refund = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
            refund.invoice_line_ids.price_unit = amount
        else:
            refund = self.init_invoice(
                "out_refund",
                partner=partner or self.partner_a,
                amounts=[amount],
                taxes=self.tax_sale_a,
                invoice_date=fields.Date.from_string(INVOICE_DATE),
            )
        if post:
            refund.action_post()
        return refund

    def seed_credit_note(self, number, amount):
        """A credit note typed in Xero under ``number``, for partner_a's contact."""
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "credit_notes": [
                            {
                                "Type": "ACCRECCREDIT",
                                "CreditNoteNumber": number,
                                "Contact": {"ContactID": self.partner_a.xero_contact_id},
                                "Status": "AUTHORISED",
                                "LineAmountTypes": "Exclusive",
                                "LineItems": [
                                    {
                                        "Description": "Credit",
                                        "Quantity": 1,
                                        "UnitAmount": amount,
                                        "AccountCode": "200",
                                        "TaxType": "OUTPUT2",
                                    }
                                ],
                            }
                        ],
                    }
                ]
            },
        )

    def xero_credit_note(self, move, tenant=DEMO_TENANT):
        return next(
            c
            for c in self.xero("credit_notes", tenant)
            if c["CreditNoteID"] == move.xero_invoice_id
        )


@tagged("post_install", "-at_install")
class TestCreditNotes(XeroCreditNoteCommon):
    def test_send_new_credit_notes_totals_to_the_cent_then_nothing(self):
        refund = self.credit_note(20.0)  # 23.00 with 15% tax
        task = self.run_task("send_new_credit_notes")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.line_of(task, refund).outcome, "created")
        self.assertEqual(self.line_of(task, self.partner_a).outcome, "created")
        note = self.xero_credit_note(refund)
        self.assertEqual(note["Type"], "ACCRECCREDIT")
        self.assertEqual(note["CreditNoteNumber"], refund.name)
        self.assertEqual(note["Status"], "AUTHORISED")
        self.assertAlmostEqual(float(note["Total"]), refund.amount_total, places=2)
        self.assertAlmostEqual(float(note["TotalTax"]), refund.amount_tax, places=2)
        self.assertAlmostEqual(float(note["RemainingCredit"]), refund.amount_total, places=2)
        self.assertEqual(refund.xero_sync_state, "sent")
        self.assertIn("ViewCreditNote", refund.xero_url)
        # Nothing is an invoice in Xero, and a second run sends nothing.
        self.assertFalse(self.xero("invoices"))
        again = self.run_task("send_new_credit_notes")
        self.assertEqual(again.count_total, 0)
        self.assertEqual(len(self.xero("credit_notes")), 1)

    def test_credit_note_already_in_xero_is_linked_not_created_twice(self):
        refund = self.credit_note(20.0)
        self.run_task("send_new_customers")
        self.seed_credit_note(refund.name, 20.0)
        task = self.run_task("send_new_credit_notes")
        self.assertEqual(self.line_of(task, refund).outcome, "linked")
        self.assertEqual(len(self.xero("credit_notes")), 1)
        self.assertEqual(refund.xero_invoice_id, self.xero("credit_notes")[0]["CreditNoteID"])

    def test_many_credit_notes_read_the_organisation_once(self):
        """More numbers than ten-term look-ups take in one call: the organisation's credit
        notes are read once (1,000 a page) instead, and still link what Xero has; a later
        task reads only what changed since, and finds a credit note typed in Xero meanwhile."""
        refunds = self.env["account.move"]
        for i in range(25):
            refunds |= self.credit_note(10.0 + i)
        self.run_task("send_new_customers")
        self.seed_credit_note(refunds[3].name, 13.0)
        self.emulator.clear_requests()
        task = self.run_task("send_new_credit_notes")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.line_of(task, refunds[3]).outcome, "linked")
        self.assertEqual({self.line_of(task, r).outcome for r in refunds - refunds[3]}, {"created"})
        self.assertEqual(len(self.xero("credit_notes")), 25)
        for refund in refunds - refunds[3]:
            note = self.xero_credit_note(refund)
            self.assertAlmostEqual(float(note["Total"]), refund.amount_total, places=2)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/CreditNotes")
        self.assertEqual([r["query"].get("where") for r in reads], ['Type=="ACCRECCREDIT"'])
        self.assertEqual(reads[0]["query"].get("pageSize"), "1000")
        puts = self.emulator.requests(method="PUT", path="/api.xro/2.0/CreditNotes")
        self.assertEqual([r["items"] for r in puts], [24])
        # Typed in Xero under the number Odoo gives next: the next task reads what changed.
        late = self.credit_note(40.0)
        self.seed_credit_note(late.name, 40.0)
        self.emulator.clear_requests()
        task = self.run_task("send_new_credit_notes")
        self.assertEqual(self.line_of(task, late).outcome, "linked")
        self.assertEqual(len(self.xero("credit_notes")), 26)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/CreditNotes")
        self.assertEqual(len(reads), 1)
        self.assertTrue(reads[0]["if_modified_since"])

    def test_one_off_send_updates_then_voids_a_cancelled_credit_note(self):
        refund = self.credit_note(20.0)
        action = refund.action_xero_send()
        task = self.env["xero.task"].browse(action["res_id"])
        self.assertEqual(task.task_type, "send_credit_note")
        self.assertEqual(self.line_of(task, refund).outcome, "created")
        refund.button_draft()
        refund.button_cancel()
        task = self.env["xero.task"].browse(refund.action_xero_send()["res_id"])
        self.assertEqual(
            self.line_of(task, refund).outcome, "updated", task.line_ids.mapped("message")
        )
        self.assertEqual(self.xero_credit_note(refund)["Status"], "VOIDED")
        self.assertEqual(refund.xero_sync_state, "voided")

    def test_credit_notes_to_send_preview(self):
        refund = self.credit_note(20.0)
        self.invoice(50.0)
        rows = self.env["xero.handler.credit_notes"]._preview(self.connection, "new")
        self.assertEqual([r["res_id"] for r in rows], refund.ids, "only credit notes")
        self.assertEqual(rows[0]["action"], "create")
        self.assertFalse(self.emulator.requests(method="PUT", path="/api.xro"))


@tagged("post_install", "-at_install")
class TestCreditAllocations(XeroCreditNoteCommon):
    def allocate(self, refund, invoice):
        """The UI path: on the invoice, "Add" the credit note's outstanding credit."""
        line = refund.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        invoice.js_assign_outstanding_line(line.id)
        return self.env["account.partial.reconcile"].search(
            [("debit_move_id.move_id", "=", invoice.id), ("credit_move_id.move_id", "=", refund.id)]
        )

    def test_partial_credit_note_allocated_amount_due_agrees(self):
        invoice = self.invoice(100.0)  # 115.00
        refund = self.credit_note(20.0)  # 23.00
        partial = self.allocate(refund, invoice)
        self.assertEqual(partial._xero_kind(), "credit")
        self.assertAlmostEqual(invoice.amount_residual, 92.0)
        preview = self.env["xero.handler.payments"]._preview(self.connection, "new")
        row = next(r for r in preview if r["res_id"] == partial.id and "res_model" not in r)
        self.assertEqual(row["action"], "create")
        self.assertIn(refund.name, row["reason"], "the credit note is sent first")
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.line_of(task, partial).outcome, "created")
        self.assertEqual(self.line_of(task, invoice).outcome, "created")
        self.assertEqual(self.line_of(task, refund).outcome, "created")
        xero_invoice = self.xero_invoice(invoice)
        self.assertAlmostEqual(float(xero_invoice["AmountDue"]), 92.0, places=2)
        self.assertAlmostEqual(float(xero_invoice["AmountCredited"]), 23.0, places=2)
        self.assertAlmostEqual(float(self.xero_credit_note(refund)["RemainingCredit"]), 0.0)
        self.assertFalse(self.xero_payments(), "no money moved through a bank account")
        self.assertTrue(partial.xero_payment_id)
        # Nothing twice.
        again = self.run_task("send_new_payments")
        self.assertEqual(again.count_total, 0)
        self.assertAssignedOnce(refund)

    def assertAssignedOnce(self, refund):
        allocations = (
            [a for a in self.xero("allocations") if not a.get("IsDeleted")]
            if "allocations" in self.emulator.state(DEMO_TENANT)
            else None
        )
        if allocations is not None:
            mine = [
                a for a in allocations if a["CreditNote"]["CreditNoteID"] == refund.xero_invoice_id
            ]
            self.assertEqual(len(mine), 1)

    def test_full_credit_pays_the_invoice_in_both(self):
        invoice = self.invoice(100.0)
        refund = self.credit_note(100.0)
        self.allocate(refund, invoice)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.run_task("send_new_payments")
        xero_invoice = self.xero_invoice(invoice)
        self.assertEqual(xero_invoice["Status"], "PAID")
        self.assertAlmostEqual(float(xero_invoice["AmountDue"]), 0.0)
        self.assertEqual(self.xero_credit_note(refund)["Status"], "PAID")

    def test_allocation_removed_in_odoo_is_removed_in_xero(self):
        invoice = self.invoice(100.0)
        refund = self.credit_note(20.0)
        partial = self.allocate(refund, invoice)
        self.run_task("send_new_payments")
        allocation_id = partial.xero_payment_id
        invoice.js_remove_outstanding_partial(partial.id)
        self.assertEqual(refund.xero_removed_allocations[0]["xero_id"], allocation_id)
        rows = self.env["xero.handler.payments"]._preview(self.connection, "new")
        self.assertEqual([r["res_id"] for r in rows if r.get("res_model")], refund.ids)
        task = self.run_task("send_new_payments")
        self.assertEqual(
            self.line_of(task, refund).outcome, "updated", task.line_ids.mapped("message")
        )
        self.assertFalse(refund.xero_removed_allocations)
        self.assertAlmostEqual(float(self.xero_invoice(invoice)["AmountDue"]), 115.0, places=2)
        self.assertAlmostEqual(
            float(self.xero_credit_note(refund)["RemainingCredit"]), 23.0, places=2
        )
        self.assertAlmostEqual(invoice.amount_residual, 115.0)

    def test_refund_paid_out_is_a_xero_payment_on_the_credit_note(self):
        refund = self.credit_note(20.0)  # 23.00 owed to the customer
        payment = self.pay(refund)
        self.assertEqual(payment.payment_type, "outbound")
        partial = self.env["account.partial.reconcile"].search(
            [("credit_move_id.move_id", "=", refund.id)]
        )
        self.assertEqual(partial._xero_kind(), "refund")
        task = self.run_task("send_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertEqual(self.line_of(task, partial).outcome, "created")
        [xero_payment] = self.xero_payments()
        self.assertEqual(xero_payment["CreditNote"]["CreditNoteID"], refund.xero_invoice_id)
        self.assertAlmostEqual(float(xero_payment["Amount"]), 23.0, places=2)
        self.assertEqual(xero_payment["Account"]["Code"], "090")
        self.assertAlmostEqual(float(self.xero_credit_note(refund)["RemainingCredit"]), 0.0)
        self.assertEqual(self.xero_credit_note(refund)["Status"], "PAID")

    def test_refund_removed_in_odoo_is_deleted_by_send_payment(self):
        refund = self.credit_note(20.0)
        payment = self.pay(refund)
        self.run_task("send_new_payments")
        self.assertEqual(len(self.xero_payments()), 1)
        payment.action_draft()
        payment.action_cancel()
        self.assertTrue(payment.xero_removed_payments)
        task = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(
            self.line_of(task, payment).outcome, "updated", task.line_ids.mapped("message")
        )
        self.assertFalse(self.xero_payments())
        self.assertAlmostEqual(
            float(self.xero_credit_note(refund)["RemainingCredit"]), 23.0, places=2
        )

    def test_refund_made_in_xero_is_fetched_into_odoo(self):
        refund = self.credit_note(20.0)
        self.run_task("send_new_credit_notes")
        self.emulator.api.bank_payments(
            [
                {
                    "CreditNote": {"CreditNoteID": refund.xero_invoice_id},
                    "Account": {"Code": "090"},
                    "Date": "2026-11-05",
                    "Amount": 23.0,
                    "Reference": "Refund by bank transfer",
                }
            ],
            tenant_id=DEMO_TENANT,
        )
        task = self.run_task("fetch_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        created = task.line_ids.filtered(lambda ln: ln.outcome == "created")
        self.assertEqual(len(created), 1, task.line_ids.mapped("message"))
        payment = self.env["account.payment"].browse(created.res_id)
        self.assertEqual(payment.payment_type, "outbound")
        self.assertEqual(payment.amount, 23.0)
        self.assertEqual(refund.payment_state, "paid")
        partial = self.env["account.partial.reconcile"].search(
            [("credit_move_id.move_id", "=", refund.id)]
        )
        self.assertEqual(partial.xero_payment_id, payment.xero_import_id)
        # Known from now on: not fetched twice, and never sent back.
        again = self.run_task("fetch_new_payments")
        self.assertFalse(again.line_ids.filtered(lambda ln: ln.outcome == "created"))
        send = self.run_task("send_new_payments")
        self.assertEqual(send.count_total, 0)
        self.assertEqual(len(self.xero_payments()), 1)

    def xero_allocate(self, refund, invoice, amount):
        """An accountant allocates the credit note in Xero (through Xero's API)."""
        answer = self.connection._xero_call(
            "create_credit_note_allocation",
            credit_note_id=refund.xero_invoice_id,
            allocations={
                "Allocations": [
                    {
                        "Invoice": {"InvoiceID": invoice.xero_invoice_id},
                        "Amount": amount,
                        "Date": "2026-11-05",
                    }
                ]
            },
        )
        return answer["Allocations"][0]["AllocationID"]

    def test_allocation_made_then_deleted_in_xero_reaches_odoo(self):
        invoice = self.invoice(100.0)  # 115.00
        refund = self.credit_note(20.0)  # 23.00
        self.run_task("send_new_invoices")
        self.run_task("send_new_credit_notes")
        allocation_id = self.xero_allocate(refund, invoice, 23.0)
        task = self.run_task("fetch_new_payments")
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        self.assertAlmostEqual(invoice.amount_residual, 92.0)
        self.assertEqual(refund.payment_state, "paid")
        partial = self.env["account.partial.reconcile"].search(
            [("credit_move_id.move_id", "=", refund.id), ("debit_move_id.move_id", "=", invoice.id)]
        )
        self.assertEqual(partial.xero_payment_id, allocation_id)
        self.assertIn("Odoo and Xero agree", task.summary)
        self.assertIn("1 credit note allocations made in Xero reconciled", task.summary)
        self.assertAlmostEqual(
            float(self.xero_invoice(invoice)["AmountDue"]), invoice.amount_residual, places=2
        )
        # Not sent back, not imported twice.
        self.assertEqual(self.run_task("send_new_payments").count_total, 0)
        self.assertEqual(
            self.run_task("fetch_new_payments").line_ids.filtered(
                lambda ln: ln.outcome == "created"
            ),
            self.env["xero.task.line"],
        )
        # Deleted in Xero: unreconciled in Odoo.
        self.connection._xero_call(
            "delete_credit_note_allocations",
            credit_note_id=refund.xero_invoice_id,
            allocation_id=allocation_id,
        )
        task = self.run_task("fetch_new_payments")
        self.assertAlmostEqual(invoice.amount_residual, 115.0)
        self.assertFalse(partial.exists())
        self.assertFalse(refund.xero_removed_allocations, "Odoo does not delete it again")
        self.assertIn("deleted in Xero", " ".join(task.line_ids.mapped("message")))

    def test_partial_allocation_in_xero_is_listed_not_guessed(self):
        invoice = self.invoice(100.0)
        refund = self.credit_note(20.0)
        self.run_task("send_new_invoices")
        self.run_task("send_new_credit_notes")
        self.xero_allocate(refund, invoice, 10.0)
        task = self.run_task("fetch_new_payments")
        blocked = task.line_ids.filtered(lambda ln: ln.outcome == "blocked")
        self.assertEqual(len(blocked), 1)
        self.assertIn("by hand", blocked.message)
        self.assertAlmostEqual(invoice.amount_residual, 115.0, "nothing reconciled by guess")
