"""Xero webhooks on ``xero.connection``: the delivery URL and key, the signed deliveries, and
the Fetch New Payments they queue. The events are ``xero.webhook.event``."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import datetime, timedelta, timezone

from odoo import SUPERUSER_ID, _, api, fields, models

from .xero_connection import NEEDS_A_PERSON

_logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/xero/webhook/"
FETCH_DELAY = timedelta(seconds=30)  # events of this window share one Fetch New Payments
PAYMENT_CATEGORIES = ("INVOICE", "CREDITNOTE")  # a payment or allocation changes these
MANAGERS = "account_xero_sync.group_xero_manager,base.group_system"


def xero_signature(key, raw):
    """What Xero puts in ``x-xero-signature``: base64(HMAC-SHA256(webhook key, raw body))."""
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def _utc_naive(value):
    """Xero's ``eventDateUtc`` (``2026-11-05T10:00:00.000``) as a naive UTC datetime, or None."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


class XeroConnection(models.Model):
    """Xero webhooks on the connection: payments made in Xero reach Odoo in about a minute.

    Xero sends one webhook per app, to the URL the developer portal is given, signed with the
    key the portal shows. The URL is ``<web.base.url>/xero/webhook/<webhook_token>``: the token
    is random and per connection (not the record id, which is easy to guess), so the controller
    knows at once which key to check and a stranger cannot guess a dealer's URL.
    The key is kept with the tokens (``xero.connection.token``, system only): a manager can set
    it, nobody can read it back.

    A delivery (:meth:`_xero_webhook_receive`) whose signature is right records its events; an
    INVOICE or CREDITNOTE event of a document linked in Odoo queues this dealer's Fetch New
    Payments and triggers the task runner 30 seconds later, unless such a task is already
    waiting to start: then the event joins it. Xero itself is never called from the delivery.
    """

    _inherit = "xero.connection"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: webhooks

    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        index=True,
        groups=MANAGERS,
        default=lambda self: secrets.token_urlsafe(24),
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        groups=MANAGERS,
        help="Give this URL to Xero: developer.xero.com > your app > Webhooks > Delivery URL.",
    )
    webhook_key = fields.Char(
        compute="_compute_webhook_key",
        inverse="_inverse_webhook_key",
        groups=MANAGERS,
        help="Paste the webhooks key Xero shows once the delivery URL is saved. It is never "
        "shown again: paste a new one to replace it.",
    )
    webhook_key_set = fields.Boolean(
        string="Webhook key set", compute="_compute_webhook_key", groups=MANAGERS
    )
    webhook_last_received = fields.Datetime(
        string="Last webhook", readonly=True, copy=False, help="The last correctly signed delivery."
    )
    webhook_event_count = fields.Integer(compute="_compute_webhook_event_count")

    def _compute_webhook_url(self):
        for conn in self:
            token = conn.sudo().webhook_token
            conn.webhook_url = token and conn.get_base_url().rstrip("/") + WEBHOOK_PATH + token

    def _compute_webhook_key(self):
        Token = self.env["xero.connection.token"].sudo()
        tokens = Token.search([("connection_id", "in", self.ids)])
        with_key = set(tokens.filtered("webhook_key").connection_id.ids)
        for conn in self:
            conn.webhook_key = False  # write-only
            conn.webhook_key_set = conn.id in with_key

    def _inverse_webhook_key(self):
        if not self.env.su:
            self._check_manager()
        for conn in self:
            key = (conn.webhook_key or "").strip()
            if key:  # an empty field keeps the key: "Clear webhook key" removes it
                conn._token_record().webhook_key = key

    def _compute_webhook_event_count(self):
        counts = dict(
            self.env["xero.webhook.event"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for conn in self:
            conn.webhook_event_count = counts.get(conn, 0)

    # ------------------------------------------------------------------ actions

    def action_clear_webhook_key(self):
        """Forget the webhook key: every delivery is refused (401) until a new one is set."""
        self._check_manager()
        for conn in self:
            conn._token_record().webhook_key = False
        return True

    def action_open_webhook_events(self):
        """The webhook events received for this dealer."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.webhook.event",
            "name": _("Xero Webhook Events"),
            "view_mode": "list",
            "domain": [("connection_id", "=", self.id)],
        }

    # ------------------------------------------------------------------ deliveries

    @api.model
    def _xero_webhook_receive(self, token, raw, signature):
        """Handle one delivery to ``/xero/webhook/<token>``; return the HTTP status to answer.

        401 for an unknown URL, a connection without key, a missing or wrong signature (Xero's
        intent-to-receive check sends such bodies on purpose): nothing is written, a warning is
        logged without the body or the key. 200 for a correct signature, with nothing done
        when the body was already received or is not Xero's JSON (Xero would send it again in
        vain), else its events are recorded and a fetch is queued (see the class docstring).
        """
        connection = self.sudo().browse()
        if token:
            connection = connection.search([("webhook_token", "=", token)], limit=1)
        key = connection and (
            self.env["xero.connection.token"]
            .sudo()
            .search([("connection_id", "=", connection.id)], limit=1)
            .webhook_key
        )
        if not signature:
            refused = "no signature"
        elif not key:
            refused = "no webhook key for this URL"
        elif not hmac.compare_digest(xero_signature(key, raw), signature):
            refused = "wrong signature"
        else:
            refused = None
        if refused:
            _logger.warning(
                "Xero webhook refused: %s (connection %s)", refused, connection.id or "unknown"
            )
            return 401
        try:
            events = json.loads(raw)["events"]
            if not isinstance(events, list):
                raise TypeError(events)
        except (ValueError, KeyError, TypeError):
            _logger.warning(
                "Xero webhook: a correctly signed body that is not Xero's JSON was ignored "
                "(connection %s)",
                connection.id,
            )
            return 200
        delivery = hashlib.sha256(raw).hexdigest()
        Event = self.env["xero.webhook.event"].sudo()
        if Event.search_count(
            [("connection_id", "=", connection.id), ("delivery", "=", delivery)], limit=1
        ):
            return 200  # a replay
        # Writing the connection's row serialises two deliveries of one dealer: the second
        # waits for the first to commit, then fails on the concurrent update and Odoo runs it
        # again on a fresh snapshot, where it sees what the first recorded and queued.
        connection = connection.with_user(SUPERUSER_ID).with_context(tracking_disable=True)
        connection.webhook_last_received = fields.Datetime.now()
        connection.flush_recordset(["webhook_last_received"])
        connection._xero_webhook_record(events, delivery)
        return 200

    def _xero_webhook_record(self, events, delivery):
        """Record the events of this connection's organisation and queue the fetch they need."""
        self.ensure_one()
        tenant = (self.tenant_id or "").lower()
        mine = [
            e
            for e in events
            if isinstance(e, dict) and tenant and str(e.get("tenantId") or "").lower() == tenant
        ]
        ids = {
            str(e.get("resourceId") or "")
            for e in mine
            if e.get("eventCategory") in PAYMENT_CATEGORIES and e.get("resourceId")
        }
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("xero_invoice_id", "in", list(ids | {i.lower() for i in ids})),
            ]
        )
        linked = {m.xero_invoice_id.lower(): m.id for m in moves}
        task = self._xero_webhook_fetch_task() if moves else self.env["xero.task"]
        vals_list = []
        for event in mine:
            move_id = False
            if event.get("eventCategory") in PAYMENT_CATEGORIES:
                move_id = linked.get(str(event.get("resourceId") or "").lower(), False)
            vals_list.append(
                {
                    "connection_id": self.id,
                    "category": event.get("eventCategory"),
                    "event_type": event.get("eventType"),
                    "resource_id": event.get("resourceId"),
                    "event_date": _utc_naive(event.get("eventDateUtc")),
                    "delivery": delivery,
                    "move_id": move_id,
                    "task_id": move_id and task.id,
                }
            )
        self.env["xero.webhook.event"].create(vals_list)

    def _xero_webhook_fetch_task(self):
        """This dealer's Fetch New Payments waiting to start, or a new one queued to run in
        ``FETCH_DELAY``. A fetch already started may have read Xero's payments before the one
        this event announces, so the event then gets a task of its own (once: later events
        join it). None while the connection needs re-authorisation (the fetch would fail)."""
        Task = self.env["xero.task"].with_company(self.company_id)
        domain = [
            ("company_id", "=", self.company_id.id),
            ("task_type", "=", "fetch_new_payments"),
            ("state", "=", "queued"),
            ("planned", "=", False),
        ]
        task = Task.search(domain, order="id", limit=1)
        if task or self.state in NEEDS_A_PERSON:
            return task
        task = Task.create({"company_id": self.company_id.id, "task_type": "fetch_new_payments"})
        self._xero_trigger_runner(fields.Datetime.now() + FETCH_DELAY)
        return task
