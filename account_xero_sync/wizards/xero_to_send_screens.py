"""The to-send lists (Customers / Invoices / Credit Notes / Payments to Send) as screens: each
its own columns, a click on a line opens its record, and a header button queues the list's task.
"""

from odoo import _, api, models
from odoo.exceptions import UserError

from ..tasks.xero_task_line import record_form_action
from ..tasks.xero_task_types import TASK_TYPES

# The list view of each to-send list: only the columns its records have.
TO_SEND_VIEWS = {
    "send_new_customers": "account_xero_sync.xero_to_send_customers_list",
    "send_new_invoices": "account_xero_sync.xero_to_send_invoices_list",
    "send_new_credit_notes": "account_xero_sync.xero_to_send_credit_notes_list",
    "send_new_payments": "account_xero_sync.xero_to_send_payments_list",
}


class XeroBulkTaskWizardScreens(models.TransientModel):
    _inherit = "xero.bulk.task.wizard"

    @api.model
    def _action_to_send(self, task_type, name, force=False):
        """The list with its own columns, and the wizard it shows (for its Queue button)."""
        action = super()._action_to_send(task_type, name, force=force)
        if action.get("res_model") != "xero.bulk.task.wizard.line":
            return action
        view = self.env.ref(
            TO_SEND_VIEWS.get(task_type, "account_xero_sync.xero_to_send_line_list")
        )
        wizard_ids = [term[2] for term in action.get("domain", []) if term[0] == "wizard_id"]
        context = dict(action.get("context") or {})
        context.update(
            xero_task_type=task_type, xero_to_send_wizard_id=wizard_ids[:1] and wizard_ids[0]
        )
        # A phone shows the cards first (the columns that matter, nothing off screen).
        kanban = self.env.ref("account_xero_sync.xero_to_send_kanban")
        action.update(
            views=[(view.id, "list"), (kanban.id, "kanban")],
            view_mode="list,kanban",
            mobile_view_mode="kanban",
            context=context,
        )
        return action

    def _reopen(self):
        """The wizard stays in its large dialog after Preview."""
        action = super()._reopen()
        action["context"] = {**action.get("context", {}), "dialog_size": "extra-large"}
        return action


class XeroBulkTaskWizardLineScreens(models.TransientModel):
    _inherit = "xero.bulk.task.wizard.line"

    def action_open_record(self):
        """Open the customer, invoice, credit note or payment this line is about."""
        self.ensure_one()
        return record_form_action(self.env, self.res_model, self.res_id)

    def action_queue_list_task(self):
        """The to-send list's header button: queue its task for the list's dealer (the task
        plans what the list shows, by the same rules), and open it."""
        wizard = (
            self.env["xero.bulk.task.wizard"]
            .browse(self.env.context.get("xero_to_send_wizard_id"))
            .exists()
        )
        if not wizard:
            raise UserError(_("This list is out of date: open it again from the Xero menu."))
        if wizard.task_type not in TASK_TYPES:
            raise UserError(_("This list has no task to queue."))
        return wizard.action_queue()
