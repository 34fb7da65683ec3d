"""Hostile inputs (#15): each case is a record mixed with ordinary ones in the same bulk task,
run by the real runner against the emulator. Per case the task must not crash, and the record
is either sent as Xero would keep it (checked in Xero's state) or blocked / refused on its own
log line with a message naming the problem; every ordinary record is sent. Inputs PostgreSQL or
Odoo refuse to store are "Odoo refuses it" cases: nothing reaches a task.
"""

from unittest.mock import patch

import psycopg2

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import DEMO_TENANT, XeroAccountingCommon

LONG = "Telecom " * 1250  # 10,000 characters
SENT = ("created", "linked")


class Case:
    """One hostile input: its record, and either ``check`` (sent: what Xero must hold) or
    ``refused`` (a regex the message of the record's blocked log line must match)."""

    def __init__(self, label, record, check=None, refused=None):
        self.label, self.record, self.check, self.refused = label, record, check, refused


@tagged("post_install", "-at_install")
class TestHostileInputs(XeroAccountingCommon, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nz = cls.env.ref("base.nz")
        cls.eur = cls.setup_other_currency("EUR", rates=[("1899-01-01", 0.6)])
        cls.env["res.partner"].search([("customer_rank", ">", 0)]).customer_rank = 0
        cls.counted = {}

    # ------------------------------------------------------------------ helpers

    def customer(self, name, **vals):
        return self.env["res.partner"].create(
            {"name": name, "customer_rank": 1, "company_id": self.company.id, **vals}
        )

    def document(
        self, lines, move_type="out_invoice", partner=None, date="2026-10-31", discounts=(), **vals
    ):
        """A posted invoice or credit note; ``lines``: (description, quantity, price)."""
        discounts = list(discounts) or [0] * len(lines)
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.ordinary_customer()).id,
                "invoice_date": date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": name,
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": [Command.set(self.tax_sale_a.ids)],
                        }
                    )
                    for (name, quantity, price), discount in zip(lines, discounts, strict=True)
                ],
                **vals,
            }
        )
        move.action_post()
        return move

    def ordinary_customer(self):
        if not getattr(self, "_ordinary", None):
            self._ordinary = self.customer("Ordinary Customer Ltd", email="ops@ordinary.nz")
        return self._ordinary

    def pay(self, invoice, amount=None, date="2026-11-05", memo=None):
        vals = {"payment_date": date, "journal_id": self.company_data["default_journal_bank"].id}
        if amount is not None:
            vals["amount"] = amount
        if memo is not None:
            vals["communication"] = memo
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(vals)
        )
        return wizard._create_payments()

    def run_task(self, task_type):
        task = self.run_xero_task(self.company, task_type)
        self.assertIn(
            task.state,
            ("done", "done_blocked", "done_with_errors"),
            "%s: %s" % (task.task_type, task.message),
        )
        return task

    def line_of(self, task, record):
        line = task.line_ids.filtered(
            lambda ln: ln.res_model == record._name and ln.res_id == record.id
        )
        self.assertEqual(len(line), 1, "one log line for %s" % record.display_name)
        return line

    def xero(self, kind):
        return self.emulator.state(DEMO_TENANT)[kind]

    def xero_contact(self, partner):
        return next(c for c in self.xero("contacts") if c["ContactID"] == partner.xero_contact_id)

    def xero_document(self, move):
        kind = "credit_notes" if move.move_type == "out_refund" else "invoices"
        key = "CreditNoteID" if kind == "credit_notes" else "InvoiceID"
        return next(d for d in self.xero(kind) if d[key] == move.xero_invoice_id)

    def assert_cases(self, task, cases, ordinary):
        """Every case sent as checked or refused on its own line with its message; every
        ordinary record sent."""
        for case in cases:
            line = self.line_of(task, case.record)
            with self.subTest(case=case.label):
                if case.refused:
                    self.assertEqual(line.outcome, "blocked", case.label)
                    self.assertRegex(line.message or "", case.refused, case.label)
                else:
                    self.assertIn(line.outcome, SENT, "%s: %s" % (case.label, line.message))
                    case.check(case.record, line)
        for record in ordinary:
            self.assertIn(self.line_of(task, record).outcome, SENT, record.display_name)
        self.counted[task.task_type] = len(cases)

    def assert_preview(self, handler, cases):
        """The preview (Add bulk task, the to-send lists) shows each case without a crash, and
        blocks what the task will block."""
        rows = {row["res_id"]: row for row in self.env[handler]._preview(self.connection, "new")}
        for case in cases:
            action = rows[case.record.id]["action"]
            if case.refused:
                self.assertEqual(action, "blocked", case.label)
            else:
                self.assertNotEqual(action, "blocked", case.label)

    def assert_totals(self, move, line=None):
        xero = self.xero_document(move)
        self.assertAlmostEqual(xero["Total"], move.amount_total, places=2, msg=move.name)
        self.assertAlmostEqual(xero["TotalTax"], move.amount_tax, places=2, msg=move.name)
        self.assertEqual(xero["Status"], "AUTHORISED", move.name)
        return xero

    def odoo_refuses(self, create, message):
        """Odoo (or PostgreSQL) refuses to store the value: nothing is left to send."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                create()
                self.env.flush_all()
        except (ValueError, psycopg2.DataError, UserError) as exc:
            self.assertRegex(str(exc), message)
        else:
            self.fail("Odoo stored it: %s" % message)

    # ------------------------------------------------------------------ customers

    def test_hostile_customers(self):
        def named(expected):
            def check(partner, _line):
                self.assertEqual(self.xero_contact(partner)["Name"], expected)

            return check

        def email(expected):
            def check(partner, _line):
                self.assertEqual(self.xero_contact(partner).get("EmailAddress") or "", expected)

            return check

        def noted(field, expected_email):
            """Sent, the field left out or cut with a warning on the log line."""

            def check(partner, line):
                contact = self.xero_contact(partner)
                self.assertEqual(contact["Name"], partner.name)
                self.assertIn(field, line.message or "")
                if expected_email is not None:
                    self.assertEqual(contact.get("EmailAddress") or "", expected_email)

            return check

        def cut_name(partner, line):
            self.assertEqual(self.xero_contact(partner)["Name"], LONG[:255].rstrip())
            self.assertIn("Name was cut to 255 characters", line.message)

        def no_country(partner, _line):
            phones = self.xero_contact(partner)["Phones"]
            self.assertIn("1234567", "".join(p.get("PhoneNumber") or "" for p in phones))

        def street_cut(partner, line):
            addresses = self.xero_contact(partner)["Addresses"]
            self.assertIn("x" * 500, [a.get("AddressLine1") for a in addresses])
            self.assertIn("AddressLine1 was cut to 500", line.message)

        def linked_to(xero_name):
            def check(partner, _line):
                same = [c for c in self.xero("contacts") if c["Name"].startswith(xero_name)]
                self.assertEqual([c["ContactID"] for c in same], [partner.xero_contact_id])

            return check

        # Contacts typed in Xero: the same customers, whose Odoo names hold a tab and a bell,
        # or run past Xero's 255 characters.
        long_other = "Fibre " * 1700
        self.seed_org(contacts=[{"Name": "Kiwi Control Ltd"}, {"Name": long_other[:255].rstrip()}])
        emoji = "🍕" * 300  # 600 UTF-16 units, as Xero counts
        cases = [
            Case("bell and escape in the name", self.customer("Bell\x07 \x1b[31mCo"),
                 named("Bell [31mCo")),
            Case("tab and newline in the name", self.customer("Tab\tand\nNewline Ltd"),
                 named("Tab and Newline Ltd")),
            Case("right-to-left name", self.customer("شركة الاتصالات المحدودة"),
                 named("شركة الاتصالات المحدودة")),
            Case("right-to-left override", self.customer("\u202eevil.exe Ltd"),
                 named("\u202eevil.exe Ltd")),
            Case("Hebrew name with a Latin suffix", self.customer("חברת תקשורת Ltd"),
                 named("חברת תקשורת Ltd")),
            Case("10,000-character name", self.customer(LONG), cut_name),
            Case("300 emoji (600 UTF-16 units)", self.customer(emoji), named("🍕" * 127)),
            Case("SQL-looking name", self.customer("Robert'); DROP TABLE res_partner;--"),
                 named("Robert'); DROP TABLE res_partner;--")),
            Case("HTML-looking name", self.customer("<script>alert(1)</script> & Co"),
                 named("<script>alert(1)</script> & Co")),
            Case("spreadsheet formula name", self.customer("=HYPERLINK(\"x\") Ltd"),
                 named("=HYPERLINK(\"x\") Ltd")),
            Case("format placeholders in the name", self.customer("%s %(name)s {0} Ltd"),
                 named("%s %(name)s {0} Ltd")),
            Case("name of control characters only", self.customer("\x01\x02\x03"),
                 refused="no name"),
            Case("name of invisible characters only", self.customer("\u200b\u200d\ufeff"),
                 refused="no name"),
            Case("unicode email", self.customer("Unicode Mail Ltd", email="用户@例子.广告"),
                 email("用户@例子.广告")),
            Case("accented email", self.customer("Accent Mail Ltd", email="josé@exemple.fr"),
                 email("josé@exemple.fr")),
            Case("email that is not one", self.customer("Bad Mail Ltd", email="not an email"),
                 email("")),
            Case("SQL in the email", self.customer("Sql Mail Ltd", email="x'--@evil.com;DROP"),
                 email("x'--@evil.com")),
            Case("300-character email",
                 self.customer("Long Mail Ltd", email="a" * 290 + "@example.nz"), email("")),
            Case("phone without a country", self.customer("No Country Ltd", phone="021 1234567"),
                 no_country),
            Case("phone of letters and HTML",
                 self.customer("Odd Phone Ltd", phone="<b>call me</b> ☎"), named("Odd Phone Ltd")),
            Case("2,000-character street",
                 self.customer("Long Street Ltd", street="x" * 2000, country_id=self.nz.id),
                 street_cut),
            Case("tab and bell in a name Xero already has",
                 self.customer("Kiwi\tControl\x07 Ltd"), linked_to("Kiwi Control Ltd")),
            Case("10,000-character name Xero already has, cut",
                 self.customer(long_other), linked_to(long_other[:255].rstrip())),
            Case("header injected in the email",
                 self.customer("Inject Mail Ltd", email="a@b.nz\nBcc: all@evil.test"),
                 noted("Email", "")),
            Case("phone of 100 digits", self.customer("Long Phone Ltd", phone="9" * 100),
                 noted("Phone", None)),
            Case("100-character tax number", self.customer("Long Vat Ltd", vat="NZ" + "1" * 98),
                 noted("TaxNumber", None)),
            Case("60-character reference with control characters",
                 self.customer("Long Ref Ltd", ref="\x07" + "R" * 60), named("Long Ref Ltd")),
        ]  # fmt: skip
        refused_by_odoo = [
            (lambda: self.customer("Null\x00Byte Ltd"), "NUL"),
            (lambda: self.customer("Null Street Ltd", street="1 Main\x00 St"), "NUL"),
            (lambda: self.customer("Lone \ud800 Surrogate"), "surrogate"),
        ]
        for create, message in refused_by_odoo:
            self.odoo_refuses(create, message)
        ordinary = self.customer("Plain Customer One") | self.customer("Plain Customer Two")
        self.assert_preview("xero.handler.customers", cases)
        task = self.run_task("send_new_customers")
        self.assert_cases(task, cases, ordinary)
        self.assertEqual(len(cases) + len(refused_by_odoo), 30)

    # ------------------------------------------------------------------ invoices

    def test_hostile_invoices(self):
        unknown = self.env["res.currency"].create({"name": "ZZZ", "symbol": "Z"})
        plain = [("Monthly plan", 1, 45.0)]

        def totals(move, _line):
            self.assert_totals(move)

        def described(expected):
            def check(move, line):
                xero = self.assert_totals(move)
                self.assertEqual(xero["LineItems"][0]["Description"], expected)

            return check

        def dated(day):
            def check(move, _line):
                xero = self.assert_totals(move)
                self.assertEqual(xero["DateString"][:10], day)

            return check

        def long_description(move, line):
            xero = self.assert_totals(move)
            self.assertEqual(xero["LineItems"][0]["Description"], LONG[:4000].rstrip())
            self.assertIn("cut to 4000", line.message)

        cases = [
            Case("control characters in a description",
                 self.document([("Plan\x07\x1b fee\x0b", 1, 10.0)]), described("Plan fee")),
            Case("right-to-left description", self.document([("رسوم الخطة الشهرية", 1, 20.0)]),
                 described("رسوم الخطة الشهرية")),
            Case("SQL description", self.document([("1'; DELETE FROM invoices;--", 1, 30.0)]),
                 described("1'; DELETE FROM invoices;--")),
            Case("HTML description", self.document([("<img src=x onerror=alert(1)>", 1, 5.0)]),
                 described("<img src=x onerror=alert(1)>")),
            Case("10,000-character description", self.document([(LONG, 1, 15.0)]),
                 long_description),
            Case("negative quantity line", self.document([*plain, ("Refund", -2, 5.0)]), totals),
            Case("zero quantity line", self.document([*plain, ("Nothing", 0, 99.0)]), totals),
            Case("amount of 10^12", self.document([("Big", 1, 10.0**12)]), totals),
            Case("quantity of 10^6 at 10^6", self.document([("Many", 10.0**6, 10.0**6)]),
                 totals),
            Case("price with 10 decimals", self.document([("Per second", 1234, 0.0123456789)]),
                 totals),
            Case("price of 10^-10", self.document([*plain, ("Tiny", 7, 0.0000000001)]), totals),
            Case("dated 1 January 1900", self.document(plain, date="1900-01-01"),
                 dated("1900-01-01")),
            Case("dated 31 December 2100", self.document(plain, date="2100-12-31"),
                 dated("2100-12-31")),
            Case("currency not enabled in Xero", self.document(plain, currency_id=self.eur.id),
                 refused="Currency EUR is not enabled"),
            Case("currency Xero does not have", self.document(plain, currency_id=unknown.id),
                 refused="Currency ZZZ is not enabled"),
            Case("zero total", self.document([("Free", 1, 0.0)]),
                 refused="Zero or negative total"),
            Case("customer without a country or email",
                 self.document(plain, partner=self.customer("Nowhere Ltd")), totals),
            Case("customer with a 10,000-character name",
                 self.document(plain, partner=self.customer("Z" + LONG)), totals),
            Case("customer with no usable name",
                 self.document(plain, partner=self.customer("\x01\x02")), refused="no name"),
            Case("2,000-character reference", self.document(plain, ref="r" * 2000), totals),
            Case("line discounted 100%",
                 self.document([*plain, ("Free month", 1, 45.0)], discounts=[0, 100]), totals),
            Case("description of control characters only",
                 self.document([*plain, ("\x01\x02", 2, 3.0)]), totals),
        ]  # fmt: skip
        self.odoo_refuses(lambda: self.document([("Null\x00 byte", 1, 10.0)]), "NUL")
        self.odoo_refuses(
            lambda: self.document([("Credit as invoice", 1, -50.0)]), "negative total"
        )
        ordinary = self.document(plain) | self.document([("Data", 3, 12.5)])
        self.assert_preview("xero.handler.invoices", cases)
        task = self.run_task("send_new_invoices")
        self.assert_cases(task, cases, ordinary)
        self.assertEqual(len(cases) + 2, 24)

    # ------------------------------------------------------------------ credit notes

    def test_hostile_credit_notes(self):
        plain = [("Goodwill credit", 1, 20.0)]

        def totals(move, _line):
            self.assert_totals(move)

        def described(expected):
            def check(move, _line):
                xero = self.assert_totals(move)
                self.assertEqual(xero["LineItems"][0]["Description"], expected)

            return check

        def dated(day):
            def check(move, _line):
                self.assertEqual(self.assert_totals(move)["DateString"][:10], day)

            return check

        def refund(lines, **vals):
            return self.document(lines, move_type="out_refund", **vals)

        cases = [
            Case("control characters in a description", refund([("Credit\x1f\x7f", 1, 9.0)]),
                 described("Credit")),
            Case("right-to-left description", refund([("זיכוי על תקלה", 1, 8.0)]),
                 described("זיכוי על תקלה")),
            Case("HTML and SQL description", refund([("<b>x</b>'; DROP TABLE x;--", 1, 7.0)]),
                 described("<b>x</b>'; DROP TABLE x;--")),
            Case("10,000-character description", refund([(LONG, 1, 6.0)]),
                 described(LONG[:4000].rstrip())),
            Case("amount of 10^12", refund([("Big credit", 1, 10.0**12)]), totals),
            Case("price with 10 decimals", refund([("Per second", 4321, 0.0098765432)]), totals),
            Case("negative quantity line", refund([*plain, ("Back", -1, 5.0)]), totals),
            Case("dated 1 January 1900", refund(plain, date="1900-01-01"), dated("1900-01-01")),
            Case("dated 31 December 2100", refund(plain, date="2100-12-31"),
                 dated("2100-12-31")),
            Case("currency not enabled in Xero", refund(plain, currency_id=self.eur.id),
                 refused="Currency EUR is not enabled"),
            Case("zero total", refund([("Nothing", 1, 0.0)]), refused="Zero or negative total"),
        ]  # fmt: skip
        ordinary = refund(plain) | refund([("Late fee reversal", 2, 4.5)])
        task = self.run_task("send_new_credit_notes")
        self.assert_cases(task, cases, ordinary)

    # ------------------------------------------------------------------ payments

    def test_hostile_payments(self):
        plain = [("Monthly plan", 1, 100.0)]

        def partial(payment):
            return payment.move_id.line_ids.matched_debit_ids | (
                payment.move_id.line_ids.matched_credit_ids
            )

        def paid(amount, day):
            def check(record, line):
                xero = next(p for p in self.xero("payments") if p["PaymentID"] == line.xero_id)
                self.assertAlmostEqual(xero["Amount"], amount, places=2)
                self.assertEqual(xero["Date"], self.xero_date(day))

            return check

        big = self.document([("Big", 1, 10.0**12)])
        old = self.document(plain, date="1900-01-01")
        future = self.document(plain)
        over = self.document(plain)
        memo = self.document(plain)
        cent = self.document(plain)
        foreign = self.document(plain, currency_id=self.eur.id)
        nameless = self.document(plain, partner=self.customer("\u200b"))
        ordinary_invoice = self.document(plain)
        self.run_task("send_new_invoices")
        cases = [
            Case("payment of 10^12", partial(self.pay(big)), paid(big.amount_total, "2026-11-05")),
            Case("payment dated 1900", partial(self.pay(old, date="1900-01-01")),
                 paid(115.0, "1900-01-01")),
            Case("payment dated 2100", partial(self.pay(future, date="2100-12-31")),
                 paid(115.0, "2100-12-31")),
            Case("payment larger than the invoice", partial(self.pay(over, amount=500.0)),
                 paid(115.0, "2026-11-05")),
            Case("memo of control characters, HTML and 10,000 characters",
                 partial(self.pay(memo, memo="\x07<b>" + LONG)), paid(115.0, "2026-11-05")),
            Case("payment of one cent", partial(self.pay(cent, amount=0.01)),
                 paid(0.01, "2026-11-05")),
            Case("payment in a currency not enabled in Xero", partial(self.pay(foreign)),
                 refused="not in Xero"),
            Case("payment of a customer with no usable name", partial(self.pay(nameless)),
                 refused="not in Xero"),
        ]  # fmt: skip
        ordinary = partial(self.pay(ordinary_invoice))
        task = self.run_task("send_new_payments")
        self.assert_cases(task, cases, ordinary)

    def xero_date(self, day):
        from xero_emulator.wire import day_ms_date

        return day_ms_date(fields.Date.from_string(day))

    # ------------------------------------------------------------------ changed while a task runs

    def test_records_archived_or_deleted_while_a_task_runs(self):
        """Two records a step: the task is planned and its first step sent, then records of
        the later steps are archived, deleted, cancelled or put back to draft."""
        plain = [("Monthly plan", 1, 100.0)]
        handler = type(self.env["xero.task.handler"])
        customers = [self.customer("Steady Customer %d" % n) for n in range(6)]
        with patch.object(handler, "_step_size", lambda self, task, mode: 2):
            task = self.env["xero.task"]._queue(self.company, "send_new_customers")
            task.sudo()._run_step()
            customers[2].active = False
            customers[3].unlink()
            task.action_run()
            self.assertEqual(self.line_of(task, customers[2]).outcome, "skipped")
            self.assertRegex(self.line_of(task, customers[2]).message, "Archived in Odoo")
            gone = task.line_ids.filtered(lambda ln: ln.res_id == customers[3].id)
            self.assertEqual(
                (gone.outcome, gone.message), ("skipped", "The record was deleted in Odoo.")
            )
            for partner in customers[:2] + customers[4:]:
                self.assertEqual(self.line_of(task, partner).outcome, "created")

            invoices = [
                self.document(plain, partner=self.customer("Invoiced %d" % n)) for n in range(6)
            ]
            task = self.env["xero.task"]._queue(self.company, "send_new_invoices")
            task.sudo()._run_step()
            invoices[2].button_draft()
            invoices[3].button_draft()
            invoices[3].button_cancel()
            invoices[4].partner_id.active = False
            task.action_run()
            draft, cancelled = self.line_of(task, invoices[2]), self.line_of(task, invoices[3])
            self.assertEqual(draft.outcome, "blocked")
            self.assertRegex(draft.message, "is not posted")
            self.assertEqual(cancelled.outcome, "skipped")
            self.assertRegex(cancelled.message, "Cancelled and not in Xero")
            # An invoice of a customer archived since is still owed: it goes, with its contact.
            for move in invoices[:2] + invoices[4:]:
                self.assertEqual(self.line_of(task, move).outcome, "created")
                self.assert_totals(move)
            archived = invoices[4].partner_id.with_context(active_test=False)
            self.assertEqual(self.line_of(task, archived).outcome, "created")
            self.assertEqual(self.xero_contact(archived)["ContactStatus"], "ACTIVE")

            paid = [self.pay(move) for move in invoices[:2] + invoices[4:]]
            partials = [payment.move_id.line_ids.matched_debit_ids for payment in paid]
            task = self.env["xero.task"]._queue(self.company, "send_new_payments")
            task.sudo()._run_step()
            deleted_id = partials[2].id
            paid[2].action_draft()
            paid[2].unlink()
            task.action_run()
            gone = task.line_ids.filtered(lambda ln: ln.res_id == deleted_id)
            self.assertEqual(
                (gone.outcome, gone.message),
                ("skipped", "The allocation no longer exists in Odoo."),
            )
            for partial in partials[:2] + partials[3:]:
                self.assertEqual(self.line_of(task, partial).outcome, "created")
            self.assertEqual(len(self.xero("payments")), 3)
