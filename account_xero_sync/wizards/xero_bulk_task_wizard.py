import hashlib
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tasks.xero_task_types import BULK_TYPES, TASK_TYPES
from ..xero_api import errors as xero_errors

PREVIEW_ACTIONS = [
    ("create", "Create in Xero"),
    ("update", "Update in Xero"),
    ("attach", "Attach the PDF in Xero"),
    ("link", "Link to existing"),
    ("skip", "Nothing to send"),
    ("blocked", "Blocked"),
    ("waiting", "Waiting for allocation"),
    # What the tasks that read Xero would do (Link Existing, Compare, Fetch New Payments).
    ("not_in_xero", "Not in Xero"),
    ("differs", "Differs from Xero"),
    ("import", "Import from Xero"),
    ("reverse", "Reverse in Odoo"),
    ("not_imported", "Not imported"),
]
RUN_NOW_LIMIT = 50  # "Run now" is for small tasks: one batch, answered while the user waits
# A preview checked against Xero this recently is shown again, unless "Check again" is asked
# for or the records it covers changed in Odoo: opening a list costs a dealer's Xero budget.
CHECK_TTL = timedelta(minutes=5)
PREVIEW_FIELDS = [
    "res_model",
    "res_id",
    "name",
    "partner_id",
    "action",
    "action_sort",
    "reason",
    "xero_id",
    "currency_id",
    "amount_total",
    "amount_allocated",
    "invoice_id",
]


