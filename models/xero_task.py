import logging
import threading
from datetime import datetime, timezone

from odoo import _, api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError

from ..xero_api import errors as xero_errors

_logger = logging.getLogger(__name__)

BATCH_SIZE = 50  # records per Xero call: Xero's safe batch size (XERO_NOTES.md)
MAX_TRANSIENT_FAILURES = 3  # batches in a row Xero did not answer before the task fails
ADVISORY_NS = 1480938032  # pg advisory lock namespace of Xero tasks ("XER0")

# The one place task types are registered: code -> (label, target model, mode).
# The target model implements the xero.sync.mixin protocol (_xero_task_plan, _xero_task_step,
# _xero_preview); the runner below never changes when a type is added.
TASK_TYPES = {
    "send_new_customers": ("Send New Customers", "res.partner", "new"),
    "send_all_customers": ("Send All Customers", "res.partner", "all"),
    "send_customer": ("Send Customer", "res.partner", "one_off"),
    "send_new_invoices": ("Send New Invoices", "account.move", "new"),
    "send_invoice": ("Send Invoice", "account.move", "one_off"),
    "send_invoice_pdfs": ("Send Invoice PDFs", "account.move", "pdf"),
    "send_new_payments": ("Send New Payments", "account.partial.reconcile", "new"),
    "send_payment": ("Send Payment", "account.partial.reconcile", "one_off"),
    "fetch_new_payments": ("Fetch New Payments", "account.payment", "fetch"),
}
BULK_TYPES = [
    "send_new_customers",
    "send_all_customers",
    "send_new_invoices",
    "send_new_payments",
    "fetch_new_payments",
    "send_invoice_pdfs",
]
OUTCOMES = ["created", "updated", "linked", "skipped", "blocked", "error"]


def _testing():
    return getattr(threading.current_thread(), "testing", False)


