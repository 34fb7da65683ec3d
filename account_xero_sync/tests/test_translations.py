from odoo.tests import TransactionCase, tagged

from ..models.xero_texts import xero_text
from ..xero_api import payloads


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The addon's French translation (``i18n/fr.po``) reaches what users read: a task's name
    and summary, and the messages the Xero layer builds (translated where they enter Odoo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        # Load the module's fr.po into the database (selection labels, field strings); code
        # translations (_() and _lt()) are read from the same file by Odoo's CodeTranslations.
        cls.env["ir.module.module"].search(
            [("name", "=", "account_xero_sync")]
        )._update_translations(["fr_FR"], overwrite=True)
        cls.fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_task_summary_in_french(self):
        task = (
            self.fr["xero.task"]
            .sudo()
            .create(
                {
                    "company_id": self.env.company.id,
                    "task_type": "send_new_customers",
                    "state": "done",
                    "count_created": 2,
                    "count_skipped": 1,
                }
            )
        )
        company = self.env.company.name
        self.assertEqual(task.name, f"Envoyer les nouveaux clients · {company}")
        self.assertEqual(
            task._summary_text(), f"Envoyer les nouveaux clients · {company}: 2 créés, 1 ignoré"
        )
        # The same task read in English.
        english = task.with_context(lang="en_US")
        self.assertEqual(english._summary_text(), f"{task.name}: 2 created, 1 skipped")
        empty = (
            self.fr["xero.task"]
            .sudo()
            .create(
                {
                    "company_id": self.env.company.id,
                    "task_type": "compare_with_xero",
                    "state": "done",
                }
            )
        )
        self.assertEqual(empty._summary_text(), f"Comparer avec Xero · {company}: rien à faire")

    def test_xero_layer_messages_in_french(self):
        """A message built by ``xero_api`` (no Odoo there) is translated where it enters Odoo,
        its arguments too when they are messages."""
        with self.assertRaises(payloads.PayloadError) as caught:
            payloads.invoice_payload({"date": "2026-03-01", "lines": []})
        self.assertEqual(
            str(caught.exception), "The invoice has no Xero contact: send its customer first."
        )
        self.assertEqual(
            xero_text(self.fr, caught.exception),
            "La facture n'a pas de contact Xero : envoyez d'abord son client.",
        )
        self.assertEqual(
            xero_text(self.env(context=dict(self.env.context, lang="en_US")), caught.exception),
            "The invoice has no Xero contact: send its customer first.",
        )
        # A task log line gets the message in the user's language.
        task = (
            self.fr["xero.task"]
            .sudo()
            .create({"company_id": self.env.company.id, "task_type": "send_invoice"})
        )
        partner = self.env["res.partner"].create({"name": "Client"})
        line = task._add_lines(partner)
        line._log("blocked", message=caught.exception.args[0])
        self.assertEqual(
            line.message, "La facture n'a pas de contact Xero : envoyez d'abord son client."
        )

    def test_payload_warning_in_french(self):
        """A warning the payload layer gives about what it sent (here: only the first of two
        email addresses) reaches the user's log line translated, joined with Xero's own."""
        partner = self.fr["res.partner"].create(
            {"name": "Client", "email": "a@example.com; b@example.com"}
        )
        payload, warnings = payloads.contact_payload(partner._xero_contact_values())
        self.assertEqual(
            warnings, ["Several email addresses: only the first, a@example.com, was sent."]
        )
        answer = {"record": {"ContactID": "0d6a9b6e-0000-4000-8000-00000000c0de"}, "warnings": []}
        outcome, contact_id, message = partner._xero_record_answer(
            "create", payload, warnings, answer
        )
        self.assertEqual((outcome, contact_id), ("created", "0d6a9b6e-0000-4000-8000-00000000c0de"))
        self.assertEqual(
            message, "Plusieurs adresses e-mail : seule la première, a@example.com, a été envoyée."
        )
        english = partner.with_context(lang="en_US")
        self.assertEqual(
            english._xero_record_answer("update", payload, warnings, answer)[2],
            "Several email addresses: only the first, a@example.com, was sent.",
        )
        # With Xero's warnings (written in the user's language by ``_batch_call``): each
        # payload warning is translated, then all are joined.
        answer["warnings"] = ["Xero warns: something"]
        self.assertEqual(
            partner._xero_record_answer("update", payload, warnings, answer)[2],
            "Plusieurs adresses e-mail : seule la première, a@example.com, a été envoyée.; "
            "Xero warns: something",
        )
        # The task log line keeps it in French.
        task = (
            self.fr["xero.task"]
            .sudo()
            .create({"company_id": self.env.company.id, "task_type": "send_customer"})
        )
        line = task._add_lines(partner)
        line._log("created", message=message)
        self.assertEqual(line.message, message)
