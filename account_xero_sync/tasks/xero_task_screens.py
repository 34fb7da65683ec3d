"""What the screens need beyond the models' own logic: a task's one-line summary for the Tasks
list, and the form of the Odoo record a log line or preview line names (a click on the line
opens the customer, invoice or payment, not the line)."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .xero_task_line import LINE_OUTCOMES
from .xero_task_types import TASK_TYPES


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


class XeroTaskScreens(models.Model):
    _inherit = "xero.task"

    priority = fields.Selection(
        [("urgent", "Urgent"), ("background", "Background")],
        compute="_compute_priority",
        help="Urgent tasks (sends, Fetch New Payments) run first; a background task (Send "
        "Invoice PDFs, Compare with Xero, Link Existing Xero Records) gives way at its next "
        "step to an urgent task of its dealer, then goes on where it was.",
    )
    summary_line = fields.Char(
        string="In one line",
        compute="_compute_summary_line",
        help="What the task did so far, in one line (the counts are optional columns).",
    )

    @api.depends("task_type")
    def _compute_priority(self):
        for task in self:
            urgent = not task.task_type or TASK_TYPES[task.task_type].urgent
            task.priority = "urgent" if urgent else "background"

    @api.depends(
        "state",
        "message",
        "count_total",
        "count_done",
        *(f"count_{code}" for code, _l in LINE_OUTCOMES if code != "pending"),
    )
    def _compute_summary_line(self):
        labels = dict(LINE_OUTCOMES)
        for task in self:
            # The task's own words, as its log and summary say them (fetch: "imported").
            words = task._handler()._outcome_words if task.task_type else {}
            counts = [
                f"{getattr(task, 'count_' + code)} {words.get(code) or labels[code].lower()}"
                for code, _l in LINE_OUTCOMES
                if code != "pending" and getattr(task, "count_" + code)
            ]
            if task.state in ("queued", "running") and task.count_total:
                counts.insert(
                    0, _("%(done)s of %(total)s", done=task.count_done, total=task.count_total)
                )
            if not counts and task.state in ("failed", "cancelled") and task.message:
                counts = [task.message.splitlines()[0]]
            if not counts and task.state in ("done", "done_with_errors"):
                counts = [_("nothing to do")]
            task.summary_line = ", ".join(counts)


class XeroTaskLineScreens(models.Model):
    _inherit = "xero.task.line"

    def action_open_record(self):
        """Open the customer, invoice, credit note or payment this log line is about."""
        self.ensure_one()
        return record_form_action(self.env, self.res_model, self.res_id)


class ResPartnerScreens(models.Model):
    _inherit = "res.partner"

    xero_url = fields.Char(
        string="Xero contact",
        compute="_compute_xero_url",
        help="The contact in the current dealer's Xero organisation.",
    )

    @api.depends_context("company")
    @api.depends("xero_contact_id")
    def _compute_xero_url(self):
        """The contact in the current dealer's own Xero organisation (a deep link with the
        organisation's short code)."""
        connection = (
            self.env["xero.connection"]
            .sudo()
            .search([("company_id", "=", self.env.company.id)], limit=1)
        )
        for partner in self:
            partner.xero_url = (
                connection._xero_deep_link(f"/Contacts/View/{partner.xero_contact_id}")
                if partner.xero_contact_id
                else False
            )
