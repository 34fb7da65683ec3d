"""Each dealer's task runner and the schedules that queue its tasks: the connection's own
``ir.cron`` and the scheduled Fetch New Payments (with what the last fetch left on the
connection)."""

import logging
import math
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.xero_connection import NEEDS_A_PERSON
from ..xero_api import throttle as xero_throttle

_logger = logging.getLogger(__name__)

MODULE = "account_xero_sync"
#: Longest throttle wait (seconds) of a cron runner's step while other dealers wait for a
#: worker: a longer one (the minute spent) ends the run and the runner is woken when the
#: minute turns, the worker free for them meanwhile.
GIVE_BACK_AFTER = 3.0


class XeroConnection(models.Model):
    """Each dealer's own task runner: one ``ir.cron`` per connection.

    Odoo runs one cron record in one worker at a time, and a worker takes any cron that is
    ready (``FOR NO KEY UPDATE SKIP LOCKED``): with a cron per dealer, two cron workers (or two
    Odoo servers on one database) run two dealers' tasks side by side, while each dealer's
    batches stay serial (its cron, plus the runner's row and advisory locks). The cron is made
    with the connection, or on demand for a connection made before this version; it carries an
    external id (``noupdate``) so that uninstalling and neutralising treat it as the module's.

    The scheduled action *Xero: fetch new payments* queues Fetch New Payments on the runner of
    every dealer that asked for it; the last fetch's failure and the payments it could not
    import yet are kept on the connection.
    """

    _inherit = "xero.connection"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: runner and schedules

    runner_cron_id = fields.Many2one(
        "ir.cron",
        string="Task runner",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The scheduled action that runs this dealer's queued tasks.",
    )
    auto_fetch_payments = fields.Boolean(
        help="The scheduled action 'Xero: fetch new payments' fetches this dealer's payments.",
    )
    payments_fetched_until = fields.Datetime(
        readonly=True,
        copy=False,
        help="High-water mark of Fetch New Payments (Xero's UpdatedDateUTC).",
    )
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
    day_reserve_percent = fields.Integer(
        string="Kept for urgent tasks (%)",
        default=20,
        help="Share of the organisation's Xero calls a day (5,000) that background tasks (Send "
        "Invoice PDFs, Compare with Xero, Link Existing Xero Records) leave for urgent ones "
        "(sends, Fetch New Payments): a background task that reaches it waits for the next "
        "day. Urgent tasks may use the whole day.",
    )

    @api.constrains("day_reserve_percent")
    def _check_day_reserve_percent(self):
        for connection in self:
            if not 0 <= connection.day_reserve_percent <= 100:
                raise ValidationError(
                    _("The share of Xero's calls kept for urgent tasks is from 0 to 100%.")
                )

    def unlink(self):
        crons = self.sudo().runner_cron_id
        actions = crons.ir_actions_server_id
        result = super().unlink()
        crons.unlink()
        actions.unlink()
        return result

    def _gateway(self):
        """The gateway, as a runner's step asks for it in its context: ``xero_day_reserve``
        (calls of the day a background task leaves), ``xero_give_back`` (a throttle wait
        longer than ``GIVE_BACK_AFTER`` raises, instead of holding the cron worker, when
        another dealer's work waits for one).

        These two, with ``xero_key_salt`` (``_xero_call``) and ``xero_clock``, stay in the
        context rather than in a handler's ``Batch``: they say how every Xero call of the
        step is made, not what its batch decides, and those calls are made below the handlers,
        by plain functions of a connection (``org_index``, ``xero_reads``, ``paging``) and by
        the records' own methods as well as by the handlers and the runner; the runner sets
        them once on the step's task (``_cron_run_tasks``, ``_run_by_runner``, ``_run_step``),
        whose connection every one of those calls goes through."""
        gateway = super()._gateway()
        throttle, context = gateway.throttle, self.env.context
        if throttle and context.get("xero_day_reserve"):
            throttle.day_reserve = context["xero_day_reserve"]
        if throttle and context.get("xero_give_back"):
            company = self.company_id
            throttle.yield_after = GIVE_BACK_AFTER
            throttle.should_yield = lambda: self.env["xero.task"]._others_wait(company)
        return gateway

    def _xero_calls_left(self):
        """Calls left this minute, and for a background task's step (``xero_day_reserve``) no
        more than its day still allows above the reserve: a step sized by it (Send Invoice
        PDFs) renders no PDF it could not send today."""
        left = super()._xero_calls_left()
        reserve = self.env.context.get("xero_day_reserve")
        if reserve:
            day_left = self._xero_throttle().day_left(self.tenant_id)
            left = min(left, max(day_left - reserve, 0))
        return left

    def _xero_throttle(self):
        """The throttle of the organisation's calls (the ledger every worker shares), on the
        context's ``xero_clock`` (tests) or the real one."""
        return xero_throttle.Throttle(
            xero_throttle.PgThrottleStore(self._side_cursor),
            self.env.context.get("xero_clock") or xero_throttle.RealClock(),
        )

    def _xero_day_reserve(self):
        """Calls of the organisation's day that background tasks leave for urgent ones."""
        self.ensure_one()
        percent = min(max(self.sudo().day_reserve_percent, 0), 100)
        return math.ceil(xero_throttle.DAY_LIMIT * percent / 100)

    def _xero_trigger_runner(self, at=None):
        """Have each connection's task runner run soon, or at ``at`` (a datetime or a list).

        The one way to wake a dealer's runner: queuing a task, a rate limit's end, a webhook.
        The runner (its own ``ir.cron``) is made first when the connection has none yet.
        An archived runner (a neutralised database) is left asleep.
        """
        for connection in self:
            connection._xero_runner_cron()._trigger(at)

    def _xero_runner_cron(self):
        """The connection's runner cron, made when missing (under a lock on the connection's
        row: two transactions never make two)."""
        self.ensure_one()
        conn = self.sudo()
        if conn.runner_cron_id:
            return conn.runner_cron_id
        self.env.cr.execute(
            "SELECT runner_cron_id FROM xero_connection WHERE id = %s FOR NO KEY UPDATE",
            [conn.id],
        )
        conn.invalidate_recordset(["runner_cron_id"])
        if conn.runner_cron_id:
            return conn.runner_cron_id
        cron = (
            self.env["ir.cron"]
            .sudo()
            .create(
                {
                    "name": _("Xero: run tasks of %(company)s", company=conn.company_id.name),
                    "model_id": self.env["ir.model"]._get_id("xero.task"),
                    "state": "code",
                    "code": "model._cron_run_tasks(%d)" % conn.id,
                    "user_id": self.env.ref("base.user_root").id,
                    "interval_number": 1,
                    "interval_type": "days",
                    # Woken by triggers; the daily run and the sweeper are safety nets.
                    "nextcall": fields.Datetime.now() + timedelta(days=1),
                }
            )
        )
        self.env["ir.model.data"].sudo().create(
            {
                "module": MODULE,
                "name": "ir_cron_xero_runner_%d" % conn.id,
                "model": "ir.cron",
                "res_id": cron.id,
                "noupdate": True,
            }
        )
        conn.runner_cron_id = cron
        return cron

    # ------------------------------------------------------------------ payments' schedule

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

    def action_fetch_payments(self):
        """Fetch New Payments now for this dealer, and open the task."""
        self.ensure_one()
        task = self.env["xero.task"]._queue(self.company_id, "fetch_new_payments", run_now=True)
        return task._action_open()
