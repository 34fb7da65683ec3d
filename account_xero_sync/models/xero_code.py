from odoo import api, fields, models

# What a row of each Odoo record may pick (``xero.mapping.xero_fit``): the codes' kind, and
# the uses that fit it (a code read before its use was kept, ``use`` empty, fits them all
# until the next Load from Xero).
FITS = {
    "revenue": ("account", ("revenue",)),
    "expense": ("account", ("expense",)),
    "account": ("account", None),
    "sale": ("tax", ("sale", "sale_purchase")),
    "purchase": ("tax", ("purchase", "sale_purchase")),
    "tax": ("tax", None),
    "bank": ("bank", None),
}


class XeroCode(models.Model):
    """An account or tax rate of the dealer's Xero organisation, read by "Load from Xero".

    Mappings pick from these, so a manager chooses among the organisation's real values, and
    only those that fit the Odoo record (``fits``): a revenue account for an income account, a
    rate Xero applies to revenue for a sales tax, a bank account for a journal.
    """

    _name = "xero.code"
    _description = "Xero Account or Tax Rate"
    _order = "kind, code"
    _rec_names_search = ["code", "name"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("account", "Account"), ("tax", "Tax rate"), ("bank", "Bank account")], required=True
    )
    code = fields.Char(required=True)
    name = fields.Char(required=True)
    xero_id = fields.Char(string="Xero ID")
    rate = fields.Float(help="Effective rate of a tax rate, in percent.")
    use = fields.Selection(
        [
            ("revenue", "Revenue account"),
            ("expense", "Expense account"),
            ("other", "Other account"),
            ("sale", "Sales rate"),
            ("purchase", "Purchases rate"),
            ("sale_purchase", "Sales and purchases rate"),
            ("none", "Neither sales nor purchases"),
        ],
        help="What Xero says the code is for: an account's class, the documents a tax rate "
        "applies to.",
    )
    fits = fields.Char(
        compute="_compute_fits",
        search="_search_fits",
        help="Search only: the codes that fit an Odoo record (revenue, expense, account, "
        "sale, purchase, tax, bank).",
    )

    _sql_constraints = [
        ("code_uniq", "unique(connection_id, kind, code)", "A code is listed once per kind."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for code in self:
            code.display_name = f"{code.code} {code.name}"

    def _compute_fits(self):
        self.fits = False

    def _search_fits(self, operator, value):
        if operator != "=" or value not in FITS:
            return []
        kind, uses = FITS[value]
        if uses is None:
            return [("kind", "=", kind)]
        return [("kind", "=", kind), ("use", "in", [*uses, False])]

    @api.model
    def _account_use(self, account):
        """The ``use`` of a Xero account (its ``Class``)."""
        return {"REVENUE": "revenue", "EXPENSE": "expense"}.get(account.get("Class"), "other")

    @api.model
    def _tax_use(self, rate):
        """The ``use`` of a Xero tax rate (``CanApplyToRevenue``/``CanApplyToExpenses``; when
        Xero does not say, its report type: OUTPUT is for sales, INPUT for purchases)."""
        if "CanApplyToRevenue" in rate or "CanApplyToExpenses" in rate:
            sale, purchase = rate.get("CanApplyToRevenue"), rate.get("CanApplyToExpenses")
        else:
            report = (rate.get("ReportTaxType") or rate.get("TaxType") or "").upper()
            sale, purchase = "OUTPUT" in report, "INPUT" in report
        return {
            (True, True): "sale_purchase",
            (True, False): "sale",
            (False, True): "purchase",
        }.get((bool(sale), bool(purchase)), "none")
