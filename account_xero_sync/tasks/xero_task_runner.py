"""The task runner on ``xero.task``: claims a dealer's task, runs one batch by its handler,
commits, reports. The task's own fields and actions are in ``xero_task``."""

import logging
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError

from ..models.xero_columns import testing
from ..xero_api import errors as xero_errors
from ..xero_api import throttle as xero_throttle
from .common import ADVISORY_NS, BATCH_SIZE, StepInterrupted, dealer_lock
from .xero_task_line import outcome_count
from .xero_task_types import TASK_TYPES

_logger = logging.getLogger(__name__)

MAX_TRANSIENT_FAILURES = 3  # batches in a row Xero did not answer before the task fails
TRANSIENT = xero_errors.XeroTransientError
OUTCOMES = ["created", "updated", "linked", "skipped", "blocked", "error"]


class XeroTask(models.Model):
    """The runner: claims a task, runs one batch of it by its handler, commits, reports.

    Kept apart from the task's fields and actions (``xero_task.py``) so that each file reads
    as one thing; see ``XeroTask`` there for the guarantees.
    """

    _inherit = "xero.task"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the runner

    @api.model
    def _cron_run_tasks(self, connection_id=None):
        """Cron: run one batch of the dealer's oldest runnable task, report progress, go on.

        Each connection has its own cron calling this with its id (``xero_connection_runner``):
        ``ir.cron`` calls it again, committing in between, while the dealer has tasks left, and
        other dealers' crons run beside it in other workers. Without an id (the scheduled
        action *Xero: wake the dealers' task runners*) it is the sweeper: it wakes the runner
        of every dealer with runnable tasks (making the runner of a connection older than this
        version) and runs no batch itself.

        A runner never sleeps long in the throttle (``xero_give_back``): when the dealer's
        minute of Xero calls is spent, the step stops where it is, the task waits for the
        minute's turn (``resume_at``), the run ends and the cron is triggered for then: the
        worker serves the other dealers meanwhile. With a clock whose waits cost nothing (a
        test's, an accelerated bench's) the step waits as before. Dealers take turns: while
        another dealer's task waits for a worker, the run ends after one step
        (``_end_turn``), so that no dealer waits for another's whole task to be served.
        """
        if connection_id is None:
            self._wake_runners()
            return
        connection = self.env["xero.connection"].sudo().browse(connection_id).exists()
        if not connection:  # deleted with its company: this cron has nothing left to run
            self.env["ir.cron"]._notify_progress(done=0, remaining=0, deactivate=True)
            return
        company = connection.company_id
        clock = self.env.context.get("xero_clock") or xero_throttle.RealClock()
        runner = self.with_context(xero_give_back=True) if clock.real_waits else self
        task = runner._claim_next(company)
        if task:
            task._run_by_runner()
        remaining = self.sudo().search_count(self._runnable_domain(company))
        if task and remaining and self._others_wait(company):
            remaining = self._end_turn(connection)
        self.env["ir.cron"]._notify_progress(done=1 if task else 0, remaining=remaining)

    @api.model
    def _end_turn(self, connection):
        """Give the cron worker back after one step while another dealer's task waits for a
        worker: the dealer's runner is triggered again (a second from now, so that Odoo's
        clean-up of the triggers of the run that ends cannot take it) and the cron workers
        are told (``NOTIFY``, as Odoo does for a trigger due now), so they come back to it
        once the waiting dealers are served. Returns the run's remaining work: none."""
        connection._xero_trigger_runner(fields.Datetime.now() + timedelta(seconds=1))
        cron = self.env["ir.cron"].sudo()
        self.env.cr.postcommit.add(cron._notifydb)
        return 0

    @api.model
    def _wake_runners(self):
        """Trigger the runner of every dealer with runnable tasks not already due to run."""
        connections = self.sudo().search(self._runnable_domain()).connection_id
        due = (
            self.env["ir.cron.trigger"]
            .sudo()
            .search(
                [
                    ("cron_id", "in", connections.runner_cron_id.ids),
                    ("call_at", "<=", fields.Datetime.now()),
                ]
            )
        )
        for connection in connections:
            if not connection.runner_cron_id or connection.runner_cron_id not in due.cron_id:
                connection._xero_trigger_runner()

    @api.model
    def _others_wait(self, company):
        """Whether another dealer than ``company`` has a runnable task that no worker is
        running (its dealer's lock free): work a cron worker would serve instead of sleeping
        on ``company``'s Xero limit."""
        self.env.cr.execute(
            "SELECT 1 FROM xero_task t WHERE t.company_id != %s "
            "AND t.state IN ('queued', 'running') "
            "AND (t.resume_at IS NULL OR t.resume_at <= %s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' "
            "AND l.classid = %s AND l.objid = t.company_id AND l.objsubid = 2) LIMIT 1",
            [company.id, fields.Datetime.now(), ADVISORY_NS],
        )
        return bool(self.env.cr.fetchone())

    def _runnable_domain(self, company=None):
        now = fields.Datetime.now()
        domain = [
            ("state", "in", ("queued", "running")),
            "|",
            ("resume_at", "=", False),
            ("resume_at", "<=", now),
        ]
        if company:
            domain.append(("company_id", "=", company.id))
        return domain

    @api.model
    def _claim_next(self, company=None):
        """Lock the first runnable task (of ``company``, the dealer, when given) whose dealer
        has no task running elsewhere: its oldest urgent task, else its oldest background one
        (see ``xero_task_types``: a background task gives way at every step).

        The dealer's transaction advisory lock first, then the row lock (``FOR UPDATE SKIP
        LOCKED``) of the dealer's FIRST runnable task, both held until the batch commits:
        another worker skips this dealer. In the other order, a worker holding the first
        task's row but not yet the dealer's lock would let another worker start the dealer's
        next task first; when the first task's row is locked (a batch finishing, a cancel),
        the dealer is left for the next run, never served out of order.
        """
        candidates = self.sudo().search(self._runnable_domain(company), order="id")
        candidates = candidates.sorted(lambda t: (not TASK_TYPES[t.task_type].urgent, t.id))
        tried = set()
        for task in candidates:
            if task.company_id.id in tried:
                continue
            tried.add(task.company_id.id)
            if not dealer_lock(self.env.cr, task.company_id.id):
                continue
            self.env.cr.execute(
                "SELECT id FROM xero_task WHERE id = %s AND state IN ('queued', 'running') "
                "FOR UPDATE SKIP LOCKED",
                [task.id],
            )
            if self.env.cr.fetchone():
                return task.with_company(task.company_id)
        return self.browse()

    def _run_by_runner(self):
        """Run one step of this task claimed by its dealer's runner; return True when the task
        has finished or waits.

        A background task leaves the connection's reserve of the day's calls to urgent tasks:
        at the reserve it waits for the next day without a step; during a step, its calls stop
        there (``xero_day_reserve``, see ``xero_api.throttle.DayReserveReached``). An urgent
        task may use the whole day.
        """
        self.ensure_one()
        if TASK_TYPES[self.task_type].urgent or not self.connection_id:
            return self._run_step()
        connection = self.connection_id
        reserve = connection._xero_day_reserve()
        if not reserve:
            return self._run_step()
        throttle = connection._xero_throttle()
        if not self.cancel_requested and throttle.day_left(connection.tenant_id) <= reserve:
            until = xero_throttle.next_day_pause(throttle.clock.time())
            return self._wait_rate_limit(
                xero_throttle.DayReserveReached(until=until, reserve=reserve)
            )
        return self.with_context(xero_day_reserve=reserve)._run_step()

    def _run_step(self, can_wait=True):
        """Run one batch of this task; return True when the task has finished (``can_wait``:
        see ``_wait_rate_limit``)."""
        self.ensure_one()
        # The dealer's lock (also taken by _claim_next): a task run from a button waits for a
        # batch the cron is running for the same dealer, never runs beside it.
        dealer_lock(self.env.cr, self.company_id.id, wait=True)
        self.env.cr.execute("SELECT id FROM xero_task WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_recordset(["state", "cancel_requested", "planned"])
        if self.state not in ("queued", "running"):
            return True
        handler = self._handler().with_company(self.company_id)
        mode = TASK_TYPES[self.task_type].mode
        if self.cancel_requested:
            self._finish(cancelled=True)
            return True
        interrupted = None
        try:
            if not self.planned:
                self._start(handler, mode)
            if self.transient_failures:
                # The last batch failed, maybe after Xero took some of it: the handler's
                # decisions re-read what Xero holds (``Batch.retry``, from the task's
                # ``transient_failures``), and what is still missing goes under new
                # idempotency keys (Xero keeps a 5xx under the old ones for minutes): the
                # task's connection salts every write's key (``xero.connection._xero_call``).
                salt = "task %s attempt %s" % (self.id, self.transient_failures)
                task = self.with_context(xero_key_salt=salt)
            else:
                task = self
            with self.env.cr.savepoint():
                try:
                    finished = handler._step(task, mode)
                except StepInterrupted as stop:
                    finished, interrupted = False, stop
        except Exception as exc:  # one bad batch must not stop every dealer
            return self._step_failed(exc, can_wait)
        if interrupted and not (interrupted.progress and isinstance(interrupted.error, TRANSIENT)):
            # What Xero answered before it stopped the step is kept, whatever comes next.
            self._update_counts()
            self._commit_batch()
            return self._step_failed(interrupted.error, can_wait)
        if interrupted:  # Xero answered part of the step: the handler retries the rest itself
            self.message = interrupted.error.user_message()
        elif self.message:
            # What held the task up (a batch Xero left unanswered, a rate limit) is over: a
            # task that recovered does not end with its warning.
            self.message = False
        self.transient_failures = 0
        self._update_counts()
        self._commit_batch()
        if finished:
            self._finish()
        return finished

    def _step_failed(self, exc, can_wait=True):
        """What a step raised (or what stopped it, see ``StepInterrupted``): wait for a rate
        limit, fail on an authorisation error, try again after a transient failure, else log
        the batch's records as errors; return True when the task has finished."""
        if isinstance(exc, xero_errors.XeroRateLimited):
            return self._wait_rate_limit(exc, can_wait)
        if isinstance(exc, xero_errors.XeroAuthError):
            self.message = exc.user_message()
            self._finish(failed=True, on_connection=True)
            return True
        if isinstance(exc, TRANSIENT):
            return self._transient_failure(exc)
        if isinstance(exc, xero_errors.XeroError):
            return self._batch_failed(exc.user_message())
        if isinstance(exc, (UserError, ValidationError, MissingError)):
            return self._batch_failed(str(exc), getattr(exc, "xero_on_connection", False))
        _logger.error("Xero task %s: a batch failed", self.id, exc_info=exc)
        return self._batch_failed(_("Unexpected error: %s", exc))

    def _start(self, handler, mode):
        """Start the task: check the organisation's base currency, then write the work list.

        An organisation in another base currency fails the task here (both currencies named,
        by ``_batch_failed``): nothing is planned, nothing sent.
        """
        self.write({"state": "running", "date_started": fields.Datetime.now(), "resume_at": False})
        with self.env.cr.savepoint():
            try:
                self.connection_id._xero_check_currency()
            except UserError as exc:  # the connection's organisation: fixed on the connection
                exc.xero_on_connection = True
                raise
            handler._plan(self, mode)
            self.planned = True

    def _batch_failed(self, message, on_connection=False):
        """The batch raised: its records are errors with the message, the task goes on.

        A task without a work list (Fetch New Payments, a task refused before it planned)
        fails instead (``on_connection``: on something fixed on the connection, such as its
        organisation's currency). Either way the cron moves on to the next task rather than
        retrying this batch for ever.
        """
        lines = self._pending_lines(BATCH_SIZE)
        if not lines:
            self.message = message
            self._finish(failed=True, on_connection=on_connection)
            return True
        lines._log("error", message=message)
        self._update_counts()
        self._commit_batch()
        if self._pending_lines(1):
            return False
        self._finish()
        return True

    def _wait_rate_limit(self, exc, can_wait=True):
        """Wait for a Xero limit (``exc``: ``XeroRateLimited``): the task stays queued or
        running with ``resume_at``, its message says until when, and its dealer's runner is
        triggered for then. The day's reserve (a background task) and a runner giving its
        worker back for the minute's turn wait in tests as well; other waits fail the task in
        tests and when the user waits for it (``can_wait=False``: Run now, see below)."""
        until = datetime.fromtimestamp(exc.until, tz=timezone.utc).replace(tzinfo=None)
        at = fields.Datetime.to_string(until)
        if isinstance(exc, xero_throttle.DayReserveReached):
            message = _(
                "Xero's calls left today are kept for urgent tasks (%(percent)s%% of the "
                "day): this task resumes when Xero's day turns, at %(at)s UTC.",
                percent=self.connection_id.day_reserve_percent,
                at=at,
            )
        else:
            message = _(
                "Xero's %(problem)s limit is reached: the task resumes at %(at)s UTC.",
                problem=exc.problem or "rate",
                at=at,
            )
        self.write({"resume_at": until, "message": message})
        self.connection_id._xero_trigger_runner(until)
        gave_back = self.env.context.get("xero_give_back") and exc.problem != "day"
        if isinstance(exc, xero_throttle.DayReserveReached) or gave_back:
            return True
        if testing() or not can_wait:
            # "Run now" cannot wait: the task fails and what it did not send are errors. A
            # test stops here as if it waited: those records stay pending, as they would.
            self._finish(failed=True, keep_pending=can_wait)
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
        if not testing() and self.env.context.get("xero_commit", True):
            self.env.cr.commit()  # pylint: disable=invalid-commit  # by design, as a cron does

    def _finish(self, failed=False, cancelled=False, keep_pending=False, on_connection=False):
        """End the task: its state (blocked records alone are *Done, some blocked*, never
        *Done with errors*), its problem, summary and chatter message, the audit notes on the
        records it changed in Xero (``_write_audit_notes``), and the activity of the
        user who queued it (one per dealer and problem, see ``_notify_problem``).

        ``on_connection``: it failed on its connection (the secret, the authorisation, the
        organisation); the form then offers to open the connection.
        """
        if failed and not keep_pending:
            # A failed task sends nothing more: its records waiting for a batch are errors
            # with the task's reason (never left "pending"), and Retry failed records has them.
            self.env["xero.task.line"].search(
                [("task_id", "=", self.id), ("outcome", "=", "pending")]
            )._log("error", message=_("Not sent: %s", self.message or _("the task failed.")))
        self._update_counts()
        if cancelled:
            state = "cancelled"
        elif failed:
            state = "failed"
        elif self.count_error:
            state = "done_with_errors"
        elif self.count_blocked:
            state = "done_blocked"
        else:
            state = "done"
        problem = False
        if failed:
            problem = "connection" if on_connection else "failed"
        elif not cancelled:
            problem = {"done_with_errors": "errors", "done_blocked": "blocked"}.get(state, False)
        self.write(
            {
                "state": state,
                "problem": problem,
                "date_finished": fields.Datetime.now(),
                "cancel_requested": False,
            }
        )
        self.summary = self._summary_text()
        if problem and self.user_id:
            self._notify_problem(problem)
        self.message_post(body=self._summary_text())
        self._write_audit_notes()  # the chatter of each record it changed in Xero
        self._handler()._finished(self)

    def _notify_problem(self, problem):
        """Tell the user who queued the task: one open activity per dealer and problem.

        An open activity of the same dealer, problem and user (on an earlier task) is
        updated (moved to this task, its note and date) instead of a new one piling up.
        """
        env = self.env
        summaries = {
            "connection": env._("Xero connection of %s needs attention", self.company_id.name),
            "failed": env._("Xero task failed"),
            "errors": env._("Xero task ended with errors"),
            "blocked": env._("Xero records blocked: they wait for a fix"),
        }
        note = self.message if problem in ("connection", "failed") and self.message else None
        note = note or self._summary_text()
        activity_type = env.ref("mail.mail_activity_data_warning")
        Activity = env["mail.activity"].sudo()
        candidates = Activity.search(
            [
                ("res_model", "=", self._name),
                ("activity_type_id", "=", activity_type.id),
                ("user_id", "=", self.user_id.id),
            ]
        )
        tasks = self.sudo().browse(candidates.mapped("res_id")).exists()
        same = tasks.filtered(
            lambda t: t.company_id == self.company_id and t.problem == problem and t != self
        )
        activity = candidates.filtered(lambda a: a.res_id in same.ids)[:1]
        if not activity:
            self.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=self.user_id.id,
                summary=summaries[problem],
                note=note,
            )
            return
        activity.write(
            {
                "res_id": self.id,
                "summary": summaries[problem],
                "note": note,
                "date_deadline": fields.Date.context_today(self),
            }
        )

    def _summary_text(self):
        words = self._handler()._outcome_counts
        parts = [
            outcome_count(self.env, o, getattr(self, "count_" + o), words)
            for o in OUTCOMES
            if getattr(self, "count_" + o)
        ]
        text = ", ".join(parts)
        if self.state == "failed" and self.message:
            why = self.message.rstrip(".")
            # A task that failed before it had records did not have "nothing to do".
            text = (
                _("failed: %(why)s (%(counts)s)", why=why, counts=text)
                if text
                else self.env._("failed: %s", why)
            )
        text = text or _("nothing to do")
        text = f"{self.name}: {text}"
        return f"{text}\n{self.report}" if self.report else text
