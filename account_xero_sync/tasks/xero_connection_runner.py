from datetime import timedelta

from odoo import fields, models

MODULE = "account_xero_sync"


class XeroConnection(models.Model):
    """Each dealer's own task runner: one ``ir.cron`` per connection.

    Odoo runs one cron record in one worker at a time, and a worker takes any cron that is
    ready (``FOR NO KEY UPDATE SKIP LOCKED``): with a cron per dealer, two cron workers (or two
    Odoo servers on one database) run two dealers' tasks side by side, while each dealer's
    batches stay serial (its cron, plus the runner's row and advisory locks). The cron is made
    with the connection, or on demand for a connection made before this version; it carries an
    external id (``noupdate``) so that uninstalling and neutralising treat it as the module's.
    """

    _inherit = "xero.connection"

    runner_cron_id = fields.Many2one(
        "ir.cron",
        string="Task runner",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The scheduled action that runs this dealer's queued tasks.",
    )

    def unlink(self):
        crons = self.sudo().runner_cron_id
        actions = crons.ir_actions_server_id
        result = super().unlink()
        crons.unlink()
        actions.unlink()
        return result

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
                    "name": "Xero: run tasks of %s" % conn.company_id.name,
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
