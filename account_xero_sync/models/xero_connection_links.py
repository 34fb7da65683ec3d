from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# res.partner's Xero fields are company-dependent (one jsonb column, a key per company).
PARTNER_FIELDS = (
    "xero_contact_id",
    "xero_contact_name",
    "xero_last_sync",
    "xero_last_error",
    "xero_payload_hash",
    "xero_candidate_id",
    "xero_candidate_name",
)


class XeroConnection(models.Model):
    """Links that cannot rot: one organisation per dealer, never re-pointed under its links.

    The dealer's records linked to Xero (customers, invoices and credit notes, payments) hold
    ids of ONE organisation. Pointing the connection at another one (tenant picker, OAuth
    callback, a write) while such links exist would send updates, payments and voids to ids
    the new organisation does not have, or to the wrong records: refused. *Unlink all records
    of this dealer* (Xero Managers, confirmed) clears every link first; the next sends then
    match and create in the new organisation. Two dealers never share an organisation.
    """

    _inherit = "xero.connection"

    @api.constrains("tenant_id")
    def _check_one_dealer_per_organisation(self):
        for conn in self.filtered("tenant_id"):
            other = self.sudo().search(
                [("tenant_id", "=", conn.tenant_id), ("id", "!=", conn.id)], limit=1
            )
            if other:
                raise ValidationError(
                    _(
                        "Xero organisation %(org)s is already connected to %(company)s: an "
                        "organisation belongs to one dealer. Connect %(mine)s to its own "
                        "organisation.",
                        org=conn.tenant_name or conn.tenant_id,
                        company=other.company_id.name,
                        mine=conn.company_id.name,
                    )
                )

    # ------------------------------------------------------------------ links

    def _xero_link_counts(self):
        """``[(label, count)]`` of the dealer's records linked to its organisation."""
        self.ensure_one()
        company = self.company_id
        env = self.env(su=True, context=dict(self.env.context, active_test=False))
        return [
            (label, count)
            for label, count in (
                (
                    _("customers"),
                    env["res.partner"]
                    .with_company(company)
                    .search_count([("xero_contact_id", "!=", False)]),
                ),
                (
                    _("invoices and credit notes"),
                    env["account.move"].search_count(
                        [("company_id", "=", company.id), ("xero_invoice_id", "!=", False)]
                    ),
                ),
                (
                    _("payments"),
                    env["account.partial.reconcile"].search_count(
                        [
                            ("company_id", "=", company.id),
                            "|",
                            ("xero_payment_id", "!=", False),
                            ("xero_pending_payment_id", "!=", False),
                        ]
                    ),
                ),
                (
                    _("deletions still to make in Xero"),
                    env["account.payment"].search_count(
                        [("company_id", "=", company.id), ("xero_removed_payments", "!=", False)]
                    )
                    + env["account.move"].search_count(
                        [
                            ("company_id", "=", company.id),
                            ("xero_removed_allocations", "!=", False),
                        ]
                    ),
                ),
            )
            if count
        ]

    def _check_no_links(self):
        """Raise when the dealer has records linked to its organisation."""
        self.ensure_one()
        counts = self._xero_link_counts()
        if counts:
            raise UserError(
                _(
                    "%(company)s has records linked to Xero organisation %(org)s (%(what)s): the "
                    "connection cannot be pointed to another organisation. A Xero Manager can "
                    'first use "Unlink all records of this dealer" on the connection; they are '
                    "then matched or created again in the new organisation.",
                    company=self.company_id.name,
                    org=self.tenant_name or self.tenant_id,
                    what=", ".join("%s %s" % (count, label) for label, count in counts),
                )
            )

    def _xero_link_columns(self):
        """``{model: {field: value once unlinked}}``: every link to the organisation, for the
        bulk clearing of :meth:`action_xero_unlink_all` (res.partner's company-dependent
        fields apart). A module adding links extends it."""
        return {
            "account.move": {
                "xero_invoice_id": None,
                "xero_sync_state": "not_sent",
                "xero_last_sync": None,
                "xero_last_error": None,
                "xero_pdf_name": None,
                "xero_pdf_checksum": None,
                "xero_pdf_date": None,
                "xero_removed_allocations": None,
            },
            "account.move.line": {"xero_line_item_id": None},
            "account.partial.reconcile": {
                "xero_payment_id": None,
                "xero_pending_action": None,
                "xero_pending_payment_id": None,
                "xero_writeoff_payment_id": None,
                "xero_pending_writeoff_id": None,
                "xero_amount": None,
                "xero_date": None,
                "xero_account_code": None,
                "xero_last_sync": None,
                "xero_last_error": None,
            },
            "account.payment": {"xero_removed_payments": None, "xero_import_id": None},
        }

    def action_xero_unlink_all(self):
        """Unlink all records of this dealer: forget every link to its Xero organisation.

        In bulk, in SQL (thousands of records; the links are plain columns, and the partners'
        per-company key of their company-dependent columns). Nothing is written to Xero. The
        chatter says what was cleared. Refused while a task of the dealer is queued or running.
        """
        self.ensure_one()
        self._check_manager()
        self.check_access("write")
        busy = (
            self.env["xero.task"]
            .sudo()
            .search_count(
                [("company_id", "=", self.company_id.id), ("state", "in", ("queued", "running"))]
            )
        )
        if busy:
            raise UserError(
                _("%s has Xero tasks queued or running: cancel them first.", self.company_id.name)
            )
        counts = self._xero_link_counts()
        self.env.flush_all()
        key = str(self.company_id.id)
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE res_partner SET %s WHERE %s",
                SQL(", ").join(
                    SQL("%s = %s - %s::text", SQL.identifier(f), SQL.identifier(f), key)
                    for f in PARTNER_FIELDS
                ),
                SQL(" OR ").join(
                    SQL("%s ? %s::text", SQL.identifier(f), key) for f in PARTNER_FIELDS
                ),
            )
        )
        self.env["res.partner"].invalidate_model(list(PARTNER_FIELDS))
        for model, values in self._xero_link_columns().items():
            Model = self.env[model]
            cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE company_id = %s AND (%s)",
                    SQL.identifier(Model._table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(f), value) for f, value in values.items()
                    ),
                    self.company_id.id,
                    SQL(" OR ").join(
                        SQL("%s IS DISTINCT FROM %s", SQL.identifier(f), value)
                        for f, value in values.items()
                    ),
                )
            )
            Model.invalidate_model(list(values))
        self.write(
            {
                "payments_fetched_until": False,
                "payments_fetch_retry_ids": False,
                "payments_fetch_error": False,
            }
        )
        cleared = ", ".join("%s %s" % (count, label) for label, count in counts) or _("nothing")
        self.message_post(
            body=_(
                "All records of %(company)s unlinked from Xero organisation %(org)s: %(what)s. "
                "Nothing was changed in Xero; the mappings are kept (check them against the "
                "next organisation).",
                company=self.company_id.name,
                org=self.tenant_name or self.tenant_id or "-",
                what=cleared,
            )
        )
        return self._notify(_("Unlinked from Xero"), cleared, "success")
