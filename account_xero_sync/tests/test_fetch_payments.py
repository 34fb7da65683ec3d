import uuid
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..handlers import payment_fetch, payment_fetch_report, payment_import
from ..handlers.payment_fetch import RETRY_LIMIT, PaymentFetch
from .common import DEMO_TENANT, OTHER_TENANT, XeroSecondDealerMixin
from .test_payments import GATEWAY_LOGGER, PAYMENT_DATE, XeroPaymentCommon

UNKNOWN_TENANT = "00000000-0000-4000-8000-00000000dead"


@tagged("post_install", "-at_install")
class TestFetchPayments(XeroPaymentCommon):
    def fetch(self, company=None):
        return self.run_task("fetch_new_payments", company=company)

    def payments_calls(self):
        return self.emulator.requests(method="GET", path="/api.xro/2.0/Payments")

    def fetched(self, xero_id):
        return self.env["account.payment"].search([("xero_import_id", "=", xero_id)])

    def test_bank_feed_payments_arrive_reconciled_then_nothing(self):
        part = self.invoice(100.0)  # 115.00
        full = self.invoice(200.0)  # 230.00
        self.run_task("send_new_invoices")
        # An invoice Odoo does not know: typed in Xero.
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "contacts": [{"Name": "Xero Only Ltd"}],
                        "invoices": [
                            {
                                "Type": "ACCREC",
                                "Contact": {"Name": "Xero Only Ltd"},
                                "InvoiceNumber": "XO-1",
                                "Status": "AUTHORISED",
                                "Date": "2026-10-01",
                                "DueDate": "2026-10-31",
                                "LineItems": [
                                    {
                                        "Description": "x",
                                        "Quantity": 1,
                                        "UnitAmount": 50,
                                        "AccountCode": "200",
                                        "TaxType": "NONE",
                                    }
                                ],
                            }
                        ],
                    }
                ]
            },
        )
        xero_only = next(i for i in self.xero("invoices") if i["InvoiceNumber"] == "XO-1")
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": DEMO_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": xero_only["InvoiceID"]},
                        "Account": {"Code": "090"},
                        "Date": PAYMENT_DATE,
                        "Amount": 50.0,
                        "Reference": "not ours",
                    }
                ],
            },
        )
        id_part, id_full = self.bank_feed((part, 40.0), (full, 230.0, "DD 42"))
        self.emulator.clear_requests()
        task = self.fetch()
        self.assertEqual(task.state, "done", task.line_ids.mapped("message"))
        for xero_id, invoice, amount in ((id_part, part, 40.0), (id_full, full, 230.0)):
            payment = self.fetched(xero_id)
            self.assertEqual(len(payment), 1)
            self.assertIn(payment.state, ("in_process", "paid"))
            self.assertEqual((payment.amount, payment.journal_id), (amount, self.bank))
            self.assertEqual(str(payment.date), PAYMENT_DATE)
            partial = payment._xero_allocations()
            self.assertEqual(partial.debit_move_id.move_id, invoice)
            self.assertEqual(partial.xero_payment_id, xero_id, "never sent back")
            self.assertEqual(payment.xero_state, "sent")
            self.assertEqual(self.line_of(task, payment).outcome, "created")
        self.assertEqual(self.fetched(id_full).memo, "DD 42")
        self.assertEqual(part.payment_state, "partial")
        self.assertAlmostEqual(part.amount_residual, 75.0)
        self.assertIn(full.payment_state, ("paid", "in_payment"))
        # The payment on the invoice Odoo does not know is listed, not imported.
        skipped = task.line_ids.filtered(lambda ln: ln.outcome == "skipped")
        self.assertEqual(len(skipped), 1)
        self.assertIn("XO-1", skipped.message)
        self.assertIn("1 on invoices not in Odoo", task.summary)
        self.assertIn("XO-1", task.summary)
        self.assertIn("Odoo and Xero agree", task.summary)
        self.assertAmountsDueAgree(part | full)
        self.assertTrue(self.connection.payments_fetched_until)
        # Calls: one page of payments, one look-up of the amounts due.
        self.assertEqual(len(self.payments_calls()), 1)
        self.assertEqual(
            self.payments_calls()[0]["query"]["where"],
            'PaymentType=="ACCRECPAYMENT" OR PaymentType=="ARCREDITPAYMENT"',
        )
        self.assertEqual(len(self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")), 1)
        # A second fetch imports nothing, and nothing is sent back.
        count = self.env["account.payment"].search_count([])
        again = self.fetch()
        self.assertEqual((again.count_created, again.count_linked), (0, 0))
        self.assertEqual(self.env["account.payment"].search_count([]), count)
        send = self.run_task("send_new_payments")
        self.assertEqual(send.count_total, 0)
        self.assertFalse(self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments"))

    def seed_history(self, count):
        """``count`` old payments in Xero, a minute apart from a year ago, on an invoice Odoo
        does not know; returns the first one's UpdatedDateUTC."""
        old = datetime(2025, 11, 1, tzinfo=timezone.utc)
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "contacts": [{"Name": "History Ltd"}],
                        "invoices": [
                            {
                                "Type": "ACCREC",
                                "Contact": {"Name": "History Ltd"},
                                "InvoiceID": "11111111-1111-4111-8111-111111111111",
                                "InvoiceNumber": "HIST-1",
                                "Status": "AUTHORISED",
                                "Date": "2025-10-01",
                                "DueDate": "2025-10-31",
                                "LineItems": [
                                    {
                                        "Description": "x",
                                        "Quantity": 1,
                                        "UnitAmount": 1000,
                                        "AccountCode": "200",
                                        "TaxType": "NONE",
                                    }
                                ],
                            }
                        ],
                        "payments": [
                            {
                                "Invoice": {"InvoiceID": "11111111-1111-4111-8111-111111111111"},
                                "Account": {"Code": "090"},
                                "Date": "2025-11-01",
                                "Amount": 1.0,
                                "Reference": f"old {i}",
                                "UpdatedDateUTC": (old + timedelta(minutes=i)).isoformat(),
                            }
                            for i in range(count)
                        ],
                    }
                ]
            },
        )
        return old

    def test_fetch_is_incremental_whatever_the_history(self):
        invoice = self.invoice(1000.0)
        self.run_task("send_new_invoices")
        old = self.seed_history(250)
        self.emulator.clear_requests()
        first = self.fetch()
        self.assertEqual(first.state, "done")
        self.assertEqual(len(self.payments_calls()), 1, "250 payments: one page of 1,000")
        self.assertIn("250 on invoices not in Odoo", first.summary)
        self.assertEqual(
            self.connection.payments_fetched_until,
            (old + timedelta(minutes=249)).replace(tzinfo=None),
        )
        # New payments: one page of payments and one look-up of amounts due, history unread.
        new_ids = self.bank_feed((invoice, 100.0), (invoice, 50.0))
        self.emulator.clear_requests()
        second = self.fetch()
        calls = [r for r in self.emulator.requests() if r["path"].startswith("/api.xro/")]
        self.assertEqual(len(calls), 2, [(r["method"], r["path"]) for r in calls])
        self.assertEqual(len(self.payments_calls()), 1)
        self.assertEqual(second.count_created, 2)
        self.assertNotIn("not in Odoo", second.summary, "the overlap is not reported twice")
        self.assertTrue(all(self.fetched(x) for x in new_ids))
        self.assertAmountsDueAgree(invoice)

    def test_fetch_resumes_at_the_next_page_after_a_crash(self):
        """A page per step, committed by the runner with where the fetch is (the task's
        ``handler_state``): a worker dying after page 2 is followed by page 3, not page 1.
        Pages of 100 here (Xero's default) for three pages of 250 payments."""
        self.seed_history(250)
        self.emulator.clear_requests()
        task = self.env["xero.task"]._queue(self.company, "fetch_new_payments")
        small_pages = patch.object(payment_fetch, "PAGE_SIZE", 100)
        small_pages.start()
        self.addCleanup(small_pages.stop)
        self.run_until_killed(lambda: self.run_runner(self.connection))
        self.assertEqual(task.state, "running")
        # Page 2 starts at page 1's newest instant (If-Modified-Since): its one payment of that
        # instant, already handled, is skipped.
        self.assertEqual((task.handler_state["pages"], task.handler_state["read"]), (2, 199))
        self.assertEqual(len(self.payments_calls()), 2)
        self.run_runner(self.connection)
        self.assertEqual(task.state, "done")
        self.assertEqual(len(self.payments_calls()), 3, "resumed at page 3: no page read twice")
        self.assertEqual(task.handler_state["read"], 250)
        self.assertIn("250 on invoices not in Odoo", task.summary)

    def test_payments_of_a_page_are_imported_together_a_failure_only_on_its_own(self):
        """The page's new payments are created, posted and reconciled together; one Odoo
        refuses (its journal takes no incoming payments) fails on its own line and waits for
        the next fetch, the others are imported."""
        invoices = self.invoice(100.0) | self.invoice(200.0) | self.invoice(300.0)
        self.run_task("send_new_invoices")
        savings = self.env["account.journal"].create(
            {"name": "Savings", "type": "bank", "code": "SAV"}
        )
        savings.inbound_payment_method_line_ids.unlink()
        self.connection.write(
            {
                "mapping_ids": [
                    Command.create(
                        {"kind": "journal", "journal_id": savings.id, "xero_code": "091"}
                    )
                ]
            }
        )
        ok_ids = self.bank_feed((invoices[0], 115.0), (invoices[1], 50.0))
        (refused_id,) = self.bank_feed((invoices[2], 20.0, "savings", "091"))
        task = self.fetch()
        self.assertEqual(task.count_created, 2)
        self.assertTrue(all(self.fetched(x) for x in ok_ids))
        self.assertIn(invoices[0].payment_state, ("paid", "in_payment"))
        self.assertEqual(invoices[1].amount_residual, 180.0)
        self.assertAmountsDueAgree(invoices[:2])
        self.assertFalse(self.fetched(refused_id))
        (line,) = task.line_ids.filtered(lambda ln: ln.xero_id == refused_id)
        self.assertEqual(line.outcome, "error")
        self.assertIn("payment method", line.message)
        self.assertEqual(self.connection.payments_fetch_retry_ids, [refused_id])

    def test_a_page_is_imported_in_chunks_of_a_bounded_size(self):
        """A page of many new payments is imported a chunk at a time (Odoo's work per chunk
        bounded): every payment is imported and reconciled, two of one invoice in two chunks
        included."""
        invoices = self.invoice(100.0) | self.invoice(200.0) | self.invoice(300.0)
        self.run_task("send_new_invoices")
        ids = self.bank_feed(
            (invoices[0], 40.0), (invoices[1], 230.0), (invoices[0], 75.0), (invoices[2], 30.0)
        )
        with patch.object(payment_import, "IMPORT_CHUNK", 2):
            task = self.fetch()
        self.assertEqual(task.count_created, 4)
        self.assertTrue(all(self.fetched(x) for x in ids))
        self.assertIn(invoices[0].payment_state, ("paid", "in_payment"))
        self.assertIn(invoices[1].payment_state, ("paid", "in_payment"))
        self.assertEqual(invoices[2].amount_residual, 315.0)
        self.assertAmountsDueAgree(invoices)

    def test_a_fetched_payment_is_recorded_as_register_payment_records_it(self):
        """What the accountant sees on an invoice paid in Xero (its Payments button, payment
        state, the payments' own state) is what Odoo's Register Payment gives for the same
        receipt typed in Odoo: a full payment, and an invoice paid in two parts in one page."""
        by_hand, full, split = self.invoice(100.0), self.invoice(100.0), self.invoice(100.0)
        self.run_task("send_new_invoices")
        manual = self.pay(by_hand)  # 115.00, in Odoo only
        ids = self.bank_feed((full, 115.0), (split, 15.0), (split, 100.0))
        task = self.fetch()
        self.assertEqual(task.count_created, 3, task.line_ids.mapped("message"))
        paid = (
            (by_hand, manual),
            (full, self.fetched(ids[0])),
            (split, self.fetched(ids[1]) | self.fetched(ids[2])),
        )
        for invoice, payments in paid:
            self.assertEqual(len(payments), 2 if invoice == split else 1)
            self.assertEqual(invoice.matched_payment_ids, payments, invoice.name)
            self.assertEqual(invoice.payment_count, len(payments))
            self.assertEqual(payments.reconciled_invoice_ids, invoice)
            self.assertEqual(invoice.payment_state, by_hand.payment_state, invoice.name)
            self.assertEqual(invoice.amount_residual, 0.0)
            self.assertEqual(set(payments.mapped("state")), {manual.state})
            self.assertEqual(set(payments.mapped("is_reconciled")), {True})

    def test_payment_deleted_in_xero_is_reversed(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        (xero_id,) = self.bank_feed((invoice, 115.0))
        self.fetch()
        payment = self.fetched(xero_id)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        # Someone deletes it in Xero.
        self.connection._xero_call(
            "delete_payment", payment_id=xero_id, payment_delete={"Status": "DELETED"}
        )
        task = self.fetch()
        self.assertEqual(payment.state, "canceled")
        self.assertFalse(payment._xero_allocations())
        self.assertFalse(payment.xero_removed_payments, "nothing to delete in Xero again")
        self.assertEqual(invoice.payment_state, "not_paid")
        line = self.line_of(task, payment)
        self.assertEqual(line.outcome, "updated")
        self.assertIn("Deleted in Xero", line.message)
        self.assertAmountsDueAgree(invoice)
        self.assertIn("Odoo and Xero agree", task.summary)
        # Seen again (overlap): nothing more happens.
        again = self.fetch()
        self.assertEqual(again.count_total, 0)

    def test_amount_due_differences_are_listed_until_sent(self):
        invoice = self.invoice(100.0)  # 115.00
        self.run_task("send_new_invoices")
        self.pay(invoice, amount=50.0)  # in Odoo, not sent yet
        self.bank_feed((invoice, 20.0))
        task = self.fetch()
        self.assertEqual(task.count_created, 1)
        self.assertIn("Amount due differs", task.summary)
        self.assertIn(f"{invoice.name}: Odoo 45.0, Xero 95.0", task.summary)
        sent = self.run_task("send_new_payments")
        self.assertEqual(sent.count_created, 1)
        again = self.fetch()
        self.assertEqual(again.count_created, 0, "its own payment is not imported back")
        self.assertIn("Odoo and Xero agree", again.summary)
        self.assertNotIn("differs", again.summary)
        self.assertAmountsDueAgree(invoice)

    def test_same_receipt_in_both_is_linked_not_doubled(self):
        fetched_first = self.invoice(100.0)
        sent_first = self.invoice(200.0)
        self.run_task("send_new_invoices")
        # The same receipt recorded in Odoo (not sent yet) and arriving from the bank feed.
        odoo_a = self.pay(fetched_first, amount=40.0)
        (xero_a,) = self.bank_feed((fetched_first, 40.0))
        task = self.fetch()
        self.assertFalse(self.fetched(xero_a), "not imported a second time")
        partial_a = odoo_a._xero_allocations()
        self.assertEqual(partial_a.xero_payment_id, xero_a)
        self.assertEqual(self.line_of(task, partial_a).outcome, "linked")
        # The other way round: Send New Payments finds the bank-feed payment and links it.
        (xero_b,) = self.bank_feed((sent_first, 60.0))
        odoo_b = self.pay(sent_first, amount=60.0)
        send = self.run_task("send_new_payments")
        partial_b = odoo_b._xero_allocations()
        self.assertEqual(self.line_of(send, partial_b).outcome, "linked")
        self.assertEqual(partial_b.xero_payment_id, xero_b)
        self.assertFalse(self.emulator.requests(method="PUT", path="/api.xro/2.0/Payments"))
        self.assertEqual(len(self.xero_payments()), 2)
        again = self.fetch()
        self.assertEqual((again.count_created, again.count_linked), (0, 0))
        self.assertAmountsDueAgree(fetched_first | sent_first)

    def test_unmapped_bank_account_blocks_then_retried_by_id(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        (xero_id,) = self.bank_feed((invoice, 15.0, "savings", "091"))
        task = self.fetch()
        line = task.line_ids.filtered(lambda ln: ln.xero_id == xero_id)
        self.assertEqual(line.outcome, "blocked")
        self.assertIn("091", line.message)
        self.assertFalse(self.fetched(xero_id))
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id])
        # Mapped now: the next fetch reads it again by id (its mark has moved on).
        savings = self.env["account.journal"].create(
            {"name": "Savings", "type": "bank", "code": "SAV"}
        )
        self.connection.write(
            {
                "mapping_ids": [
                    Command.create(
                        {"kind": "journal", "journal_id": savings.id, "xero_code": "091"}
                    )
                ],
                "payments_fetched_until": datetime(2030, 1, 1),
            }
        )
        self.emulator.clear_requests()
        task = self.fetch()
        self.assertEqual(self.fetched(xero_id).journal_id, savings)
        self.assertEqual(
            self.payments_calls()[0]["query"]["where"], f'PaymentID==Guid("{xero_id}")'
        )
        self.assertFalse(self.connection.payments_fetch_retry_ids)
        self.assertAmountsDueAgree(invoice)

    def test_long_retry_list_is_read_in_short_queries_and_takes_turns(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        (xero_id,) = self.bank_feed((invoice, 15.0, "savings", "091"))  # unmapped: waits
        self.fetch()
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id])
        # A long list of waiting payments (ids Xero no longer has), this one first.
        gone = [str(uuid.uuid4()) for _i in range(RETRY_LIMIT + 50)]
        self.connection.write(
            {
                "payments_fetch_retry_ids": [xero_id, *gone],
                "payments_fetched_until": datetime(2030, 1, 1),
            }
        )
        self.emulator.clear_requests()
        task = self.fetch()
        self.assertEqual(task.state, "done_blocked", "it is still unmapped: blocked, no error")
        calls = self.payments_calls()
        self.assertGreater(len(calls), 2, "the retried ids are split into several reads")
        self.assertEqual({r["status"] for r in calls}, {200})
        read = [r["query"]["where"] for r in calls if "PaymentID" in r["query"].get("where", "")]
        self.assertEqual(sum(w.count("Guid(") for w in read), RETRY_LIMIT, "at most the limit")
        # The ones not read wait for the next fetch; the one still blocked goes to the end.
        self.assertEqual(
            self.connection.payments_fetch_retry_ids, [*gone[RETRY_LIMIT - 1 :], xero_id]
        )
        self.fetch()
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id])
        # Mapped now: imported, and nothing waits any more.
        savings = self.env["account.journal"].create(
            {"name": "Savings", "type": "bank", "code": "SAV"}
        )
        self.connection.mapping_ids = [
            Command.create({"kind": "journal", "journal_id": savings.id, "xero_code": "091"})
        ]
        self.fetch()
        self.assertEqual(self.fetched(xero_id).journal_id, savings)
        self.assertFalse(self.connection.payments_fetch_retry_ids)
        self.assertAmountsDueAgree(invoice)

    def test_a_fetch_that_fails_loses_no_waiting_payment(self):
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        (xero_id,) = self.bank_feed((invoice, 15.0, "savings", "091"))  # unmapped: waits
        self.fetch()
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id])
        # Xero fails every read of payments: the fetch fails before it handles the waiting one.
        self.emulator.fault(kind="500", count=100, method="GET", path="/api.xro/2.0/Payments")
        with mute_logger(
            GATEWAY_LOGGER,
            "odoo.addons.account_xero_sync.tasks.xero_task_runner",
            "odoo.addons.account_xero_sync.tasks.xero_connection_runner",
        ):
            task = self.run_xero_task(self.company, "fetch_new_payments")
        self.assertEqual(task.state, "failed")
        self.assertIn("Xero failed", self.connection.payments_fetch_error, "kept on the dealer")
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id], "still waiting")
        self.emulator.control("DELETE", "faults")
        self.fetch()
        self.assertEqual(self.connection.payments_fetch_retry_ids, [xero_id], "read again")

    def test_fetch_keeps_a_receipt_whose_xero_payment_odoo_replaced(self):
        first = self.invoice(100.0)  # 115.00
        second = self.invoice(20.0)  # 23.00
        self.run_task("send_new_invoices")
        (old_id,) = self.bank_feed((first, 23.0))
        self.fetch()
        payment = self.fetched(old_id)
        partial = payment._xero_allocations()
        self.assertEqual(partial.xero_payment_id, old_id)
        # Re-allocated in Odoo, from the first invoice to the second; Send Payment deletes
        # the old Xero payment and creates the new one.
        first.js_remove_outstanding_partial(partial.id)
        line = payment.move_id.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable" and not ln.reconciled
        )
        second.js_assign_outstanding_line(line.id)
        send = self.env["xero.task"].browse(payment.action_xero_send()["res_id"])
        self.assertEqual(send.state, "done", send.line_ids.mapped("message"))
        new = payment._xero_allocations()
        self.assertEqual(new.debit_move_id.move_id, second)
        new_id = new.xero_payment_id
        self.assertTrue(new_id)
        self.assertEqual([p["PaymentID"] for p in self.xero_payments("DELETED")], [old_id])
        self.assertFalse(payment.xero_import_id, "no longer stands for the deleted payment")
        # The next fetch reads the deletion Odoo made itself: the receipt stays.
        again = self.fetch()
        self.assertEqual(again.state, "done", again.line_ids.mapped("message"))
        self.assertIn("0 reversed", again.summary)
        self.assertFalse(again.line_ids.filtered(lambda ln: ln.xero_id == old_id))
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(payment._xero_allocations(), new)
        self.assertEqual(new.xero_payment_id, new_id)
        self.assertIn(second.payment_state, ("paid", "in_payment"))
        self.assertIn("Odoo and Xero agree", again.summary)
        self.assertAmountsDueAgree(first | second)

    def test_deleted_in_xero_after_a_change_in_odoo_does_not_cancel(self):
        """The import marker is stale (the allocation was removed in Odoo, its Xero payment
        not deleted yet): a deletion in Xero leaves the payment alone."""
        invoice = self.invoice(100.0)
        self.run_task("send_new_invoices")
        (xero_id,) = self.bank_feed((invoice, 40.0))
        self.fetch()
        payment = self.fetched(xero_id)
        invoice.js_remove_outstanding_partial(payment._xero_allocations().id)
        self.connection._xero_call(
            "delete_payment", payment_id=xero_id, payment_delete={"Status": "DELETED"}
        )
        task = self.fetch()
        self.assertIn("0 reversed", task.summary)
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(payment.xero_import_id, xero_id)

    def test_amount_due_checked_on_open_invoices_the_fetch_did_not_touch(self):
        open_one = self.invoice(100.0)  # 115.00
        paid = self.invoice(20.0)  # 23.00
        not_in_xero = self.invoice(30.0)
        self.run_task("send_new_invoices", records=open_one | paid)
        self.pay(paid)
        self.run_task("send_new_payments")
        self.pay(open_one, amount=50.0)  # in Odoo only, not sent: no Xero payment to fetch
        self.connection.payments_fetched_until = datetime(2030, 1, 1)  # nothing new in Xero
        self.emulator.clear_requests()
        task = self.fetch()
        self.assertIn("Read 0 Xero payments", task.summary, "no invoice touched")
        self.assertIn("Amount due differs", task.summary)
        self.assertIn(f"{open_one.name}: Odoo 65.0, Xero 115.0", task.summary)
        self.assertNotIn(paid.name, task.summary)
        self.assertNotIn(not_in_xero.name, task.summary)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(reads), 1, "one bulk read")
        read_ids = set(reads[0]["query"]["IDs"].split(","))
        self.assertIn(open_one.xero_invoice_id, read_ids)
        open_in_odoo = (open_one | paid).filtered(
            lambda m: m.payment_state not in ("paid", "reversed")
        )
        self.assertEqual(read_ids, set(open_in_odoo.mapped("xero_invoice_id")))
        # Sent: all is well, and the summary says so.
        self.run_task("send_new_payments")
        again = self.fetch()
        self.assertNotIn("differs", again.summary)
        self.assertIn("Odoo and Xero agree", again.summary)
        self.assertAmountsDueAgree(open_one | paid)

    def test_amount_due_of_many_invoices_read_as_open_list(self):
        """Many invoices to check: Xero's open invoices are read whole, not 38 at a time."""
        open_one = self.invoice(100.0)
        paid = self.invoice(20.0)
        self.run_task("send_new_invoices", records=open_one | paid)
        self.pay(paid)
        self.run_task("send_new_payments")
        self.pay(open_one, amount=50.0)  # in Odoo only: the drift the check must find
        self.connection.payments_fetched_until = datetime(2030, 1, 1)
        self.emulator.clear_requests()
        with patch.object(payment_fetch_report, "AMOUNT_DUE_ID_CALLS", 0):
            task = self.fetch()
        self.assertIn(f"{open_one.name}: Odoo 65.0, Xero 115.0", task.summary)
        self.assertNotIn(paid.name, task.summary)
        reads = self.emulator.requests(method="GET", path="/api.xro/2.0/Invoices")
        self.assertEqual(len(reads), 1, "one page of open invoices; the paid one owes nothing")
        self.assertIn("AUTHORISED", reads[0]["query"]["where"])


