"""The audit trail in the records' chatter: internal notes saying what was done in Xero, and by
which task or action, written in bulk.

One ``mail.message`` per record, created together by Odoo's ``_message_log_batch`` (one
``create`` per model): no posting machinery (no followers notified, no mail), and no write on
the records themselves (a posted invoice is not touched). The notes are internal (``mt_note``):
internal users who can read the record see them; portal customers never do.
"""

from collections import defaultdict

from odoo import api, models

# The models whose records carry the notes: each has a chatter (``mail.thread``).
CHATTER_MODELS = ("res.partner", "account.move", "account.payment")


class XeroAudit(models.AbstractModel):
    _name = "xero.audit"
    _description = "Xero audit trail"

    @api.model
    def _chatter_records(self, model, ids):
        """``{(model, id): the record whose chatter gets its note}`` for ``ids`` of ``model``:
        the record itself, or for an allocation (``account.partial.reconcile``, which has no
        chatter) its payment, else the credit note it allocates (else the invoice). Records
        deleted since, and models without a chatter, are left out."""
        records = self.env[model].sudo().browse(ids).exists()
        if model in CHATTER_MODELS:
            return {(model, record.id): record for record in records}
        if model != "account.partial.reconcile":
            return {}
        out = {}
        for partial in records:
            payment = (partial.credit_move_id | partial.debit_move_id).payment_id[:1]
            credit = partial.credit_move_id.move_id
            out[(model, partial.id)] = payment or (
                credit if credit.move_type == "out_refund" else partial.debit_move_id.move_id
            )
        return out

    @api.model
    def _log_notes(self, notes, author_id=None):
        """Write ``notes`` (``{record: Markup body}``) as internal notes: one ``mail.message``
        per record, one ``create`` per model (``_message_log_batch``).

        :param author_id: the partner shown as the author (default: the current user's)
        """
        bodies = defaultdict(dict)
        for record, body in notes.items():
            bodies[record._name][record.id] = body
        for model, by_id in bodies.items():
            self.env[model].sudo().browse(list(by_id))._message_log_batch(
                by_id, author_id=author_id
            )
