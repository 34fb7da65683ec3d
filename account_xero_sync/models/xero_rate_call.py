from odoo import fields, models


class XeroRateCall(models.Model):
    """One Xero call started by any Odoo worker: the throttle's shared ledger.

    Written only by ``xero_api.throttle.PgThrottleStore`` (raw SQL, per-tenant advisory lock),
    so that every worker and server of the database counts the same calls per minute and in
    flight. Rows older than a day are deleted by the store itself.
    """

    _name = "xero.rate.call"
    _description = "Xero Call Ledger (throttle)"
    _log_access = False

    tenant_id = fields.Char(required=True, index=True)
    started_at = fields.Float(required=True)
    finished_at = fields.Float()
    remaining = fields.Integer(help="Xero's X-MinLimit-Remaining answered to this call.")
    backend_pid = fields.Integer(
        help="The PostgreSQL session that started the call: once it is gone (its worker was "
        "killed), the call no longer holds one of the organisation's in-flight slots."
    )