class XeroBulkTaskWizard(models.TransientModel):
    """Action > Add bulk task: pick the dealer and the task, see what it will do, queue it."""

    _name = "xero.bulk.task.wizard"
    _description = "Add a Xero bulk task"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        string="Dealer",
        required=True,
        # allowed_company_ids: the web client's active companies; the dealers among them.
        domain="[('id', 'in', allowed_company_ids), ('xero_connection_ids', '!=', False)]",
        default=lambda self: self._default_company(),
    )
    task_type = fields.Selection(
        [(code, TASK_TYPES[code].label) for code in BULK_TYPES],
        required=True,
        default="send_new_customers",
    )
    line_ids = fields.One2many("xero.bulk.task.wizard.line", "wizard_id", string="Preview")
    previewed = fields.Boolean()
    preview_summary = fields.Char(readonly=True)
    preview_note = fields.Text(
        readonly=True,
        help="What the run reports besides its lines (e.g. what only Xero has), and what the "
        "preview did not read.",
    )
    connection_id = fields.Many2one("xero.connection", readonly=True, check_company=True)
    connection_error = fields.Text(
        readonly=True, help="Why the preview could not be checked against Xero, and what fixes it."
    )
    checked_at = fields.Datetime(string="Checked against Xero at", readonly=True)
    checked_label = fields.Char(compute="_compute_checked_label")
    check_signature = fields.Char(
        readonly=True, help="The records the preview covers as Odoo had them (ids, last change)."
    )

    @api.model
    def _connected_companies(self):
        return self.env["xero.connection"].search([]).company_id & self.env.companies

    def _default_company(self):
        companies = self._connected_companies()
        return self.env.company if self.env.company in companies else companies[:1]

    @api.depends("checked_at")
    def _compute_checked_label(self):
        for wizard in self:
            wizard.checked_label = wizard._checked_text()

    def _checked_text(self):
        if not self.checked_at:
            return False
        moment = fields.Datetime.context_timestamp(self, self.checked_at)
        return _("checked against Xero at %s", moment.strftime("%H:%M"))

    @api.onchange("company_id", "task_type")
    def _onchange_reset_preview(self):
        self.line_ids = [fields.Command.clear()]
        self.previewed = False
        self.preview_summary = False
        self.preview_note = False
        self.connection_error = False
        self.checked_at = False

    def action_preview(self):
        """Fill the preview: what the task would send, link, or leave blocked, and why (as
        last checked against Xero in the past few minutes, else checked now)."""
        self.ensure_one()
        self._fill_preview()
        return self._reopen()

    def action_check_again(self):
        """Check the preview against Xero now, whatever was checked a moment ago."""
        self.ensure_one()
        self._fill_preview(force=True)
        return self._reopen()

    def action_open_connection(self):
        """Open the dealer's Xero connection (where a Xero Manager fixes what is wrong)."""
        self.ensure_one()
        connection = self.connection_id or self.env["xero.connection"]._for_company(self.company_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.connection",
            "res_id": connection.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_queue(self):
        """Queue the task; the background runner starts it soon."""
        self.ensure_one()
        task = self.env["xero.task"]._queue(self.company_id, self.task_type)
        return task._action_open()

    def action_run_now(self):
        """Run the task now, while the user waits (small tasks only)."""
        self.ensure_one()
        if not self.previewed:
            self._fill_preview()
        if self.connection_error:
            raise UserError(self.connection_error)
        if len(self.line_ids) > RUN_NOW_LIMIT:
            raise UserError(
                _(
                    "This task has %(n)s records: queue it instead, it runs in the background.",
                    n=len(self.line_ids),
                )
            )
        task = self.env["xero.task"]._queue(
            self.company_id, self.task_type, run_now=True, can_wait=False
        )
        return task._action_open()

    def _fill_preview(self, force=False):
        """What the task would do, checked against Xero, or a preview of the same records
        checked in the last few minutes (``CHECK_TTL``; ``force``: check now). A Xero failure
        (credentials, grant, organisation unreachable, rate limit) is kept on the wizard as a
        banner naming the dealer's connection and the fix, never raised."""
        connection = self.env["xero.connection"]._for_company(self.company_id)
        task_type = TASK_TYPES[self.task_type]
        # The preview reads Odoo with the user's own rights (records the user may not read are
        # not shown); only the runner works with the system's.
        handler = self.env[task_type.handler].with_company(self.company_id)
        self._check_preview_access(handler, task_type)
        signature = self._signature(handler, connection, task_type.mode)
        recent = not force and self._recent_check(signature)
        vals = {
            "connection_id": connection.id,
            "check_signature": signature,
            "connection_error": False,
            "previewed": True,
        }
        if recent:
            commands = [fields.Command.create(data) for data in recent.line_ids._preview_data()]
            vals.update(checked_at=recent.checked_at, preview_note=recent.preview_note)
        else:
            commands = self._check_now(handler, connection, task_type, vals)
        # The wizard's own transient rows are replaced whole: their access is the wizard's
        # (its dealer's record rule), whatever the user's rights on deleting preview rows.
        self.line_ids.sudo().unlink()
        self.line_ids = commands
        self.write(vals)
        counts = {}
        for line in self.line_ids:
            counts[line.action] = counts.get(line.action, 0) + 1
        labels = dict(PREVIEW_ACTIONS)
        self.preview_summary = ", ".join(
            f"{labels[a]}: {n}" for a, n in sorted(counts.items())
        ) or (
            _("Could not be checked against Xero.")
            if self.connection_error
            else _("Nothing to do.")
            if self.preview_note
            else _("Nothing to send.")
        )

    @api.model
    def _check_preview_access(self, handler, task_type):
        """Refuse a preview of records the user may not read."""
        records = self.env[handler._records]
        if not records.has_access("read"):
            raise AccessError(
                _(
                    "You may not read %(what)s, so you cannot preview %(task)s: an accountant "
                    "can, or a Xero Manager can queue the task without a preview.",
                    what=records._description,
                    task=task_type.label,
                )
            )

    @api.model
    def _check_now(self, handler, connection, task_type, vals):
        """The preview's lines checked against Xero now; a Xero failure goes in ``vals`` (the
        banner), and ``checked_at`` only when Xero could be reached."""
        model = handler._records
        Line = self.env["xero.bulk.task.wizard.line"]
        # A check reads Xero now: what this process keeps of the organisation (contacts,
        # documents by number) is brought up to date first.
        try:
            rows, vals["preview_note"] = handler._preview_bulk(
                connection, task_type.mode, fresh=True
            )
        except (xero_errors.XeroError, UserError) as exc:
            rows, vals["preview_note"] = [], False
            vals["connection_error"] = connection._xero_problem(exc)
        # Not checked when Xero could not be reached: no "checked against Xero at" then.
        vals["checked_at"] = not vals.get("connection_error") and fields.Datetime.now()
        return [fields.Command.create(Line._from_preview(model, row)) for row in rows]

    @api.model
    def _signature(self, handler, connection, mode):
        """The records a preview covers (the handler's ``_preview_scope``) as Odoo has them
        now, and what its decisions read besides: a preview checked for other records (one
        posted or changed since), or before a change of what decides for them (their
        customers or documents, the dealer's mappings, Xero codes, taxes or connection, a task
        of the dealer that ended since), is checked again. Read from the rows themselves (a
        link written by ``write_xero_columns`` is in its row): nothing is written to keep it,
        so no worker waits on another for it."""
        self.env.flush_all()
        scope = handler._preview_scope(connection, mode)
        stamp = self._dealer_stamp(connection)
        for records in scope:
            stamp += self._related_stamp(records)
        stamp = hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]
        return "%s:%s" % (":".join(self._records_stamp(records) for records in scope), stamp)

    @api.model
    def _records_stamp(self, records):
        """``records`` as Odoo has them now: how many, which, their last change."""
        if not records:
            return "-"
        self.env.cr.execute(
            SQL(
                "SELECT MAX(write_date) FROM %s WHERE id = ANY(%s)",
                SQL.identifier(records._table),
                records.ids,
            )
        )
        changed = self.env.cr.fetchone()[0]
        ids = hashlib.sha256(",".join(map(str, records.ids)).encode()).hexdigest()[:16]
        return "%s:%s:%s" % (len(records), ids, changed)

    @api.model
    def _dealer_stamp(self, connection):
        """What changes when the dealer's connection is written, a mapping or a Xero code is
        created, written or deleted, a tax of the dealer changes, or a task of the dealer ends.
        The rows' contents, not their write dates: those are the time their transaction began,
        the same for every change of one transaction."""
        self.env.cr.execute(
            SQL(
                """SELECT md5(c::text),
                    (SELECT md5(string_agg(m::text, ',' ORDER BY m.id))
                       FROM xero_mapping m WHERE m.connection_id = c.id),
                    (SELECT md5(string_agg(x::text, ',' ORDER BY x.id))
                       FROM xero_code x WHERE x.connection_id = c.id),
                    (SELECT md5(string_agg(t::text, ',' ORDER BY t.id))
                       FROM account_tax t WHERE t.company_id = c.company_id),
                    (SELECT ARRAY[COUNT(*)::text, MAX(id)::text, MAX(date_finished)::text]
                       FROM xero_task
                      WHERE company_id = c.company_id AND date_finished IS NOT NULL)
                   FROM xero_connection c WHERE c.id = %s""",
                connection.id,
            )
        )
        return tuple(map(str, self.env.cr.fetchone() or ()))

    @api.model
    def _related_stamp(self, records):
        """The contents of the records the decisions about ``records`` read besides them: a
        document's customer (its link to Xero, name, e-mail...); an allocation's documents
        (their links), their payments and customers."""
        if not records or records._name not in ("account.move", "account.partial.reconcile"):
            return ()
        if records._name == "account.move":
            moves = SQL("SELECT id FROM account_move WHERE id = ANY(%s)", records.ids)
        else:
            moves = SQL(
                """SELECT l.move_id FROM account_move_line l
                    JOIN account_partial_reconcile r
                      ON l.id = r.debit_move_id OR l.id = r.credit_move_id
                   WHERE r.id = ANY(%s)""",
                records.ids,
            )
        documents = SQL("")
        if records._name == "account.partial.reconcile":
            documents = SQL(
                """,
                (SELECT md5(string_agg(m::text, ',' ORDER BY m.id)) FROM account_move m
                  WHERE m.id IN (SELECT * FROM moves)),
                (SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) FROM account_payment p
                  WHERE p.move_id IN (SELECT * FROM moves))"""
            )
        self.env.cr.execute(
            SQL(
                """WITH moves AS (%s)
                SELECT (SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) FROM res_partner p
                         WHERE p.id IN (SELECT m.partner_id FROM account_move m
                                         WHERE m.id IN (SELECT * FROM moves)
                                        UNION
                                        SELECT m.commercial_partner_id FROM account_move m
                                         WHERE m.id IN (SELECT * FROM moves)))%s""",
                moves,
                documents,
            )
        )
        return tuple(map(str, self.env.cr.fetchone()))

    def _recent_check(self, signature):
        """This user's preview of the same dealer, task and records checked against Xero in
        the last ``CHECK_TTL``, without a connection failure; or an empty recordset."""
        return self.search(
            [
                ("id", "!=", self.id),
                ("create_uid", "=", self.env.uid),
                ("company_id", "=", self.company_id.id),
                ("task_type", "=", self.task_type),
                ("previewed", "=", True),
                ("connection_error", "=", False),
                ("check_signature", "=", signature),
                ("checked_at", ">=", fields.Datetime.now() - CHECK_TTL),
            ],
            order="checked_at desc, id desc",
            limit=1,
        )

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Add bulk task"),
        }

    @api.model
    def _action_to_send(self, task_type, name, force=False):
        """Open a "to send" list (Customers / Invoices / Payments to Send) of the current dealer.

        Its title says when it was checked against Xero; a broken connection opens the list
        empty with a banner naming the connection, what is wrong and a link to fix it.
        ``force``: check against Xero now ("Check again").
        """
        company = self.env.company
        wizard = self.create({"company_id": company.id, "task_type": task_type})
        wizard._fill_preview(force=force)
        title = _("%(name)s · %(dealer)s", name=name, dealer=company.name)
        if wizard.checked_at and not wizard.connection_error:
            title = "%s · %s" % (title, wizard._checked_text())
        context = {"xero_to_send": [task_type, name]}
        if task_type == "send_new_payments":
            context["search_default_to_send"] = 1
        return {
            "type": "ir.actions.act_window",
            "res_model": "xero.bulk.task.wizard.line",
            "name": title,
            "view_mode": "list",
            "domain": [("wizard_id", "=", wizard.id)],
            "views": [(self.env.ref("account_xero_sync.xero_to_send_line_list").id, "list")],
            "search_view_id": self.env.ref("account_xero_sync.xero_to_send_line_search").id,
            "context": context,
            "help": wizard._banner_html(),
        }

    def _banner_html(self):
        """The list's empty-state text: the connection's failure and a link to fix it, or
        that nothing waits to be sent."""
        if not self.connection_error:
            return Markup("<p>%s</p><p>%s</p>") % (_("Nothing to send."), self._checked_text())
        url = "/odoo/action-account_xero_sync.action_xero_connection/%s" % self.connection_id.id
        return Markup(
            '<div class="alert alert-danger o_xero_connection_banner" role="alert">'
            '<p>%s</p><p><a href="%s">%s</a></p></div>'
        ) % (escape(self.connection_error), url, _("Open the Xero connection"))