@tagged("post_install", "-at_install")
class TestFetchPaymentsCron(XeroSecondDealerMixin, XeroPaymentCommon):
    dealer_b_values = {"auto_fetch_payments": True}

    def hourly_fetch(self):
        """The scheduled action, then each dealer's runner, as their crons would run."""
        self.env["xero.connection"]._cron_fetch_payments()
        for connection in (self.connection, self.connection_b):
            self.run_runner(connection)

    def fetches(self):
        return self.env["xero.task"].search([("task_type", "=", "fetch_new_payments")])

    def test_hourly_fetch_only_queues(self):
        """One queued fetch per dealer with automatic fetch, none while one is queued or
        running, each dealer's runner woken, and not one call to Xero from the action."""
        self.emulator.clear_requests()
        Connection = self.env["xero.connection"]
        Connection._cron_fetch_payments()
        self.assertEqual(self.fetches().company_id, self.company_b, "A has automatic fetch off")
        self.assertEqual(self.fetches().state, "queued")
        Trigger = self.env["ir.cron.trigger"]
        self.assertTrue(Trigger.search([("cron_id", "=", self.connection_b.runner_cron_id.id)]))
        self.connection.auto_fetch_payments = True
        Connection._cron_fetch_payments()
        Connection._cron_fetch_payments()
        fetches = self.fetches()
        self.assertEqual(fetches.company_id, self.company | self.company_b)
        self.assertEqual(len(fetches), 2)
        self.assertEqual(set(fetches.mapped("state")), {"queued"})
        self.assertTrue(Trigger.search([("cron_id", "=", self.connection.runner_cron_id.id)]))
        self.assertFalse(self.emulator.requests(), "the action itself calls nothing at Xero")
        self.env["xero.task"]._cron_run_tasks(self.connection.id)  # A's first step
        task_a = fetches.filtered(lambda t: t.company_id == self.company)
        self.assertEqual((task_a.state, (fetches - task_a).state), ("running", "queued"))
        Connection._cron_fetch_payments()
        self.assertEqual(self.fetches(), fetches, "none while one is queued or running")
        for connection in (self.connection, self.connection_b):
            self.run_runner(connection)
        self.assertEqual(set(fetches.mapped("state")), {"done"})
        Connection._cron_fetch_payments()
        self.assertEqual(len(self.fetches() - fetches), 2, "the next hour: one per dealer again")

    def test_cron_two_dealers_one_failure_does_not_stop_the_other(self):
        invoice_a = self.invoice(100.0)
        self.run_task("send_new_invoices")
        invoice_b = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[100.0],
            taxes=self.dealer_b["default_tax_sale"],
            post=True,
            company=self.company_b,
        )
        self.run_task("send_new_invoices", company=self.company_b)
        self.assertTrue(invoice_b.xero_invoice_id)
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": OTHER_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": invoice_b.xero_invoice_id},
                        "Account": {"Code": "090"},
                        "Date": PAYMENT_DATE,
                        "Amount": invoice_b.amount_total,
                        "Reference": "B paid",
                    }
                ],
            },
        )
        # Dealer A (first in line) now points at an organisation Xero refuses (as when the
        # organisation is gone: no one may re-point a dealer with links, so in SQL).
        self.connection.auto_fetch_payments = True
        self.env.cr.execute(
            "UPDATE xero_connection SET tenant_id = %s WHERE id = %s",
            [UNKNOWN_TENANT, self.connection.id],
        )
        self.connection.invalidate_recordset(["tenant_id"])
        with self.assertLogs(
            "odoo.addons.account_xero_sync.tasks.xero_connection_runner", "ERROR"
        ) as logs:
            self.hourly_fetch()
        self.assertEqual(len(logs.output), 1, "only dealer A failed")
        self.assertIn(self.company.name, logs.output[0])
        Task = self.env["xero.task"]
        task_a = Task.search(
            [("company_id", "=", self.company.id), ("task_type", "=", "fetch_new_payments")]
        )
        task_b = Task.search(
            [("company_id", "=", self.company_b.id), ("task_type", "=", "fetch_new_payments")]
        )
        self.assertEqual(task_a.state, "failed")
        self.assertTrue(task_a.message)
        self.assertIn("failed", self.connection.payments_fetch_error)
        self.assertIn("Fetch New Payments failed", self.connection.message_ids[0].body)
        self.assertEqual(task_b.state, "done", task_b.line_ids.mapped("message"))
        self.assertEqual(task_b.count_created, 1)
        self.assertIn(invoice_b.payment_state, ("paid", "in_payment"))
        self.assertFalse(self.connection_b.payments_fetch_error)
        self.assertAmountsDueAgree(invoice_b, tenant=OTHER_TENANT)
        self.assertEqual(invoice_a.payment_state, "not_paid")

    def test_cron_unexpected_error_is_contained(self):
        invoice_b = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[10.0],
            taxes=self.dealer_b["default_tax_sale"],
            post=True,
            company=self.company_b,
        )
        self.run_task("send_new_invoices", company=self.company_b)
        self.emulator.control(
            "POST",
            "bank_payments",
            {
                "tenant_id": OTHER_TENANT,
                "payments": [
                    {
                        "Invoice": {"InvoiceID": invoice_b.xero_invoice_id},
                        "Account": {"Code": "090"},
                        "Date": PAYMENT_DATE,
                        "Amount": 5.0,
                    }
                ],
            },
        )
        self.connection.auto_fetch_payments = True
        original = PaymentFetch.step
        company_a = self.company

        def step(fetch, state):
            if fetch.company == company_a:
                raise RuntimeError("disk full")
            return original(fetch, state)

        with (
            patch.object(PaymentFetch, "step", step),
            self.assertLogs("odoo.addons.account_xero_sync.tasks.xero_connection_runner", "ERROR"),
            self.assertLogs("odoo.addons.account_xero_sync.tasks.xero_task_runner", "ERROR"),
        ):
            self.hourly_fetch()
        task_a, task_b = (
            self.env["xero.task"].search([("company_id", "=", c.id)], limit=1)
            for c in (self.company, self.company_b)
        )
        self.assertEqual(task_a.state, "failed")
        self.assertIn("disk full", task_a.message)
        self.assertIn("disk full", self.connection.payments_fetch_error)
        self.assertEqual(task_b.state, "done")
        self.assertEqual(invoice_b.payment_state, "partial")
