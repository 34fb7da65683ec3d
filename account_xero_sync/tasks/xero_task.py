"""``xero.task``: a unit of work with Xero, its fields, queuing and actions, and what the Tasks
list shows of it (priority, one-line summary). The runner that runs it is
``xero_task_runner``."""

from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from ..models.xero_texts import xero_text
from ..xero_api import throttle as xero_throttle
from .common import BATCH_SIZE, group_by_dealer
from .xero_task_line import LINE_OUTCOMES, outcome_count
from .xero_task_types import TASK_TYPES

DAY = 86400.0
# A task that ran to its end, whatever its records' outcomes.
DONE_STATES = ("done", "done_blocked", "done_with_errors")
# What needs a person once a task has ended (``_finish``), most urgent first.
PROBLEMS = [
    ("connection", "Connection to Xero"),
    ("failed", "Task failed"),
    ("errors", "Records in error"),
    ("blocked", "Records blocked"),
]


class XeroTask(models.Model):
    """A unit of work with Xero, and its log: one line per record touched.

    Queued tasks run in the background, each dealer's on its own cron (``_cron_run_tasks``,
    dealers side by side on Odoo's cron workers), one batch of at most 50 records per step,
    committed after each batch: a crash, a restart or a long rate limit resumes at the first
    record Xero has not answered. Only one task of a dealer runs at a time (a PostgreSQL
    advisory lock per company): Xero's limits are per organisation, so running two at once
    would gain nothing, and this guarantees two tasks never send the same record.

    The runner knows handlers only: a task type (``xero_task_types.TASK_TYPES``) names its
    handler (``xero.task.handler``), whose ``_plan`` writes the work list and ``_step`` does
    one batch.
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
        [(code, task_type.label) for code, task_type in TASK_TYPES.items()],
        required=True,
        tracking=True,
    )
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("done_blocked", "Done, some blocked"),
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
    res_model = fields.Char(string="Kind of records", readonly=True)
    records_label = fields.Char(
        string="Records",
        compute="_compute_records_label",
        help="What the task works on when it was started on chosen records.",
    )
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
    problem = fields.Selection(
        PROBLEMS,
        readonly=True,
        copy=False,
        help="What needs a person once the task has ended: the connection to Xero, the task "
        "failed, records in error, records blocked. One activity per dealer and problem.",
    )
    progress = fields.Float(compute="_compute_progress", store=True)
    retry_offered = fields.Boolean(
        compute="_compute_retry_offered",
        help="Retry failed records is offered once the task has ended with records in error "
        "(blocked ones wait for a person to fix what blocks them).",
    )
    resend_offered = fields.Boolean(
        compute="_compute_resend_offered",
        help="Send the blocked ones again is offered once the task has ended with blocked "
        "records that a one-off send can take again.",
    )
    handler_state = fields.Json(
        copy=False, readonly=True, help="Where the handler is between steps (e.g. the fetch)."
    )
    report = fields.Text(copy=False, readonly=True, help="The handler's closing report.")
    priority = fields.Selection(
        [("urgent", "Urgent"), ("background", "Background")],
        compute="_compute_priority",
        help="Urgent tasks (sends, Fetch New Payments) run first; a background task (Send "
        "Invoice PDFs, Compare with Xero, Link Existing Xero Records) gives way at its next "
        "step to an urgent task of its dealer, then goes on where it was.",
    )
    summary_line = fields.Char(
        string="Results",
        compute="_compute_summary_line",
        help="What the task did so far (the counts are optional columns).",
    )
    eta = fields.Char(
        string="Estimated finish",
        compute="_compute_eta",
        help="When the task should be done, from the records left, the organisation's Xero "
        "calls a minute and a day (a background task leaves the day's reserve to urgent ones) "
        "and the rate measured so far.",
    )

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
            if task.state in DONE_STATES:
                task.progress = 100.0
            else:
                task.progress = (
                    100.0 * task.count_done / task.count_total if task.count_total else 0.0
                )

    @api.depends("count_error", "state")
    def _compute_retry_offered(self):
        for task in self:
            task.retry_offered = bool(task.count_error) and task.state not in (
                "queued",
                "running",
            )

    @api.depends("count_blocked", "state", "task_type")
    def _compute_resend_offered(self):
        for task in self:
            task.resend_offered = (
                bool(task.count_blocked)
                and task.state not in ("queued", "running", "cancelled")
                and task._resend_type() is not None
            )

    def _resend_type(self):
        """The type *Send the blocked ones again* queues: the one-off (or PDF) send a retry
        queues, a one-off send's own type; None for a reader (a fetch retries its blocked
        payments by itself; Link Existing and Compare send nothing)."""
        if not self.task_type:
            return None
        task_type = TASK_TYPES[self.task_type]
        retry = task_type.retry or (self.task_type if task_type.mode == "one_off" else None)
        return retry if retry and TASK_TYPES[retry].mode != "fetch" else None

    @api.depends("task_type")
    def _compute_priority(self):
        for task in self:
            urgent = not task.task_type or TASK_TYPES[task.task_type].urgent
            task.priority = "urgent" if urgent else "background"

    @api.depends("state", "count_total", "count_done", "date_started", "resume_at")
    def _compute_eta(self):
        for task in self:
            task.eta = task._eta_text()

    def _eta_text(self):
        """The estimated finish in words ("about 3 h 20 min", "tomorrow about 09:10"), or
        False when there is nothing to estimate (finished, not planned yet).

        Calls per record and the rate are measured from the organisation's calls in the
        throttle's ledger since the task started (one task of a dealer runs at a time); before
        any, one call per record at the minute's limit. The day's budget: what is left of the
        day (less the reserve for a background task), then a whole day (less the reserve)
        each day from Xero's next day on.
        """
        left = self.count_total - self.count_done
        connection = self.connection_id.sudo()
        if self.state not in ("queued", "running") or left <= 0 or not connection.tenant_id:
            return False
        throttle, tenant = connection._xero_throttle(), connection.tenant_id
        now = throttle.clock.time()
        minute_rate = throttle.window.per_minute / 60.0  # calls a second
        per_record, rate = 1.0, minute_rate
        if self.date_started and self.count_done:
            started = self.date_started.replace(tzinfo=timezone.utc).timestamp()
            elapsed = now - started
            calls = throttle.store.calls_since(tenant, started, now) if elapsed < DAY else 0
            if calls and elapsed > 0:
                per_record = calls / self.count_done
                rate = min(calls / elapsed, minute_rate)
        reserve = 0 if self.priority == "urgent" else connection._xero_day_reserve()
        per_day = throttle.per_day - reserve
        if per_day <= 0:
            return False
        needed = left * per_record
        t = max(
            now, self.resume_at.replace(tzinfo=timezone.utc).timestamp() if self.resume_at else 0
        )
        avail = per_day
        if xero_throttle.day_start(t) == xero_throttle.day_start(now):
            avail = max(throttle.day_left(tenant) - reserve, 0)
        for _day in range(366):
            day_end = xero_throttle.next_day_pause(t)
            usable = min(avail, (day_end - t) * rate)
            if needed <= usable:
                break
            needed -= usable
            t, avail = day_end, per_day
        else:
            return False
        return self._eta_words(now, t + needed / rate)

    def _eta_words(self, now, finish):
        """``finish`` (epoch seconds) for a person: a duration today, else the day and hour in
        the user's time zone."""

        def to_local(epoch):
            utc = datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)
            return fields.Datetime.context_timestamp(self, utc)

        local_now, local_finish = to_local(now), to_local(finish)
        if local_finish.date() == local_now.date():
            minutes = max(round((finish - now) / 60.0), 1)
            if minutes < 60:
                return _("about %(minutes)s min", minutes=minutes)
            return _("about %(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)
        at = local_finish.strftime("%H:%M")
        if local_finish.date() == local_now.date() + timedelta(days=1):
            return _("tomorrow about %(at)s", at=at)
        day = format_date(self.env, local_finish.date())
        return _("%(day)s about %(at)s", day=day, at=at)

    @api.depends("res_model", "res_ids")
    def _compute_records_label(self):
        for task in self:
            count = len(task.res_ids or [])
            if not task.res_model:
                task.records_label = False
            elif task.res_model == "res.partner":
                task.records_label = (
                    _("1 customer") if count == 1 else _("%(count)s customers", count=count)
                )
            elif task.res_model == "account.move":
                task.records_label = (
                    _("1 document") if count == 1 else _("%(count)s documents", count=count)
                )
            elif task.res_model == "account.payment":
                task.records_label = (
                    _("1 payment") if count == 1 else _("%(count)s payments", count=count)
                )
            else:
                task.records_label = (
                    _("1 record") if count == 1 else _("%(count)s records", count=count)
                )

    @api.depends(
        "state",
        "message",
        "count_total",
        "count_done",
        *(f"count_{code}" for code, _l in LINE_OUTCOMES if code != "pending"),
    )
    def _compute_summary_line(self):
        for task in self:
            # The task's own words, as its log and summary say them (fetch: "imported").
            words = task._handler()._outcome_counts if task.task_type else {}
            counts = [
                outcome_count(self.env, code, getattr(task, "count_" + code), words)
                for code, _l in LINE_OUTCOMES
                if code != "pending" and getattr(task, "count_" + code)
            ]
            if task.state in ("queued", "running") and task.count_total:
                counts.insert(
                    0, _("%(done)s of %(total)s", done=task.count_done, total=task.count_total)
                )
            if not counts and task.state in ("failed", "cancelled") and task.message:
                counts = [task.message.splitlines()[0]]
            if not counts and task.state in DONE_STATES:
                counts = [_("nothing to do")]
            task.summary_line = ", ".join(counts)

    # ------------------------------------------------------------------ creation

    @api.model
    def _queue(self, company, task_type, records=None, run_now=False, can_wait=True):
        """Add a task of ``task_type`` for ``company``; records for one-off and retry tasks.

        The task is queued and its dealer's runner triggered, or run at once with ``run_now``
        (``can_wait=False``: the user waits for it, so a Xero limit fails it instead of leaving
        it to its runner: see ``_wait_rate_limit``).
        """
        connection = self.env["xero.connection"]._for_company(company)
        vals = {"company_id": company.id, "task_type": task_type}
        if records is not None:
            self._check_records(company, records)
            vals.update(res_model=records._name, res_ids=records.ids)
        # What the task works on is the system's to write (see ``create``), once the user's
        # rights on the dealer's connection and on the records are checked.
        task = self.sudo().create(vals).sudo(False)
        if run_now:
            task._run_to_end(can_wait)
        else:
            connection._xero_trigger_runner()
        return task

    @api.model
    def _check_records(self, company, records):
        """The user may read ``records`` (another dealer's are then blocked by each batch)."""
        records.check_access("read")

    @api.model_create_multi
    def create(self, vals_list):
        """Users add tasks by dealer and type only; what a task works on, its state, counters
        and log are written by the system (Add bulk task and the Action menus check the user's
        rights first, then write them), whatever the client sends."""
        if not self.env.su:
            for vals in vals_list:
                self._refuse_system_fields(set(vals) - {"company_id", "task_type"})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._refuse_system_fields(set(vals) & self._system_fields())
        if vals.get("message"):  # a message of the Xero layer, in the user's language
            vals = dict(vals, message=xero_text(self.env, vals["message"]))
        return super().write(vals)

    def _system_fields(self):
        mail = set(self.env["mail.thread"]._fields) | set(self.env["mail.activity.mixin"]._fields)
        return set(self._fields) - mail

    def _refuse_system_fields(self, names):
        if names:
            raise AccessError(
                _(
                    "Xero tasks are added with Add bulk task or a record's Action menu; "
                    "%s can be written only by the system.",
                    ", ".join(sorted(names)),
                )
            )

    @api.model
    def _run_one_off(self, task_type, records):
        """Action > Xero on records: one task per dealer the records belong to, run now, and
        the action that opens them.

        A record of a company goes to that company's Xero, never to the current one's; a
        shared record (no company) goes to the current company's.
        """
        return self._run_one_off_tasks(task_type, records)._action_open_tasks()

    @api.model
    def _run_one_off_tasks(self, task_type, records):
        tasks = self.browse()
        for company, group in group_by_dealer(records, self.env.company).items():
            tasks |= self.with_company(company)._queue(company, task_type, group, run_now=True)
        return tasks

    def _action_open_tasks(self):
        if len(self) == 1:
            return self._action_open()
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.task",
            "name": _("Xero Tasks"),
            "view_mode": "list,form",
            "domain": [("id", "in", self.ids)],
        }

    # ------------------------------------------------------------------ actions

    def action_run(self):
        """Run the task now, to the end, in the current transaction (small tasks, tests).

        Access is checked here, on the task (its dealer's record rules); the run itself is the
        system's, like the cron's, so a Xero User needs no rights on what the task links.
        """
        self._run_to_end()
        return True

    def _run_to_end(self, can_wait=True):
        """``action_run``: each task run in this transaction to its end (``can_wait``: see
        ``_queue``)."""
        self.check_access("write")
        for task in self:
            if task.state not in ("queued", "running"):
                raise UserError(_("Task %s has already finished.", task.name))
            task = task.sudo().with_company(task.company_id)
            while not task._run_step(can_wait):
                pass

    def action_cancel(self):
        """Stop the task at the next batch boundary (at once when it has not started)."""
        self.check_access("write")
        for task in self.sudo():
            if task.state == "queued" and not task.planned:
                task.write({"state": "cancelled", "date_finished": fields.Datetime.now()})
            elif task.state in ("queued", "running"):
                # A task waiting for a Xero limit (the minute, the day's reserve) is stopped by
                # its runner now, not when the wait ends.
                task.write({"cancel_requested": True, "resume_at": False})
                task.connection_id._xero_trigger_runner()
        return True

    def action_retry_failed(self):
        """Queue a new task of the same kind over the records that failed or were blocked."""
        self.ensure_one()
        records_model = self._handler()._records
        lines = self.line_ids.filtered(
            lambda line: line.outcome in ("error", "blocked") and line.res_model == records_model
        )
        if not lines:
            raise UserError(_("No record of this task failed."))
        records = self.env[records_model].browse(lines.mapped("res_id")).exists()
        task_type = TASK_TYPES[self.task_type].retry or self.task_type
        task = self._queue(self.company_id, task_type, records)
        return task._action_open()

    def action_resend_blocked(self):
        """Queue the one-off send (the type *Retry failed records* queues) of the records this
        task blocked, once what blocked them is fixed; open the new task."""
        self.ensure_one()
        records_model = self._handler()._records
        task_type = self._resend_type()
        lines = self.line_ids.filtered(
            lambda line: line.outcome == "blocked" and line.res_model == records_model
        )
        records = self.env[records_model].browse(lines.mapped("res_id")).exists()
        if not task_type or not records:
            raise UserError(self.env._("No record of this task is blocked."))
        return self._queue(self.company_id, task_type, records)._action_open()

    def action_run_again(self):
        """Queue a task of the same type for the same dealer (and the same records, for a
        one-off task) once what failed it is fixed; open the new task."""
        self.ensure_one()
        records = None
        if self.res_model:
            records = self.env[self.res_model].browse(self.res_ids or []).exists()
        return self._queue(self.company_id, self.task_type, records)._action_open()

    def action_open_connection(self):
        """Open the dealer's Xero connection (the task failed on it: its secret, its
        authorisation, its organisation)."""
        self.ensure_one()
        connection = self.connection_id
        connection.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.connection",
            "res_id": connection.id,
            "name": connection.display_name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.task",
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def _handler(self):
        """The handler model of this task's type."""
        return self.env[TASK_TYPES[self.task_type].handler]

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
