"""A record's Xero status is true (issue #23): what the invoice's and credit note's Xero tab
says after real runs against the emulator, the *Xero error* filter finding what the tab shows,
and counts in words ("1 error", "4 errors")."""

from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account_xero_sync.tasks.xero_task_line import outcome_count
from odoo.addons.account_xero_sync.xero_api import payloads
from odoo.addons.account_xero_sync.xero_api.documents import XERO_DOCUMENTS

from .common import DEMO_TENANT
from .test_invoices import XeroInvoiceCommon


@tagged("post_install", "-at_install")
class TestRecordStatus(XeroInvoiceCommon):
    def filtered(self, name, moves):
        """The moves among ``moves`` that the invoices' search filter ``name`` finds."""
        arch = self.env["account.move"].get_view(
            self.env.ref("account.view_account_invoice_filter").id, "search"
        )["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
        domain = safe_eval(node.get("domain"))
        return self.env["account.move"].search(domain + [("id", "in", moves.ids)])

    def send(self, move):
        task = self.env["xero.task"].browse(move.action_xero_send()["res_id"])
        return self.line_of(task, move)

    def void_in_xero(self, move):
        """Someone voids the invoice in Xero."""
        self.env["xero.handler.invoices"]._put(
            self.connection,
            XERO_DOCUMENTS["out_invoice"].update,
            [payloads.void_invoice_payload(move.xero_invoice_id)],
        )

    def test_sent_invoice_is_approved_in_xero_with_its_amount_due(self):
        move = self.invoice([100.0])
        self.assertEqual(move.xero_sync_state, "not_sent")
        self.assertEqual(self.send(move).outcome, "created")
        self.assertEqual(move.xero_sync_state, "sent")
        self.assertEqual(move.xero_document_status, "AUTHORISED")
        self.assertAlmostEqual(move.xero_amount_due, move.amount_total, places=2)
        self.assertTrue(move.xero_last_read)
        self.assertFalse(move.xero_last_error or move.xero_attention)
        self.assertFalse(self.filtered("xero_error", move))
        # A Compare that finds them equal keeps it so.
        self.run_task("compare_with_xero")
        self.assertEqual(move.xero_sync_state, "sent")
        self.assertFalse(move.xero_attention)

    def test_error_of_a_linked_invoice_is_an_error_and_the_filter_finds_it(self):
        """Never "in Xero" beside an error: a linked invoice whose update is blocked."""
        move = self.invoice([100.0])
        self.send(move)
        tax_rows = self.connection.mapping_ids.filtered(lambda m: m.kind == "tax")
        tax_rows.unlink()
        line = self.send(move)
        self.assertEqual(line.outcome, "blocked")
        self.assertEqual(move.xero_sync_state, "error")
        self.assertIn("has no Xero tax type", move.xero_last_error)
        self.assertEqual(self.filtered("xero_error", move), move)
        # Mapped again, the next send goes through and the error goes.
        self.connection.mapping_ids = [
            Command.create({"kind": "tax", "tax_id": self.tax_sale_a.id, "xero_code": "OUTPUT2"})
        ]
        self.assertEqual(self.send(move).outcome, "updated")
        self.assertEqual(move.xero_sync_state, "sent")
        self.assertFalse(move.xero_last_error)
        self.assertFalse(self.filtered("xero_error", move))

    def test_not_sent_invoice_in_error(self):
        self.connection.mapping_ids.filtered(lambda m: m.kind == "tax").unlink()
        move = self.invoice([100.0])
        self.assertEqual(self.send(move).outcome, "blocked")
        self.assertFalse(move.xero_invoice_id)
        self.assertEqual(move.xero_sync_state, "error")
        self.assertEqual(self.filtered("xero_error", move), move)

    def test_invoice_deleted_in_xero_then_retry_and_compare(self):
        move = self.invoice([100.0])
        self.send(move)
        # Xero forgets it (the organisation as seeded, without the invoice).
        self.emulator.reset()
        self.emulator.control("POST", "seed", self.seed)
        line = self.send(move)
        self.assertEqual(line.outcome, "error")
        self.assertEqual(move.xero_sync_state, "missing")
        self.assertEqual(move.xero_document_status, "missing")
        self.assertIn("Xero has no invoice", move.xero_last_error)
        self.assertEqual(self.filtered("xero_error", move), move)
        self.run_task("compare_with_xero")
        self.assertEqual(move.xero_sync_state, "missing")
        self.assertIn("not found in Xero", move.xero_attention)

    def test_invoice_voided_in_xero_then_compare_and_retry(self):
        move = self.invoice([100.0])
        self.send(move)
        self.void_in_xero(move)
        self.assertEqual(move.xero_sync_state, "sent", "as last read, until Xero is read")
        self.run_task("compare_with_xero")
        self.assertEqual(move.xero_sync_state, "voided")
        self.assertEqual(move.xero_document_status, "VOIDED")
        self.assertIn("Odoo expects AUTHORISED, Xero has VOIDED", move.xero_attention)
        self.assertEqual(self.filtered("xero_attention", move), move)
        line = self.send(move)
        self.assertEqual(line.outcome, "blocked")
        self.assertEqual(move.xero_sync_state, "voided")
        self.assertIn("voided in Xero", move.xero_last_error)
        self.assertEqual(self.filtered("xero_error", move), move)

    def test_invoice_xero_keeps_as_draft(self):
        """Xero's totals would differ (a fixed 1.50 Odoo levy on a 10% Xero tax type: no rate
        to compare before the send, so Mappings cannot flag it): sent DRAFT, the totals
        differ, the status says it is an error, with Xero's status Draft."""
        self.emulator.control(
            "POST",
            "seed",
            {
                "organisations": [
                    {
                        "tenant_id": DEMO_TENANT,
                        "tax_rates": [
                            {
                                "TaxType": "OUTPUT3",
                                "Name": "10% Levy",
                                "Rate": 10,
                                "CanApplyToRevenue": True,
                            }
                        ],
                    }
                ]
            },
        )
        self.connection.action_load_mappings_from_xero()
        levy = self.tax_sale_a.copy({"name": "Levy 1.50", "amount_type": "fixed", "amount": 1.5})
        self.connection.mapping_ids = [
            Command.create({"kind": "tax", "tax_id": levy.id, "xero_code": "OUTPUT3"})
        ]
        move = self.invoice([100.0], taxes=levy)
        self.send(move)
        self.assertEqual(move.xero_document_status, "DRAFT")
        self.assertEqual(move.xero_sync_state, "error")
        self.assertIn("DRAFT", move.xero_last_error)
        self.assertEqual(self.filtered("xero_error", move), move)

    def test_draft_in_xero_needs_attention_unless_the_dealer_sends_drafts(self):
        move = self.invoice([100.0])
        self.send(move)
        # Xero answers with a draft where the dealer sends approved invoices.
        move._xero_linked(
            move.xero_invoice_id,
            document={"Status": "DRAFT", "AmountDue": move.amount_total},
            notes=["totals differ; sent as DRAFT"],
        )
        self.assertEqual(move.xero_sync_state, "draft")
        self.assertIn("Odoo expects it approved", move.xero_attention)
        self.assertIn("sent as DRAFT", move.xero_attention)
        self.assertEqual(self.filtered("xero_attention", move), move)
        # A dealer who sends drafts: a draft is what Odoo expects.
        self.connection.invoice_status = "DRAFT"
        other = self.invoice([50.0])
        self.assertEqual(self.send(other).outcome, "created")
        self.assertEqual(other.xero_document_status, "DRAFT")
        self.assertEqual(other.xero_sync_state, "draft")
        self.assertFalse(other.xero_attention)
        self.run_task("compare_with_xero")
        self.assertEqual(other.xero_sync_state, "draft")
        self.assertFalse(other.xero_attention)

    def test_credit_note_has_the_xero_tab(self):
        refund = self.init_invoice(
            "out_refund", partner=self.partner_a, amounts=[40.0], taxes=self.tax_sale_a, post=True
        )
        arch = self.env["account.move"].get_view(self.env.ref("account.view_move_form").id, "form")[
            "arch"
        ]
        page = etree.fromstring(arch).xpath("//page[@name='xero']")[0]
        invisible = page.get("invisible")
        self.assertFalse(safe_eval(invisible, {"move_type": "out_refund"}), invisible)
        self.assertTrue(safe_eval(invisible, {"move_type": "in_invoice"}), invisible)
        names = set(page.xpath(".//field/@name"))
        for name in (
            "xero_sync_state",
            "xero_document_status",
            "xero_amount_due",
            "xero_last_error",
            "xero_attention",
            "xero_url",
        ):
            self.assertIn(name, names)
        self.assertEqual(self.send(refund).outcome, "created")
        self.assertEqual(refund.xero_sync_state, "sent")
        self.assertEqual(refund.xero_document_status, "AUTHORISED")
        self.assertAlmostEqual(refund.xero_amount_due, refund.amount_total, places=2)

    def test_customer_status(self):
        partner = self.partner_a
        self.assertEqual(partner.xero_status, "not_sent")
        self.send(self.invoice([100.0]))  # its customer is sent first
        self.assertEqual(partner.xero_status, "linked")
        partner._xero_set_blocked("Xero refused the contact")
        self.assertEqual(partner.xero_status, "error", "never in Xero beside an error")
        view = self.env.ref("account_xero_sync.res_partner_view_form_xero")
        self.assertIn('name="xero_status"', view.arch_db)

    def test_counts_in_words(self):
        env = self.env
        self.assertEqual(outcome_count(env, "error", 1), "1 error")
        self.assertEqual(outcome_count(env, "error", 4), "4 errors")
        task = (
            self.env["xero.task"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "task_type": "send_new_invoices",
                    "state": "done_with_errors",
                    "count_created": 4,
                    "count_error": 1,
                }
            )
        )
        self.assertEqual(task.summary_line, "4 created, 1 error")
        task.count_error = 4
        self.assertEqual(task.summary_line, "4 created, 4 errors")
        self.assertEqual(task._summary_text(), f"{task.name}: 4 created, 4 errors")
        compare = self.env["xero.handler.compare"]
        one = compare._report(task, {"checked": {"out_invoice": 1, "out_refund": 1}, "differ": 1})
        self.assertIn("1 invoice and 1 credit note linked", one)
        self.assertIn("1 differs from Xero", one)
        many = compare._report(task, {"checked": {"out_invoice": 3, "out_refund": 2}, "differ": 2})
        self.assertIn("3 invoices and 2 credit notes linked", many)
        self.assertIn("2 differ from Xero", many)
        link = self.env["xero.handler.link_existing"]._report(
            task,
            {
                "xero_only": {
                    "contacts": {"count": 1, "names": ["Echo"]},
                    "out_invoice": {"count": 2, "names": ["A", "B"]},
                }
            },
        )
        self.assertIn("1 contact: Echo", link)
        self.assertIn("2 invoices: A; B", link)
