from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.xero_task_types import BULK_TYPES, TASK_TYPES

PREVIEW_ACTIONS = [
    ("create", "Create in Xero"),
    ("update", "Update in Xero"),
    ("link", "Link to existing"),
    ("skip", "Nothing to send"),
    ("blocked", "Blocked"),
    ("waiting", "Waiting for allocation"),
]
RUN_NOW_LIMIT = 50  # "Run now" is for small tasks: one batch, answered while the user waits


class XeroBulkTaskWizard(models.TransientModel):
    """Action > Add bulk task: pick the dealer and the task, see what it will do, queue it."""

    _name = "xero.bulk.task.wizard"
    _description = "Add a Xero bulk task"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        string="Dealer",
        required=True,
        domain="[('id', 'in', allowed_company_ids)]",
        default=lambda self: self._default_company(),
    )
    allowed_company_ids = fields.Many2many("res.company", compute="_compute_allowed_company_ids")
    task_type = fields.Selection(
        [(code, TASK_TYPES[code].label) for code in BULK_TYPES],
        required=True,
        default="send_new_customers",
    )
    line_ids = fields.One2many("xero.bulk.task.wizard.line", "wizard_id", string="Preview")
    previewed = fields.Boolean()
    preview_summary = fields.Char(readonly=True)

    @api.model
    def _connected_companies(self):
        return self.env["xero.connection"].search([]).company_id & self.env.companies

    def _default_company(self):
        companies = self._connected_companies()
        return self.env.company if self.env.company in companies else companies[:1]

    @api.depends_context("allowed_company_ids")
    def _compute_allowed_company_ids(self):
        for wizard in self:
            wizard.allowed_company_ids = self._connected_companies()

    @api.onchange("company_id", "task_type")
    def _onchange_reset_preview(self):
        self.line_ids = [fields.Command.clear()]
        self.previewed = False
        self.preview_summary = False

    def action_preview(self):
        """Fill the preview: what the task would send, link, or leave blocked, and why."""
        self.ensure_one()
        self._fill_preview()
        return self._reopen()

    def action_queue(self):
        """Queue the task; the background runner starts it soon."""
        self.ensure_one()
        task = self.env["xero.task"]._queue(self.company_id, self.task_type)
        return task._action_open()

    def action_run_now(self):
        """Run the task now, while the user waits (small tasks only)."""
        self.ensure_one()
        if not self.previewed:
            self._fill_preview()
        if len(self.line_ids) > RUN_NOW_LIMIT:
            raise UserError(
                _(
                    "This task has %(n)s records: queue it instead, it runs in the background.",
                    n=len(self.line_ids),
                )
            )
        task = (
            self.env["xero.task"]
            .with_context(xero_run_now=True)
            ._queue(self.company_id, self.task_type, run_now=True)
        )
        return task._action_open()

    def _fill_preview(self):
        connection = self.env["xero.connection"]._for_company(self.company_id)
        task_type = TASK_TYPES[self.task_type]
        # The preview reads Odoo with the user's own rights (records the user may not read are
        # not shown); only the runner works with the system's.
        handler = self.env[task_type.handler].with_company(self.company_id)
        records = self.env[handler._records]
        if not records.has_access("read"):
            raise AccessError(
                _(
                    "You may not read %(what)s, so you cannot preview %(task)s: an accountant "
                    "can, or a Xero Manager can queue the task without a preview.",
                    what=records._description,
                    task=task_type.label,
                )
            )
        rows = handler._preview(connection, task_type.mode)
        model = handler._records
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(self.env["xero.bulk.task.wizard.line"]._from_preview(model, row))
            for row in rows
        ]
        counts = {}
        for row in rows:
            counts[row["action"]] = counts.get(row["action"], 0) + 1
        labels = dict(PREVIEW_ACTIONS)
        self.preview_summary = ", ".join(
            f"{labels[a]}: {n}" for a, n in sorted(counts.items())
        ) or _("Nothing to send.")
        self.previewed = True

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Add bulk task"),
        }

    @api.model
    def _action_to_send(self, task_type, name):
        """Open a "to send" list (Customers / Invoices / Payments to Send) of the current dealer."""
        company = self.env.company
        wizard = self.create({"company_id": company.id, "task_type": task_type})
        wizard._fill_preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.bulk.task.wizard.line",
            "name": _("%(name)s · %(dealer)s", name=name, dealer=company.name),
            "view_mode": "list",
            "domain": [("wizard_id", "=", wizard.id)],
            "views": [(self.env.ref("account_xero_sync.xero_to_send_line_list").id, "list")],
            "search_view_id": self.env.ref("account_xero_sync.xero_to_send_line_search").id,
            "context": {"search_default_to_send": 1} if task_type == "send_new_payments" else {},
        }


class XeroBulkTaskWizardLine(models.TransientModel):
    """One row of a preview / "to send" list."""

    _name = "xero.bulk.task.wizard.line"
    _description = "Xero task preview line"
    _order = "action_sort, id"

    wizard_id = fields.Many2one("xero.bulk.task.wizard", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    name = fields.Char(string="Record")
    record_ref = fields.Reference(
        selection="_selection_record_ref", compute="_compute_record_ref", string="Odoo record"
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    action = fields.Selection(PREVIEW_ACTIONS, string="What will happen", required=True)
    action_sort = fields.Integer()
    reason = fields.Char(string="Why")
    xero_id = fields.Char(string="Xero ID")
    currency_id = fields.Many2one("res.currency")
    amount_total = fields.Monetary(string="Total")
    amount_allocated = fields.Monetary(string="Allocated")
    invoice_id = fields.Many2one("account.move", string="Invoice")

    @api.model
    def _selection_record_ref(self):
        return self.env["xero.task.line"]._selection_record_ref()

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for line in self:
            line.record_ref = f"{line.res_model},{line.res_id}"

    @api.model
    def _from_preview(self, model, row):
        order = [a for a, _l in PREVIEW_ACTIONS]
        vals = {"res_model": row.get("res_model", model), "action_sort": order.index(row["action"])}
        for key in (
            "res_id",
            "name",
            "partner_id",
            "action",
            "reason",
            "xero_id",
            "currency_id",
            "amount_total",
            "amount_allocated",
            "invoice_id",
        ):
            if row.get(key) is not None:
                vals[key] = row[key]
        return vals