class XeroTask(models.Model):
    """A unit of work with Xero, and its log: one line per record touched.

    Queued tasks run in the background (``_cron_run_tasks``), one batch of at most 50 records
    per step, committed after each batch: a crash, a restart or a long rate limit resumes at
    the first record Xero has not answered. Only one task of a dealer runs at a time (a
    PostgreSQL advisory lock per company): Xero's limits are per organisation, so running two
    at once would gain nothing, and this guarantees two tasks never send the same record.
    """

    _name = "xero.task"
    _description = "Xero Task"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company",
        string="Dealer",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    connection_id = fields.Many2one(
        "xero.connection",
        compute="_compute_connection",
        store=True,
        check_company=True,
    )
    task_type = fields.Selection(
        [(code, label) for code, (label, _model, _mode) in TASK_TYPES.items()],
        required=True,
        tracking=True,
    )
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("done_with_errors", "Done with errors"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )
    user_id = fields.Many2one("res.users", string="Added by", default=lambda self: self.env.user)
    date_started = fields.Datetime(string="Started", readonly=True, copy=False)
    date_finished = fields.Datetime(string="Finished", readonly=True, copy=False)
    resume_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="Waiting for Xero's rate limit until then.",
    )
    res_model = fields.Char(string="Records of", readonly=True)
    res_ids = fields.Json(
        string="Record IDs",
        readonly=True,
        copy=False,
        help="Explicit records (one-off and retry tasks).",
    )
    cancel_requested = fields.Boolean(readonly=True, copy=False)
    planned = fields.Boolean(readonly=True, copy=False)
    transient_failures = fields.Integer(readonly=True, copy=False)
    message = fields.Text(readonly=True, copy=False)
    summary = fields.Text(readonly=True, copy=False)
    line_ids = fields.One2many("xero.task.line", "task_id", string="Log")
    count_total = fields.Integer(string="Total records", readonly=True, copy=False)
    count_done = fields.Integer(string="Answered", readonly=True, copy=False)
    count_created = fields.Integer(string="Created", readonly=True, copy=False)
    count_updated = fields.Integer(string="Updated", readonly=True, copy=False)
    count_linked = fields.Integer(string="Linked", readonly=True, copy=False)
    count_skipped = fields.Integer(string="Skipped", readonly=True, copy=False)
    count_blocked = fields.Integer(string="Blocked", readonly=True, copy=False)
    count_error = fields.Integer(string="Errors", readonly=True, copy=False)
    progress = fields.Float(compute="_compute_progress", store=True)

    @api.depends("task_type", "company_id")
    def _compute_name(self):
        labels = dict(self._fields["task_type"]._description_selection(self.env))
        for task in self:
            task.name = "%s · %s" % (labels.get(task.task_type, ""), task.company_id.name or "")

    @api.depends("company_id")
    def _compute_connection(self):
        connections = (
            self.env["xero.connection"].sudo().search([("company_id", "in", self.company_id.ids)])
        )
        by_company = {c.company_id.id: c.id for c in connections}
        for task in self:
            task.connection_id = by_company.get(task.company_id.id, False)

    @api.depends("count_total", "count_done", "state")
    def _compute_progress(self):
        for task in self:
            if task.state in ("done", "done_with_errors"):
                task.progress = 100.0
            else:
                task.progress = (
                    100.0 * task.count_done / task.count_total if task.count_total else 0.0
                )

    # ------------------------------------------------------------------ creation

    @api.model
    def _queue(self, company, task_type, records=None, run_now=False):
        """Add a task of ``task_type`` for ``company``; records for one-off and retry tasks.

        The task is queued and the runner cron triggered, or run at once with ``run_now``.
        """
        self.env["xero.connection"]._for_company(company)
        vals = {"company_id": company.id, "task_type": task_type}
        if records is not None:
            vals.update(res_model=records._name, res_ids=records.ids)
        task = self.create(vals)
        if run_now:
            task.action_run()
        else:
            self.env.ref("account_xero_sync.ir_cron_xero_run_tasks").sudo()._trigger()
        return task

    @api.model
    def _run_one_off(self, task_type, records):
        """Action > Xero on records: one task per dealer the records belong to, run now.

        A record of a company goes to that company's Xero, never to the current one's; a
        shared record (no company) goes to the current company's.
        """
        by_company = {}
        for record in records:
            company = record.company_id or self.env.company
            by_company[company] = by_company.get(company, records.browse()) | record
        tasks = self.browse()
        for company, group in by_company.items():
            tasks |= self.with_company(company)._queue(company, task_type, group, run_now=True)
        if len(tasks) == 1:
            return tasks._action_open()
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.task",
            "name": _("Xero Tasks"),
            "view_mode": "list,form",
            "domain": [("id", "in", tasks.ids)],
        }

    # ------------------------------------------------------------------ actions

    def action_run(self):
        """Run the task now, to the end, in the current transaction (small tasks, tests).

        Access is checked here, on the task (its dealer's record rules); the run itself is the
        system's, like the cron's, so a Xero User needs no rights on what the task links.
        """
        self.check_access("write")
        for task in self:
            if task.state not in ("queued", "running"):
                raise UserError(_("Task %s has already finished.", task.name))
            task = task.sudo().with_company(task.company_id)
            while not task._run_step():
                pass
        return True

    def action_cancel(self):
        """Stop the task at the next batch boundary (at once when it has not started)."""
        for task in self:
            if task.state == "queued" and not task.planned:
                task.write({"state": "cancelled", "date_finished": fields.Datetime.now()})
            elif task.state in ("queued", "running"):
                task.cancel_requested = True
        return True

    def action_retry_failed(self):
        """Queue a new task of the same kind over the records that failed or were blocked."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: (
                line.outcome in ("error", "blocked") and line.res_model == self._target_model()
            )
        )
        if not lines:
            raise UserError(_("No record of this task failed."))
        records = self.env[lines[0].res_model].browse(lines.mapped("res_id")).exists()
        one_off = {
            "res.partner": "send_customer",
            "account.move": "send_invoice",
            "account.partial.reconcile": "send_payment",
        }
        task_type = (
            self.task_type
            if self.task_type == "send_invoice_pdfs"
            else one_off.get(records._name, self.task_type)
        )
        task = self._queue(self.company_id, task_type, records)
        return task._action_open()

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.task",
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------ runner

    @api.model
    def _cron_run_tasks(self):
        """Cron: run one batch of the oldest runnable task, report progress, go on.

        ``ir.cron`` calls this again (committing in between) while tasks remain.
        """
        task = self._claim_next()
        if task:
            task._run_step()
        remaining = self.search_count(self._runnable_domain())
        self.env["ir.cron"]._notify_progress(done=1 if task else 0, remaining=remaining)

    def _runnable_domain(self):
        now = fields.Datetime.now()
        return [
            ("state", "in", ("queued", "running")),
            "|",
            ("resume_at", "=", False),
            ("resume_at", "<=", now),
        ]

    @api.model
    def _claim_next(self):
        """Lock the oldest runnable task whose dealer has no task running elsewhere.

        Row lock (``FOR UPDATE SKIP LOCKED``) plus a transaction advisory lock per company,
        both held until the batch commits: another worker skips this task and this dealer.
        """
        candidates = self.sudo().search(self._runnable_domain(), order="id")
        for task in candidates:
            self.env.cr.execute(
                "SELECT id FROM xero_task WHERE id = %s AND state IN ('queued', 'running') "
                "FOR UPDATE SKIP LOCKED",
                [task.id],
            )
            if not self.env.cr.fetchone():
                continue
            self.env.cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_NS, task.company_id.id]
            )
            if self.env.cr.fetchone()[0]:
                return task.with_company(task.company_id)
        return self.browse()

    def _run_step(self):
        """Run one batch of this task; return True when the task has finished."""
        self.ensure_one()
        # The dealer's lock (also taken by _claim_next): a task run from a button waits for a
        # batch the cron is running for the same dealer, never runs beside it.
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NS, self.company_id.id]
        )
        self.env.cr.execute("SELECT id FROM xero_task WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_recordset(["state", "cancel_requested", "planned"])
        if self.state not in ("queued", "running"):
            return True
        target = self.env[self._target_model()].with_company(self.company_id)
        mode = TASK_TYPES[self.task_type][2]
        if self.cancel_requested:
            self._finish(cancelled=True)
            return True
        if not self.planned:
            self.write(
                {"state": "running", "date_started": fields.Datetime.now(), "resume_at": False}
            )
            target._xero_task_plan(self, mode)
            self.planned = True
        try:
            with self.env.cr.savepoint():
                finished = target._xero_task_step(self, mode)
        except xero_errors.XeroRateLimited as exc:
            return self._wait_rate_limit(exc)
        except xero_errors.XeroAuthError as exc:
            self.message = exc.user_message()
            self._finish(failed=True)
            return True
        except xero_errors.XeroTransientError as exc:
            return self._transient_failure(exc)
        except (xero_errors.XeroError, UserError, ValidationError, MissingError) as exc:
            message = exc.user_message() if isinstance(exc, xero_errors.XeroError) else str(exc)
            return self._batch_failed(message)
        except Exception as exc:  # one bad batch must not stop every dealer
            _logger.exception("Xero task %s: a batch failed", self.id)
            return self._batch_failed(_("Unexpected error: %s", exc))
        self.transient_failures = 0
        self._update_counts()
        self._commit_batch()
        if finished:
            self._finish()
        return finished

    def _batch_failed(self, message):
        """The batch raised: its records are errors with the message, the task goes on.

        A task without a work list (Fetch New Payments) fails instead. Either way the cron
        moves on to the next task rather than retrying this batch for ever.
        """
        lines = self._pending_lines(BATCH_SIZE)
        if not lines:
            self.message = message
            self._finish(failed=True)
            return True
        lines._log("error", message=message)
        self._update_counts()
        self._commit_batch()
        if self._pending_lines(1):
            return False
        self._finish()
        return True

    def _wait_rate_limit(self, exc):
        until = datetime.fromtimestamp(exc.until, tz=timezone.utc).replace(tzinfo=None)
        self.write(
            {
                "resume_at": until,
                "message": _(
                    "Xero's %(problem)s limit is reached: the task resumes at %(at)s UTC.",
                    problem=exc.problem or "rate",
                    at=fields.Datetime.to_string(until),
                ),
            }
        )
        self.env.ref("account_xero_sync.ir_cron_xero_run_tasks").sudo()._trigger(until)
        if _testing() or self.env.context.get("xero_run_now"):
            self._finish(failed=True)
        return True

    def _transient_failure(self, exc):
        self.transient_failures += 1
        self.message = exc.user_message()
        if self.transient_failures >= MAX_TRANSIENT_FAILURES:
            self._finish(failed=True)
            return True
        return False

    def _update_counts(self):
        groups = self.env["xero.task.line"]._read_group(
            [("task_id", "=", self.id)], ["outcome"], ["__count"]
        )
        counts = dict(groups)
        vals = {f"count_{o}": counts.get(o, 0) for o in OUTCOMES}
        vals["count_total"] = sum(counts.values())
        vals["count_done"] = vals["count_total"] - counts.get("pending", 0)
        self.write(vals)

    def _commit_batch(self):
        """Commit the batch (not in tests) so a crash later never loses what Xero answered."""
        if not _testing() and self.env.context.get("xero_commit", True):
            self.env.cr.commit()

    def _finish(self, failed=False, cancelled=False):
        self._update_counts()
        if cancelled:
            state = "cancelled"
        elif failed:
            state = "failed"
        else:
            state = "done_with_errors" if self.count_error or self.count_blocked else "done"
        self.write(
            {
                "state": state,
                "date_finished": fields.Datetime.now(),
                "cancel_requested": False,
                "summary": self._summary_text(),
            }
        )
        if state in ("done_with_errors", "failed") and self.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                user_id=self.user_id.id,
                summary=_("Xero task ended with errors"),
                note=self.message or self._summary_text(),
            )
        self.message_post(body=self._summary_text())

    def _summary_text(self):
        parts = [
            f"{getattr(self, 'count_' + o)} {o}" for o in OUTCOMES if getattr(self, "count_" + o)
        ]
        text = ", ".join(parts) or _("nothing to do")
        return f"{self.name}: {text}"

    def _target_model(self):
        return TASK_TYPES[self.task_type][1]

    # ------------------------------------------------------------------ log helpers

    def _add_lines(self, records, outcome="pending", message=False):
        """Create one pending log line per record (the task's work list), in one query set."""
        self.ensure_one()
        names = dict(records._origin.mapped(lambda r: (r.id, r.display_name)))
        return self.env["xero.task.line"].create(
            [
                {
                    "task_id": self.id,
                    "res_model": records._name,
                    "res_id": rid,
                    "res_name": names.get(rid, ""),
                    "outcome": outcome,
                    "message": message,
                }
                for rid in records.ids
            ]
        )

    def _pending_lines(self, limit=BATCH_SIZE):
        return self.env["xero.task.line"].search(
            [("task_id", "=", self.id), ("outcome", "=", "pending")],
            order="id",
            limit=limit,
        )
