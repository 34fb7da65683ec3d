"""``xero.task.line``: a task's log, one line per record touched, and the form of the Odoo
record a line names."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from ..models.xero_texts import xero_text

LINE_OUTCOMES = [
    ("pending", "Pending"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("linked", "Linked"),
    ("skipped", "Skipped"),
    ("blocked", "Blocked"),
    ("error", "Error"),
]
_lt = LazyTranslate(__name__)
# An outcome as the task's summary counts it: one string for one record ("1 error"), one for
# more ("4 errors"); a handler may say it its own way (``_outcome_counts``, same shape).
OUTCOME_WORDS = {
    "created": (_lt("1 created"), _lt("%(count)s created")),
    "updated": (_lt("1 updated"), _lt("%(count)s updated")),
    "linked": (_lt("1 linked"), _lt("%(count)s linked")),
    "skipped": (_lt("1 skipped"), _lt("%(count)s skipped")),
    "blocked": (_lt("1 blocked"), _lt("%(count)s blocked")),
    "error": (_lt("1 error"), _lt("%(count)s errors")),
}


def outcome_count(env, code, count, words=None):
    """``count`` records of outcome ``code`` in ``env``'s language ("1 error", "4 errors"),
    in the handler's own words (its ``_outcome_counts``) when it has some for it."""
    one, many = (words or {}).get(code) or OUTCOME_WORDS[code]
    if count == 1:
        return env._(one)
    text = env._(many)
    return text % {"count": count}


def record_form_action(env, res_model, res_id):
    """The act_window that opens the Odoo record a line names: a customer, an invoice or credit
    note, a payment; an allocation (``account.partial.reconcile``) opens its payment, else the
    credit note it allocates."""
    record = env[res_model].browse(res_id).exists()
    if record and res_model == "account.partial.reconcile":
        lines = record.credit_move_id | record.debit_move_id
        payment = lines.payment_id[:1]
        if payment:
            record = payment
        else:
            credit = record.credit_move_id.move_id
            record = credit if credit.move_type == "out_refund" else record.debit_move_id.move_id
    if not record:
        raise UserError(_("This record no longer exists in Odoo."))
    record.check_access("read")
    return {
        "type": "ir.actions.act_window",
        "res_model": record._name,
        "res_id": record.id,
        "name": record.display_name,
        "view_mode": "form",
        "views": [(False, "form")],
        "target": "current",
    }


class XeroTaskLine(models.Model):
    """One record a task touched: what happened, Xero's id and Xero's own message.

    Pending lines are also the task's work list: a resumed task sends only those.
    """

    _name = "xero.task.line"
    _description = "Xero Task Log Line"
    _order = "task_id desc, id"

    task_id = fields.Many2one("xero.task", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="task_id.company_id", store=True, index=True)
    res_model = fields.Char(string="Model", required=True, index=True)
    res_id = fields.Integer(string="Record ID", required=True, index=True)
    res_name = fields.Char(string="Record")
    record_ref = fields.Reference(
        selection="_selection_record_ref",
        string="Odoo record",
        compute="_compute_record_ref",
    )
    outcome = fields.Selection(LINE_OUTCOMES, required=True, default="pending", index=True)
    outcome_label = fields.Char(
        string="What happened",
        compute="_compute_outcome_label",
        help="The outcome in the task's own words (Fetch New Payments: imported, reversed).",
    )
    xero_id = fields.Char(string="Xero ID")
    message = fields.Text()
    attempts = fields.Integer(
        help="Writes of this record Xero left unanswered (a 5xx, a lost answer): the next try "
        "first checks what Xero holds."
    )
    date = fields.Datetime(default=fields.Datetime.now)

    @api.model
    def _selection_record_ref(self):
        models_ = ["res.partner", "account.move", "account.payment", "account.partial.reconcile"]
        return [(m, self.env[m]._description) for m in models_]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for line in self:
            line.record_ref = f"{line.res_model},{line.res_id}" if line.res_id else False

    @api.depends("outcome", "task_id.task_type")
    def _compute_outcome_label(self):
        labels = dict(LINE_OUTCOMES)
        for line in self:
            words = line.task_id._handler()._outcome_words if line.task_id.task_type else {}
            word = words.get(line.outcome)
            line.outcome_label = self.env._(word).capitalize() if word else labels.get(line.outcome)

    def action_open_record(self):
        """Open the customer, invoice, credit note or payment this log line is about."""
        self.ensure_one()
        return record_form_action(self.env, self.res_model, self.res_id)

    def _log(self, outcome, xero_id=None, message=None):
        """Record the outcome of these lines (one write per distinct outcome)."""
        vals = {"outcome": outcome, "date": fields.Datetime.now()}
        if xero_id is not None:
            vals["xero_id"] = xero_id
        if message is not None:
            vals["message"] = xero_text(self.env, message)  # the Xero layer's, translated
        self.write(vals)
