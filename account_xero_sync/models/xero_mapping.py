from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_repr, float_round

MAPPING_KINDS = [
    ("account", "Income account → Xero account code"),
    ("tax", "Tax → Xero tax type"),
    ("journal", "Payment journal → Xero bank account"),
]
# The field of a row that names its Odoo record, by kind.
KIND_TARGET = {"account": "account_id", "tax": "tax_id", "journal": "journal_id"}


class XeroMapping(models.Model):
    """How an Odoo account, tax or journal is named in the dealer's Xero organisation.

    Each row maps one Odoo record. A record without its own row blocks what uses it (an
    invoice line's income account or tax, a payment's journal) with a message naming it:
    nothing is ever sent to a guessed account, and no line is ever dropped. Only a row the
    manager ticks as *Default for unmapped* (one per kind, shown as such) takes the records of
    its kind that have no row; Load from Xero never makes one.
    """

    _name = "xero.mapping"
    _description = "Xero Mapping"
    _order = "connection_id, kind, is_default, id"
    _check_company_auto = True

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(MAPPING_KINDS, required=True)
    is_default = fields.Boolean(
        string="Default for unmapped",
        help="Ticked on purpose: every income account, tax or journal (this row's kind) "
        "without its own mapping goes to this Xero code. Unticked rows map only their own "
        "Odoo record; without a default, an unmapped one blocks the invoice or payment.",
    )
    # check_company: a dealer's row names only its own company's records (or its parent's, for a
    # branch), and offers only those in the pickers.
    account_id = fields.Many2one(
        "account.account", string="Odoo account", ondelete="cascade", check_company=True
    )
    tax_id = fields.Many2one(
        "account.tax", string="Odoo tax", ondelete="cascade", check_company=True
    )
    journal_id = fields.Many2one(
        "account.journal", string="Odoo journal", ondelete="cascade", check_company=True
    )
    xero_code_id = fields.Many2one(
        "xero.code",
        string="Pick from Xero",
        check_company=True,
        domain="[('connection_id', '=', connection_id), ('fits', '=', xero_fit)]",
    )
    xero_code = fields.Char(
        string="Xero code",
        help="Account code (e.g. 200), tax type (e.g. OUTPUT2) or bank account code (e.g. 090). "
        "A row without one is still to map: what uses its Odoo record stays blocked.",
    )
    xero_id = fields.Char(string="Xero ID", help="Xero's AccountID, for bank accounts.")
    xero_name = fields.Char(string="Name in Xero")

    _sql_constraints = [
        ("account_uniq", "unique(connection_id, kind, account_id)", "One mapping per account."),
        ("tax_uniq", "unique(connection_id, kind, tax_id)", "One mapping per tax."),
        ("journal_uniq", "unique(connection_id, kind, journal_id)", "One mapping per journal."),
    ]

    @api.constrains("kind", "is_default", "connection_id")
    def _check_one_default(self):
        for mapping in self.filtered("is_default"):
            if (
                self.search_count(
                    [
                        ("connection_id", "=", mapping.connection_id.id),
                        ("kind", "=", mapping.kind),
                        ("is_default", "=", True),
                    ]
                )
                > 1
            ):
                raise ValidationError(_("A connection has one default mapping per kind."))

    @api.onchange("xero_code_id")
    def _onchange_xero_code_id(self):
        if self.xero_code_id:
            self.xero_code = self.xero_code_id.code
            self.xero_name = self.xero_code_id.name
            self.xero_id = self.xero_code_id.xero_id

    @api.constrains("kind", "is_default", "account_id", "tax_id", "journal_id")
    def _check_kind_target(self):
        targets = {"account": "account_id", "tax": "tax_id", "journal": "journal_id"}
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for mapping in self:
            if any(mapping[f] for kind, f in targets.items() if kind != mapping.kind):
                raise ValidationError(
                    _("A %s mapping maps only that kind of record.", mapping.kind)
                )
            if mapping.is_default == bool(mapping[targets[mapping.kind]]):
                raise ValidationError(
                    _(
                        "A mapping (%(kind)s, Xero %(code)s) names its Odoo record, or is ticked "
                        '"Default for unmapped": one of the two.',
                        kind=labels[mapping.kind],
                        code=mapping.xero_code,
                    )
                )

    @api.model
    def _resolver(self, connection, kind):
        """Return ``({odoo_id: (xero_code, xero_id)}, default)`` for ``kind`` (one search)."""
        return self._maps(connection)[kind]

    @api.model
    def _maps(self, connection):
        """Every mapping of the connection, one search: ``{kind: (by_odoo_id, default)}``.

        ``default`` is the ``(xero_code, xero_id)`` of the row ticked "Default for unmapped",
        else None. Read once per batch and passed along, so the queries of a batch do not grow
        with it.
        """
        fields_by_kind = {"account": "account_id", "tax": "tax_id", "journal": "journal_id"}
        maps = {kind: ({}, None) for kind in fields_by_kind}
        # A row without a Xero code is still to map (Add the missing rows): as if absent.
        for row in self.search([("connection_id", "=", connection.id), ("xero_code", "!=", False)]):
            table, _default = maps[row.kind]
            if row.is_default:
                maps[row.kind] = (table, (row.xero_code, row.xero_id))
            elif row[fields_by_kind[row.kind]]:
                table[row[fields_by_kind[row.kind]].id] = (row.xero_code, row.xero_id)
        return maps

    @api.model
    def _rate_mismatch_text(self, tax, code, xero_rate):
        """Why mapping the Odoo ``tax`` to the Xero tax type ``code`` of ``xero_rate`` % is
        wrong (another rate), or False; False when a rate is unknown (a tax that is not a plain
        percentage, Xero's rate not read yet)."""
        if not tax or not code or xero_rate is None or tax.amount_type != "percent":
            return False
        if not float_compare(tax.amount, xero_rate, precision_digits=4):
            return False
        return self.env._(
            "Odoo tax %(odoo)s%% is mapped to Xero %(code)s at %(xero)s%%: fix the mapping.",
            odoo=_percent(tax.amount),
            code=code,
            xero=_percent(xero_rate),
        )

    @api.model
    def _rate_mismatch_block(self, move, connection, maps):
        """Why ``move`` cannot be sent because one of its taxes goes to a Xero tax type of
        another rate (``_maps`` and the rates Load from Xero read), or False."""
        taxes, default = maps["tax"]
        rates = {c.code: c.rate for c in connection.code_ids if c.kind == "tax"}
        for tax in move.invoice_line_ids.tax_ids:
            code = (taxes.get(tax.id, default) or (None,))[0]
            why = self._rate_mismatch_text(tax, code, rates.get(code))
            if why:
                return self.env._(
                    "%(name)s, tax %(tax)s: %(why)s", name=move.name, tax=tax.name, why=why
                )
        return False


def _percent(value):
    """``15``, ``12.5``: a rate as a person writes it."""
    return float_repr(float_round(value, 4), 4).rstrip("0").rstrip(".")
