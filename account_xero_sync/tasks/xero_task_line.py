"""``xero.task.line``: a task's log, one line per record touched, and the form of the Odoo
record a line names."""

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from ..models.xero_columns import write_xero_columns
from ..models.xero_texts import xero_text

# The next step a blocked (or failed) line offers, by the kind of problem (``_fix_kind``).
FIX_ACTIONS = [
    ("map", "Map now"),
    ("open_customer", "Open the customer"),
    ("link_contact", "Link to the Xero contact"),
    ("unlink_resend", "Unlink and send again"),
]
# The one-off send of a document whose Xero link is unlinked (Unlink and send again).
RESEND_TYPES = {"out_invoice": "send_invoice", "out_refund": "send_credit_note"}
# Xero no longer has the document (a voided one keeps its number in Xero: not sent again).
GONE_IN_XERO = ("missing",)

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
    fix_action = fields.Selection(
        FIX_ACTIONS,
        string="Next step",
        compute="_compute_fix_action",
        help="What fixes what blocked this record (or what left it in error), from the record "
        "as it is now: map what is missing, open the customer, link the Xero contact a send "
        "found, or unlink a document Xero no longer has and send it again.",
    )

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

    @api.depends("outcome", "res_model", "res_id")
    def _compute_fix_action(self):
        maps = {}
        problems = self.filtered(
            lambda ln: ln.outcome in ("blocked", "error") and ln.task_id.connection_id
        )
        # The records that still exist, one query per model (not one per line).
        alive = {}
        for model in set(problems.mapped("res_model")):
            ids = problems.filtered(lambda ln, m=model: ln.res_model == m).mapped("res_id")
            alive[model] = self.env[model].sudo().browse(ids).exists()
        alive_ids = {model: set(records._ids) for model, records in alive.items()}
        problem_ids = set(problems._ids)
        for line in self:
            line.fix_action = False
            if line.id not in problem_ids or line.res_id not in alive_ids[line.res_model]:
                continue
            connection = line.task_id.connection_id.sudo()
            if connection.id not in maps:
                maps[connection.id] = self.env["xero.mapping"].sudo()._maps(connection)
            records = alive[line.res_model]
            record = records.browse(line.res_id).with_prefetch(records._prefetch_ids)
            line.fix_action = line._fix_kind(connection, maps[connection.id], record)

    def _fix_kind(self, connection, maps, record):
        """The kind of fix this line's record needs now (a ``FIX_ACTIONS`` code, or False).

        Read from the record, not from the message (which is in the language of whoever ran
        the task): a document linked to one Xero no longer has → unlink and send again; a
        customer (or a document's customer) not in Xero with a possible Xero contact → link
        it; a customer blocked (not linked since) → open it; an income account, a tax or a
        payment's journal not mapped → map it.
        """
        record = record.with_company(connection.company_id)
        if self.res_model == "res.partner":
            if record.xero_candidate_id and not record.xero_contact_id:
                return "link_contact"
            if record.xero_contact_id and not record.xero_last_error:
                return False  # linked since: nothing left to fix
            return "open_customer" if self.outcome == "blocked" else False
        if self.res_model == "account.move":
            if (
                record.xero_invoice_id
                and record.xero_document_status in GONE_IN_XERO
                and record.state == "posted"
                and record.move_type in RESEND_TYPES
            ):
                return "unlink_resend"
            if self.outcome != "blocked":
                return False
            partner = record.commercial_partner_id
            if not partner.xero_contact_id and partner.xero_candidate_id:
                return "link_contact"
            if not partner.xero_contact_id and partner.xero_last_error:
                return "open_customer"
            return "map" if self._move_unmapped(record, maps) else False
        if self.outcome == "blocked" and self.res_model in (
            "account.partial.reconcile",
            "account.payment",
        ):
            payment = (
                record._xero_odoo_payment()
                if self.res_model == "account.partial.reconcile"
                else record
            )
            journals, default = maps["journal"]
            journal = payment.journal_id
            return "map" if journal and journal.id not in journals and not default else False
        return False

    @api.model
    def _move_unmapped(self, move, maps):
        """Whether an income account or a tax of ``move``'s product lines has no mapping."""
        accounts, default_account = maps["account"]
        taxes, default_tax = maps["tax"]
        for line in move.invoice_line_ids.filtered(lambda ln: ln.display_type == "product"):
            if line.account_id.id not in accounts and not default_account:
                return True
            if any(t.id not in taxes for t in line.tax_ids) and not default_tax:
                return True
        return False

    def action_fix(self):
        """The next step of this line (``fix_action``): open the mappings, open the customer,
        link the Xero contact a send found, or unlink the document and send it again."""
        self.ensure_one()
        kind = self.fix_action
        if not kind:
            raise UserError(self.env._("This record needs no fix from here."))
        if kind == "map":
            return self.env["ir.actions.act_window"]._for_xml_id(
                "account_xero_sync.action_xero_mapping"
            )
        company = self.task_id.company_id
        record = self.env[self.res_model].browse(self.res_id).with_company(company)
        if kind == "unlink_resend":
            return self._unlink_and_send_again(record)
        partner = record if self.res_model == "res.partner" else record.commercial_partner_id
        if kind == "link_contact":
            partner.action_xero_link_candidate()
        return record_form_action(self.env, "res.partner", partner.id)

    def _unlink_and_send_again(self, move):
        """Forget ``move``'s link to a Xero document that is voided, deleted or gone, then
        queue its one-off send: Xero gets it as a new document. Opens the new task. The
        document's chatter says so, naming the new task."""
        move.check_access("write")
        connection = self.task_id.connection_id.sudo()
        xero_id = move.xero_invoice_id
        columns = connection._xero_link_columns()
        # Its Xero status follows (a stored compute of these columns).
        write_xero_columns(
            move, {k: v for k, v in columns["account.move"].items() if k != "xero_sync_state"}
        )
        write_xero_columns(move.line_ids, columns["account.move.line"])
        task = self.env["xero.task"]._queue(
            self.task_id.company_id, RESEND_TYPES[move.move_type], move
        )
        link = task._get_html_link(title="%s #%s" % (task.name, task.id))
        note = escape(
            self.env._(
                "Unlinked by hand from the Xero document %(xero_id)s, which Xero no longer has "
                "as it was (Unlink and send again): the task %(task)s sends it as a new one.",
                xero_id=xero_id,
                task="%(task)s",
            )
        )
        self.env["xero.audit"]._log_notes({move: Markup("<p>%s</p>") % (note % {"task": link})})
        return task._action_open()

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