class XeroBulkTaskWizardLine(models.TransientModel):
    """One row of a preview / "to send" list."""

    _name = "xero.bulk.task.wizard.line"
    _description = "Xero task preview line"
    _order = "action_sort, id"

    wizard_id = fields.Many2one("xero.bulk.task.wizard", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    name = fields.Char(string="Record")
    record_ref = fields.Reference(
        selection="_selection_record_ref", compute="_compute_record_ref", string="Odoo record"
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    action = fields.Selection(PREVIEW_ACTIONS, string="What will happen", required=True)
    action_sort = fields.Integer()
    reason = fields.Char(string="Why")
    xero_id = fields.Char(string="Xero ID")
    currency_id = fields.Many2one("res.currency")
    amount_total = fields.Monetary(string="Total")
    amount_allocated = fields.Monetary(string="Allocated")
    invoice_id = fields.Many2one("account.move", string="Invoice")

    @api.model
    def _selection_record_ref(self):
        return self.env["xero.task.line"]._selection_record_ref()

    def _preview_data(self):
        """These rows' values, for another wizard's preview."""
        rows = self.read(PREVIEW_FIELDS, load=False)
        for row in rows:
            del row["id"]
        return rows

    def action_check_again(self):
        """The to-send list's "Check again": the list checked against Xero now."""
        task_type, name = self.env.context.get("xero_to_send") or [None, None]
        if not task_type and self:
            task_type, name = self[0].wizard_id.task_type, self[0].wizard_id.display_name
        if not task_type:
            raise UserError(_("Open the list from the Xero menu, then check it again."))
        action = self.env["xero.bulk.task.wizard"]._action_to_send(task_type, name, force=True)
        # In place of the list checked before (the lists open from the menu): no breadcrumb
        # back to an older check.
        action["target"] = "main"
        return action

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for line in self:
            line.record_ref = f"{line.res_model},{line.res_id}"

    @api.model
    def _from_preview(self, model, row):
        order = [a for a, _l in PREVIEW_ACTIONS]
        vals = {"res_model": row.get("res_model", model), "action_sort": order.index(row["action"])}
        for key in PREVIEW_FIELDS:  # the row's other columns, as the preview gives them
            if key not in vals and row.get(key) is not None:
                vals[key] = row[key]
        return vals
