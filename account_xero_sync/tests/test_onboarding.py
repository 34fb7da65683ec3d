from odoo import fields
from odoo.tests import tagged

from .common import DEMO_TENANT
from .test_payments import INVOICE_DATE, PAYMENT_DATE, XeroPaymentCommon


def line_items(amount):
    return [
        {
            "Description": "History",
            "Quantity": 1,
            "UnitAmount": amount,
            "AccountCode": "200",
            "TaxType": "OUTPUT2",
        }
    ]


def document(number_key, number, contact, amount, **vals):
    """A sales document already in Xero (15% tax on ``amount``)."""
    return {
        number_key: number,
        "Contact": {"Name": contact},
        "Status": "AUTHORISED",
        "Date": INVOICE_DATE,
        "DueDate": "2026-11-30",
        "LineAmountTypes": "Exclusive",
        "LineItems": line_items(amount),
        **vals,
    }


@tagged("post_install", "-at_install")
class TestOnboarding(XeroPaymentCommon):
    """An organisation with history: Link Existing Xero Records, "Send documents dated from",
    and Compare with Xero."""

    def customer(self, name, **vals):
        return self.env["res.partner"].create(
            {"name": name, "customer_rank": 1, "company_id": self.company.id, **vals}
        )

    def refund(self, amount, partner):
        return self.init_invoice(
            "out_refund",
            partner=partner,
            amounts=[amount],
            taxes=self.tax_sale_a,
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
        )

    def writes(self):
        """Every write call Odoo made to the Xero API."""
        return [
            r
            for r in self.emulator.requests(path="/api.xro/")
            if r["method"] in ("PUT", "POST", "DELETE")
        ]

    def gets(self, path):
        return self.emulator.requests(method="GET", path="/api.xro/2.0/" + path)

    def xero_id(self, kind, key, number_key, number):
        return next(d[key] for d in self.xero(kind) if d.get(number_key) == number)

    def bank_feed(self, invoice, amount):
        body = {
            "tenant_id": DEMO_TENANT,
            "payments": [
                {
                    "Invoice": {"InvoiceID": invoice.xero_invoice_id},
                    "Account": {"Code": "090"},
                    "Date": PAYMENT_DATE,
                    "Amount": amount,
                    "Reference": "Bank feed",
                }
            ],
        }
        return self.emulator.control("POST", "bank_payments", body)["Payments"][0]["PaymentID"]

    # ------------------------------------------------------------------ link existing

    def test_link_existing_records_links_matches_and_sends_nothing(self):
        acme = self.customer("Acme Telecom Ltd")
        bravo = self.customer("Bravo  Comms", email="bravo@example.com")
        charlie = self.customer("Charlie Ltd", email="charlie@odoo.example")
        delta = self.customer("Delta Odoo Only")
        same = self.invoice(100.0, partner=acme)  # 115.00
        conflict = self.invoice(200.0, partner=acme)  # 230.00 in Odoo, 5.75 in Xero
        odoo_only = self.invoice(40.0, partner=acme)
        note = self.refund(20.0, acme)  # 23.00
        paid = self.pay(same, amount=50.0)  # also in Xero: same amount and date
        partial = self.allocations(self.pay(odoo_only, amount=10.0))
        self.seed_org(
            contacts=[
                {"Name": "ACME TELECOM LTD"},
                {"Name": "bravo comms", "EmailAddress": "Bravo@Example.com"},
                {"Name": "Charlie Ltd", "EmailAddress": "charlie@xero.example"},
                {"Name": "Echo Xero Only"},
            ],
            invoices=[
                document("InvoiceNumber", same.name, "ACME TELECOM LTD", 100.0, Type="ACCREC"),
                document("InvoiceNumber", conflict.name, "ACME TELECOM LTD", 5.0, Type="ACCREC"),
                document("InvoiceNumber", "XO-100", "Echo Xero Only", 70.0, Type="ACCREC"),
            ],
            credit_notes=[
                document(
                    "CreditNoteNumber", note.name, "ACME TELECOM LTD", 20.0, Type="ACCRECCREDIT"
                ),
                document("CreditNoteNumber", "XCN-1", "Echo Xero Only", 8.0, Type="ACCRECCREDIT"),
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
        xero_payment = next(p["PaymentID"] for p in self.xero("payments"))
        self.emulator.clear_requests()
        task = self.run_task("link_existing_records")

        self.assertFalse(self.writes(), "nothing is sent: no PUT or POST at all")
        for path in ("Contacts", "Invoices", "CreditNotes"):
            pages = [r for r in self.gets(path) if r["query"].get("pageSize") == "1000"]
            self.assertTrue(pages, f"{path} read in pages of 1,000")
        self.assertEqual(task.state, "done_blocked", "two conflicts are blocked")
        self.assertFalse(task.count_error)

        def outcome(record):
            line = self.line_of(task, record)
            return line.outcome, line.message or ""

        # Customers: case and spaces do not make two names differ; conflicts are blocked.
        contact_id = self.xero_id("contacts", "ContactID", "Name", "ACME TELECOM LTD")
        self.assertEqual(acme.xero_contact_id, contact_id)
        self.assertEqual(outcome(acme)[0], "linked")
        self.assertEqual(outcome(bravo)[0], "linked", outcome(bravo)[1])
        self.assertTrue(bravo.xero_contact_id)
        self.assertEqual(outcome(charlie)[0], "blocked")
        self.assertIn("charlie@xero.example", outcome(charlie)[1])
        self.assertFalse(charlie.xero_contact_id)
        self.assertEqual(
            outcome(delta), ("skipped", "Not in Xero: the next Send New Customers sends it.")
        )
        self.assertFalse(delta.xero_contact_id)
        # Invoices and credit notes by number: same customer and total linked, else blocked.
        self.assertEqual(
            same.xero_invoice_id, self.xero_id("invoices", "InvoiceID", "InvoiceNumber", same.name)
        )
        self.assertEqual(outcome(same)[0], "linked")
        self.assertEqual(outcome(conflict)[0], "blocked")
        self.assertIn(
            "already exists in Xero for ACME TELECOM LTD, total 5.75", outcome(conflict)[1]
        )
        self.assertFalse(conflict.xero_invoice_id)
        self.assertEqual(
            outcome(odoo_only), ("skipped", "Not in Xero: the next Send New Invoices sends it.")
        )
        self.assertEqual(outcome(note)[0], "linked")
        self.assertEqual(
            note.xero_invoice_id,
            self.xero_id("credit_notes", "CreditNoteID", "CreditNoteNumber", note.name),
        )
        # Payments: the same amount and date on the same linked invoice.
        linked = self.allocations(paid)
        self.assertEqual(linked.xero_payment_id, xero_payment)
        self.assertEqual(outcome(linked)[0], "linked")
        self.assertEqual(
            outcome(partial), ("skipped", "Not in Xero: the next Send New Payments sends it.")
        )
        # What only Xero has: counted and named in the report.
        self.assertIn("Only in Xero", task.summary)
        self.assertIn("Echo Xero Only", task.report)
        self.assertIn("1 invoice: XO-100 (Echo Xero Only, 80.5)", task.report)
        self.assertIn("1 credit note: XCN-1 (Echo Xero Only, 9.2)", task.report)
        for known in (same.name, conflict.name, note.name, "ACME", "bravo"):
            self.assertNotIn(known, task.report)

        # The next sends send only what Xero lacks: never a duplicate.
        self.run_task("send_new_invoices")
        numbers = [i["InvoiceNumber"] for i in self.xero("invoices")]
        self.assertEqual(numbers.count(same.name), 1)
        self.assertEqual(numbers.count(odoo_only.name), 1)
        self.assertEqual(numbers.count(conflict.name), 1, "the conflict is never sent again")

    # ------------------------------------------------------------------ dated from

    def test_link_existing_finds_a_name_typed_with_extra_spaces(self):
        """A contact typed in Xero as "Kiwi  Fibre Ltd " (doubled and trailing spaces) is the
        Odoo customer "Kiwi Fibre Ltd": linked, not reported as only in Xero."""
        kiwi = self.customer("Kiwi Fibre Ltd")
        self.seed_org(contacts=[{"Name": "Kiwi  Fibre Ltd "}])
        task = self.run_task("link_existing_records")
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == "res.partner" and ln.res_id == kiwi.id
        )
        self.assertEqual(line.outcome, "linked", line.message)
        [contact] = [c for c in self.xero("contacts") if "Kiwi" in c["Name"]]
        self.assertEqual(kiwi.xero_contact_id, contact["ContactID"])
        self.assertNotIn("Kiwi", task.report or "", "not listed as only in Xero")

    def test_send_from_date_keeps_older_documents_out(self):
        old = self.init_invoice(
            "out_invoice",
            partner=self.partner_b,
            amounts=[60.0],
            taxes=self.tax_sale_a,
            post=True,
            invoice_date=fields.Date.from_string("2026-09-15"),
        )
        new = self.invoice(100.0)
        old_payment = self.pay(old, date="2026-09-20")
        self.connection.send_from_date = fields.Date.from_string("2026-10-01")
        Invoices = self.env["xero.handler.invoices"]
        self.assertEqual(Invoices._candidates(self.connection, "new"), new)
        preview = Invoices._preview(self.connection, "new")
        self.assertEqual([row["res_id"] for row in preview], new.ids, "the to-send list agrees")
        partials = self.env["xero.handler.payments"]._candidates(self.connection, "new")
        self.assertNotIn(self.allocations(old_payment), partials)
        self.assertIn(
            self.partner_b,
            self.env["xero.handler.customers"]._candidates(self.connection, "new"),
            "customers are not filtered by the date",
        )
        task = self.run_task("send_new_invoices")
        self.assertEqual(
            task.line_ids.filtered(lambda ln: ln.res_model == "account.move").res_id, new.id
        )
        self.assertTrue(new.xero_invoice_id)
        self.assertFalse(old.xero_invoice_id)
        self.assertNotIn(old.name, [i["InvoiceNumber"] for i in self.xero("invoices")])
        self.run_task("send_new_payments")
        self.assertFalse(old.xero_invoice_id, "no payment brings the old invoice along")

    # ------------------------------------------------------------------ compare

    def test_compare_with_xero_reports_drift_and_nothing_when_aligned(self):
        paid_in_xero = self.invoice(100.0)  # 115.00
        voided_in_xero = self.invoice(200.0)  # 230.00
        aligned = self.invoice(40.0)
        note = self.refund(20.0, self.partner_a)
        self.run_task("send_new_invoices")
        self.run_task("send_new_credit_notes")
        self.emulator.clear_requests()
        clean = self.run_task("compare_with_xero")
        self.assertEqual(clean.state, "done")
        self.assertFalse(clean.line_ids)
        self.assertIn("3 invoices and 1 credit note", clean.report)
        self.assertIn("Odoo and Xero agree", clean.report)
        self.assertFalse(self.writes())
        self.assertEqual(len(self.gets("Invoices")), 1, "one page of 1,000")
        self.assertEqual(len(self.gets("CreditNotes")), 1)
        # Changes made in Xero: a payment not fetched yet, an invoice voided.
        self.bank_feed(paid_in_xero, 50.0)
        self.connection._xero_call(
            "update_or_create_invoices",
            invoices={
                "Invoices": [{"InvoiceID": voided_in_xero.xero_invoice_id, "Status": "VOIDED"}]
            },
        )
        self.emulator.clear_requests()
        task = self.run_task("compare_with_xero")
        self.assertFalse(self.writes())
        self.assertEqual(task.state, "done_with_errors")
        self.assertEqual(task.count_error, 2)
        due = self.line_of(task, paid_in_xero)
        self.assertEqual((due.outcome, due.res_model), ("error", "account.move"))
        self.assertEqual(due.message, "amount due: Odoo 115.0, Xero 65.0")
        void = self.line_of(task, voided_in_xero)
        self.assertIn("status: Odoo expects AUTHORISED, Xero has VOIDED", void.message)
        for record in (aligned, note):
            self.assertFalse(task.line_ids.filtered(lambda ln, r=record: ln.res_id == r.id))
        self.assertIn("2 differ from Xero", task.summary)
        # The fetch's closing check is the same comparison (amounts due).
        fetch = self.run_task("fetch_new_payments")
        self.assertIn(f"{voided_in_xero.name}: Odoo 230.0, Xero 0.0", fetch.summary)
        self.assertNotIn(f"{paid_in_xero.name}:", fetch.summary, "fetched: aligned again")

    def test_fetch_checks_invoices_settled_by_a_credit_allocated_in_xero(self):
        """An invoice the fetch settles in Odoo (a credit note allocated to it in Xero) is
        checked by the fetch's closing comparison, though no longer open in Odoo."""
        invoice = self.invoice(20.0)  # 23.00
        note = self.refund(20.0, self.partner_a)
        self.run_task("send_new_invoices")
        self.run_task("send_new_credit_notes")
        self.connection._xero_call(
            "create_credit_note_allocation",
            credit_note_id=note.xero_invoice_id,
            allocations={
                "Allocations": [
                    {
                        "Invoice": {"InvoiceID": invoice.xero_invoice_id},
                        "Amount": 23.0,
                        "Date": PAYMENT_DATE,
                    }
                ]
            },
        )
        self.emulator.clear_requests()
        task = self.run_task("fetch_new_payments")
        self.assertIn(invoice.payment_state, ("paid", "reversed"))
        self.assertIn("Odoo and Xero agree (1 invoice checked)", task.summary)
        read = [r["query"].get("IDs", "") for r in self.gets("Invoices")]
        self.assertTrue(any(invoice.xero_invoice_id in ids for ids in read))
