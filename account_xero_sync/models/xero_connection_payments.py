import logging

from odoo import _, api, fields, models

from .xero_connection import NEEDS_A_PERSON

_logger = logging.getLogger(__name__)


class XeroConnection(models.Model):
    """Payments on the connection: the scheduled fetch, and Xero bank accounts for journals."""

    _inherit = "xero.connection"

    payments_fetch_error = fields.Text(
        string="Last fetch error",
        readonly=True,
        copy=False,
        help="Why the last scheduled Fetch New Payments of this dealer failed.",
    )
    payments_fetch_retry_ids = fields.Json(
        readonly=True,
        copy=False,
        help="Xero payments the last fetch could not import (mapping, amount due): re-read by id "
        "at the next fetch.",
    )

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_fetch_payments(self):
        """Cron "Xero: fetch new payments": queue Fetch New Payments for every dealer whose
        connection has automatic fetch enabled, and wake that dealer's runner.

        Calls nothing at Xero itself: each fetch runs on its dealer's runner, a page per
        committed step, beside the other dealers'. A dealer that has one queued or running
        already gets no second one.
        """
        connections = self.sudo().search(
            [("auto_fetch_payments", "=", True), ("tenant_id", "!=", False)]
        )
        connections = connections.filtered(lambda c: c.state not in NEEDS_A_PERSON)
        Task = self.env["xero.task"].sudo()
        busy = Task.search(
            [
                ("company_id", "in", connections.company_id.ids),
                ("task_type", "=", "fetch_new_payments"),
                ("state", "in", ("queued", "running")),
            ]
        ).company_id
        for connection in connections.filtered(lambda c: c.company_id not in busy):
            company = connection.company_id
            Task.with_company(company)._queue(company, "fetch_new_payments")

    def _xero_fetch_finished(self, task):
        """A Fetch New Payments of this dealer ended: its failure is kept on the connection
        (shown on the form, posted in its chatter, logged), a success clears it."""
        self.ensure_one()
        if task.state != "failed":
            self.sudo().payments_fetch_error = False
            return
        message = _("Fetch New Payments failed: %s", task.message or task.summary or "")
        _logger.error("Xero fetch of payments failed for %s: %s", self.company_id.name, message)
        self.sudo().write({"payments_fetch_error": message})
        self.sudo().message_post(body=message)

    # ------------------------------------------------------------------ actions

    def action_fetch_payments(self):
        """Fetch New Payments now for this dealer, and open the task."""
        self.ensure_one()
        task = self.env["xero.task"]._queue(self.company_id, "fetch_new_payments", run_now=True)
        return task._action_open()

    def action_load_bank_accounts(self):
        """Load from Xero: the organisation's BANK accounts as journal mappings (one call).

        Existing journal rows get the account's current code, id and name. Odoo bank journals
        whose account number or name matches a Xero bank account are mapped to it. Never a
        default: a journal left unmapped blocks its payments until a manager maps it.
        """
        self.ensure_one()
        self._check_manager()
        accounts = self._xero_call("get_accounts", where='Type=="BANK"').get("Accounts") or []
        accounts = sorted(
            (a for a in accounts if a.get("Status", "ACTIVE") == "ACTIVE"),
            key=lambda a: (a.get("Code") or "", a.get("Name") or ""),
        )
        rows = self.mapping_ids.filtered(lambda m: m.kind == "journal")
        updated, created = 0, []
        for account in accounts:
            vals = {
                "xero_code": account.get("Code") or account["AccountID"],
                "xero_id": account["AccountID"],
                "xero_name": account.get("Name"),
            }
            same = rows.filtered(
                lambda r, a=account: (
                    (r.xero_id or "").lower() == a["AccountID"].lower()
                    or (a.get("Code") and r.xero_code == a["Code"])
                )
            )
            if same:
                same.write(vals)
                updated += len(same)
        journals = self.env["account.journal"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("type", "=", "bank"),
                ("id", "not in", rows.journal_id.ids),
            ]
        )
        for journal in journals:
            number = "".join(c for c in journal.bank_acc_number or "" if c.isalnum())
            match = next(
                (
                    a
                    for a in accounts
                    if number
                    and number
                    == "".join(c for c in a.get("BankAccountNumber") or "" if c.isalnum())
                ),
                None,
            ) or next(
                (a for a in accounts if a.get("Name", "").lower() == journal.name.lower()), None
            )
            if match:
                created.append(
                    {
                        "kind": "journal",
                        "journal_id": journal.id,
                        "xero_code": match.get("Code") or match["AccountID"],
                        "xero_id": match["AccountID"],
                        "xero_name": match.get("Name"),
                    }
                )
        self.write({"mapping_ids": [fields.Command.create(vals) for vals in created]})
        return self._notify(
            _("Bank accounts loaded from Xero"),
            _(
                "%(count)s bank accounts read; %(updated)s mappings updated, %(new)s added.",
                count=len(accounts),
                updated=updated,
                new=len(created),
            ),
            "success",
        )
