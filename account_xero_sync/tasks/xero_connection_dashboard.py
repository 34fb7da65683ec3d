"""The dealer dashboard: one card per connection the user can see, with what waits to be sent,
what was blocked at the user's last check, what is in error or differs from Xero, the fetch of
payments and the calls left today. Every count is computed for all the cards at once (one
query per kind of count, never one per card) and opens the list of exactly what it counted.
"""

import time
from collections import defaultdict

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..xero_api import throttle as xero_throttle
from .xero_task_types import TASK_TYPES

#: The dashboard's kinds of records: the to-send list's task type, the documents' move type.
KINDS = {
    "customers": ("send_new_customers", None),
    "invoices": ("send_new_invoices", "out_invoice"),
    "credit_notes": ("send_new_credit_notes", "out_refund"),
    "payments": ("send_new_payments", None),
}
DONE_STATES = ("done", "done_with_errors", "failed")


def _count_field(string):
    return fields.Integer(string=string, compute="_compute_xero_dashboard")


class XeroConnection(models.Model):
    _inherit = "xero.connection"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: the dashboard's counts and links

    dash_customers_to_send = _count_field("Customers to send")
    dash_invoices_to_send = _count_field("Invoices to send")
    dash_credit_notes_to_send = _count_field("Credit notes to send")
    dash_payments_to_send = _count_field("Payments to send")
    # Blocked at the user's last check of the to-send list against Xero; -1: not checked lately.
    dash_customers_blocked = _count_field("Customers blocked")
    dash_invoices_blocked = _count_field("Invoices blocked")
    dash_credit_notes_blocked = _count_field("Credit notes blocked")
    dash_payments_blocked = _count_field("Payments blocked")
    dash_customers_error = _count_field("Customers in error")
    dash_invoices_error = _count_field("Invoices in error")
    dash_credit_notes_error = _count_field("Credit notes in error")
    dash_payments_error = _count_field("Payments in error")
    dash_invoices_differ = _count_field("Invoices that differ from Xero")
    dash_credit_notes_differ = _count_field("Credit notes that differ from Xero")
    dash_last_fetch = fields.Datetime(
        string="Last fetch",
        compute="_compute_xero_dashboard",
        help="When the last Fetch New Payments of this dealer ended.",
    )
    dash_next_fetch = fields.Datetime(
        string="Next fetch",
        compute="_compute_xero_dashboard",
        help="When the scheduled Fetch New Payments runs next (Auto Fetch Payments on).",
    )
    dash_calls_left_today = _count_field("Xero calls left today")

    # ------------------------------------------------------------------ counts, in bulk

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_xero_dashboard(self):
        companies = self.company_id
        counts = defaultdict(int)  # (company id, field name): count
        for kind in KINDS:
            for company_id, count in self._xero_dash_to_send(kind, companies).items():
                counts[company_id, f"dash_{kind}_to_send"] = count
        for company in companies:
            for kind in KINDS:
                counts[company.id, f"dash_{kind}_blocked"] = -1
        for (company_id, kind), count in self._xero_dash_blocked(companies).items():
            counts[company_id, f"dash_{kind}_blocked"] = count
        for kind in KINDS:
            for company_id, count in self._xero_dash_errors(kind, companies).items():
                counts[company_id, f"dash_{kind}_error"] = count
        for kind in ("invoices", "credit_notes"):
            for company_id, count in self._xero_dash_counts(
                "account.move", self._xero_dash_differ_domain(kind, companies)
            ).items():
                counts[company_id, f"dash_{kind}_differ"] = count
        last_fetch = dict(
            self.env["xero.task"]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("task_type", "=", "fetch_new_payments"),
                    ("state", "in", DONE_STATES),
                ],
                ["company_id"],
                ["date_finished:max"],
            )
        )
        fetch_cron = self.env.ref(
            "account_xero_sync.ir_cron_xero_fetch_payments", raise_if_not_found=False
        )
        next_call = fetch_cron and fetch_cron.sudo().active and fetch_cron.sudo().nextcall
        used = self._xero_dash_calls_today()
        for connection in self:
            company = connection.company_id
            values = {
                name: counts[company.id, name]
                for name in self._fields
                if name.startswith("dash_") and self._fields[name].type == "integer"
            }
            values.update(
                dash_last_fetch=last_fetch.get(company, False),
                dash_next_fetch=connection.auto_fetch_payments
                and connection.tenant_id
                and next_call,
                dash_calls_left_today=max(
                    xero_throttle.DAY_LIMIT - used.get(connection.tenant_id, 0), 0
                )
                if connection.tenant_id
                else 0,
            )
            connection.update(values)

    @api.model
    def _xero_dash_counts(self, model, domain):
        """``{company id: count}`` of ``model`` records in ``domain``: one query."""
        return {
            company.id: count
            for company, count in self.env[model]._read_group(domain, ["company_id"], ["__count"])
        }

    def _xero_dash_to_send(self, kind, companies):
        """``{company id: count}`` of what each dealer's to-send list of ``kind`` lists (what
        its task would plan): the task's own candidates domain, one per dealer, OR-ed into
        one count."""
        if kind == "customers":
            customers = self.env["xero.handler.customers"]
            found = customers._candidates_of_dealers(companies, unlinked=True)
            return {company_id: len(ids) for company_id, ids in found.items()}
        handler = self.env[TASK_TYPES[KINDS[kind][0]].handler]
        domains = [handler._candidates_domain(c) for c in self._xero_dash_connections(companies)]
        model = "account.partial.reconcile" if kind == "payments" else "account.move"
        domain = expression.OR(domains) if domains else expression.FALSE_DOMAIN
        return self._xero_dash_counts(model, domain)

    def _xero_dash_connections(self, companies):
        return self.search([("company_id", "in", companies.ids)])

    def _xero_dash_blocked(self, companies):
        """``{(company id, kind): blocked}`` at the user's last check of each to-send list of
        each dealer against Xero (the lists keep their checks a while: transient records)."""
        types = {task_type: kind for kind, (task_type, _move) in KINDS.items()}
        Wizard = self.env["xero.bulk.task.wizard"]
        last = Wizard._read_group(
            [
                ("company_id", "in", companies.ids),
                ("task_type", "in", list(types)),
                ("create_uid", "=", self.env.uid),
                ("previewed", "=", True),
                ("connection_error", "=", False),
                ("checked_at", "!=", False),
            ],
            ["company_id", "task_type"],
            ["id:max"],
        )
        wizards = {
            wizard_id: (company.id, types[task_type]) for company, task_type, wizard_id in last
        }
        result = dict.fromkeys(wizards.values(), 0)
        blocked = self.env["xero.bulk.task.wizard.line"]._read_group(
            [("wizard_id", "in", list(wizards)), ("action", "=", "blocked")],
            ["wizard_id"],
            ["__count"],
        )
        for wizard, count in blocked:
            result[wizards[wizard.id]] = count
        return result

    def _xero_dash_errors(self, kind, companies):
        """``{company id: count}`` of the dealers' records of ``kind`` in error (what the
        *Xero error* filters find)."""
        if kind == "customers":
            return {
                cid: len(ids) for cid, ids in self._xero_dash_customer_errors(companies).items()
            }
        if kind == "payments":
            return self._xero_dash_counts(
                "account.payment",
                [("company_id", "in", companies.ids), ("xero_state", "=", "error")],
            )
        return self._xero_dash_counts("account.move", self._xero_dash_error_domain(kind, companies))

    @api.model
    def _xero_dash_error_domain(self, kind, companies):
        return [
            ("company_id", "in", companies.ids),
            ("move_type", "=", KINDS[kind][1]),
            "|",
            ("xero_last_error", "!=", False),
            ("xero_sync_state", "=", "missing"),
        ]

    @api.model
    def _xero_dash_differ_domain(self, kind, companies):
        return [
            ("company_id", "in", companies.ids),
            ("move_type", "=", KINDS[kind][1]),
            ("xero_attention", "!=", False),
        ]

    def _xero_dash_customer_errors(self, companies):
        """``{company id: partner ids}`` whose last Xero error for that dealer is set (a value
        per company): one query for all dealers."""
        if not companies:
            return {}
        rows = self.env.execute_query(
            SQL(
                "SELECT p.id, e.key FROM res_partner p, jsonb_each_text(p.xero_last_error) e "
                "WHERE p.xero_last_error IS NOT NULL AND e.key = ANY(%s) "
                "AND COALESCE(e.value, '') != ''",
                [str(cid) for cid in companies.ids],
            )
        )
        ids = self.env["res.partner"].search([("id", "in", [pid for pid, _key in rows])]).ids
        result = defaultdict(set)
        for pid, key in rows:
            if pid in ids:
                result[int(key)].add(pid)
        return result

    def _xero_dash_calls_today(self):
        """``{tenant id: calls started today}`` from the throttle's ledger (the day as the
        throttle counts it: from UTC midnight), one query for all dealers."""
        tenants = [t for t in self.sudo().mapped("tenant_id") if t]
        if not tenants:
            return {}
        clock = self.env.context.get("xero_clock")
        now = clock.time() if clock else time.time()
        rows = self.env.execute_query(
            SQL(
                "SELECT tenant_id, count(*) FROM xero_rate_call WHERE tenant_id = ANY(%s) "
                "AND started_at >= %s AND backend_pid IS NOT NULL GROUP BY tenant_id",
                tenants,
                xero_throttle.day_start(now),
            )
        )
        return dict(rows)

    # ------------------------------------------------------------------ each count's list

    def _xero_dash_titles(self):
        _ = self.env._
        return {
            "customers": _("Customers to Send"),
            "invoices": _("Invoices to Send"),
            "credit_notes": _("Credit Notes to Send"),
            "payments": _("Payments to Send"),
        }

    def action_xero_dashboard_open(self):
        """Open what a card's count counted: context ``xero_kind`` (customers, invoices,
        credit_notes, payments) and ``xero_count`` (to_send, blocked, error, differ)."""
        self.ensure_one()
        kind = self.env.context.get("xero_kind")
        what = self.env.context.get("xero_count")
        if kind not in KINDS or what not in ("to_send", "blocked", "error", "differ"):
            return False
        company = self.company_id
        if what in ("to_send", "blocked"):
            action = (
                self.env["xero.bulk.task.wizard"]
                .with_company(company)
                ._action_to_send(KINDS[kind][0], self._xero_dash_titles()[kind])
            )
            context = dict(action.get("context") or {})
            context.pop("search_default_to_send", None)
            if what == "blocked":
                context["search_default_blocked"] = 1
            action["context"] = context
            return action
        return self._xero_dash_records_action(kind, what)

    def _xero_dash_records_action(self, kind, what):
        """The customers, documents or payments of this dealer in error, or differing from
        Xero: exactly what the card counted."""
        _ = self.env._
        company = self.company_id
        if kind == "customers":
            ids = list(self._xero_dash_customer_errors(company).get(company.id, ()))
            xmlid, domain = "account.res_partner_action_customer", [("id", "in", ids)]
            name = _("Customers in error · %s", company.name)
            context = {}
        elif kind == "payments":
            xmlid = "account.action_account_payments"
            domain = [("company_id", "=", company.id), ("xero_state", "=", "error")]
            name = _("Payments in error · %s", company.name)
            context = {"default_payment_type": "inbound", "default_partner_type": "customer"}
        else:
            xmlid = (
                "account.action_move_out_invoice_type"
                if kind == "invoices"
                else "account.action_move_out_refund_type"
            )
            make = (
                self._xero_dash_error_domain if what == "error" else self._xero_dash_differ_domain
            )
            domain = make(kind, company)
            names = {
                ("invoices", "error"): _("Invoices in error · %s", company.name),
                ("invoices", "differ"): _("Invoices that differ from Xero · %s", company.name),
                ("credit_notes", "error"): _("Credit notes in error · %s", company.name),
                ("credit_notes", "differ"): _(
                    "Credit notes that differ from Xero · %s", company.name
                ),
            }
            name = names[kind, what]
            context = {"default_move_type": KINDS[kind][1]}
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(
            name=name,
            domain=domain,
            context=context,
            target="current",
        )
        return action

    def action_xero_dashboard_connection(self):
        """The connection's form: where a dealer that is not connected is connected again."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.connection",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_xero_dashboard_mappings(self):
        """The dealer's mappings: where what is unmapped gets mapped."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_xero_sync.action_xero_mapping"
        )
        action.update(
            domain=[("connection_id", "=", self.id)],
            context={"default_connection_id": self.id},
            name=self.env._("Mappings · %s", self.company_id.name),
        )
        return action
