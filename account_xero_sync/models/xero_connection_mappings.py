"""The connection's mappings and Xero's codes: Load from Xero (the organisation's accounts and
tax rates, its bank accounts, and the mappings they propose), and what is left unmapped."""

from odoo import _, api, fields, models
from odoo.tools import html2plaintext

from ..xero_api import tax_kinds
from .xero_mapping import KIND_TARGET
from .xero_texts import xero_text


class XeroConnection(models.Model):
    """Mappings and codes on the connection: Load from Xero reads the organisation's accounts,
    tax rates and bank accounts, keeps them as codes to pick from, and maps what matches;
    ``unmapped_warning`` lists what still blocks invoices and payments."""

    _inherit = "xero.connection"  # pylint: disable=consider-merging-classes-inherited  # one file per concern: mappings

    mapping_ids = fields.One2many("xero.mapping", "connection_id", string="Mappings")
    code_ids = fields.One2many("xero.code", "connection_id", string="Xero accounts and taxes")
    unmapped_warning = fields.Text(
        compute="_compute_unmapped_warning",
        help="The dealer's income accounts, sales taxes and payment journals with no mapping "
        "and no default: invoices and payments using them are blocked.",
    )

    @api.depends("mapping_ids", "company_id")
    def _compute_unmapped_warning(self):
        for connection in self:
            connection.unmapped_warning = connection._unmapped_text() if connection.id else False

    def action_load_mappings_from_xero(self):
        """Read Accounts and TaxRates (2 calls); map what matches; keep existing mappings.

        Never a default, never a guess: Odoo income accounts map to the Xero revenue account
        of the same code; sales taxes to the one Xero sales rate of the same percentage, and a
        0% tax to the one Xero 0% rate of the same kind (exempt, zero-rated, no tax: see
        ``xero_api/tax_kinds.py``). What is left unmapped is listed with the reason; invoices
        using it are blocked until a manager maps it (or sets a default on purpose).
        """
        self.ensure_one()
        self._check_manager()
        accounts = self._xero_call("get_accounts").get("Accounts") or []
        rates = self._xero_call("get_tax_rates").get("TaxRates") or []
        self._store_codes(accounts, rates)
        Mapping = self.env["xero.mapping"]
        mapped_accounts, _default_account = Mapping._resolver(self, "account")
        mapped_taxes, _default_tax = Mapping._resolver(self, "tax")
        new, left = self._propose_account_mappings(accounts, mapped_accounts)
        new_taxes, left_taxes = self._propose_tax_mappings(rates, mapped_taxes)
        new += new_taxes
        left += left_taxes
        self.write({"mapping_ids": [fields.Command.create(vals) for vals in new]})
        message = _(
            "%(accounts)s accounts and %(rates)s tax rates read; %(new)s mappings added.",
            accounts=len(accounts),
            rates=len(rates),
            new=len(new),
        )
        if left:
            message += " " + _("Left unmapped (map them by hand): %s.", "; ".join(left))
            self.message_post(body=message)
        return self._notify(_("Loaded from Xero"), message, "warning" if left else "success")

    def _propose_account_mappings(self, accounts, mapped_accounts):
        """``(new, left)``: a mapping (values) for each of the dealer's unmapped income
        accounts whose code is a Xero revenue account's, and why the others are left."""
        new, left = [], []
        revenue = {
            a["Code"]: a
            for a in accounts
            if a.get("Code") and a.get("Status") != "ARCHIVED" and a.get("Class") == "REVENUE"
        }
        odoo_accounts = (
            self.env["account.account"]
            .with_company(self.company_id)
            .search(
                [
                    ("company_ids", "in", self.company_id.ids),
                    ("account_type", "in", ("income", "income_other")),
                ]
            )
        )
        unmapped = odoo_accounts.filtered(lambda a: a.id not in mapped_accounts)
        for account in unmapped.filtered(lambda a: a.code in revenue):
            new.append(
                {
                    "kind": "account",
                    "account_id": account.id,
                    "xero_code": account.code,
                    "xero_name": revenue[account.code]["Name"],
                }
            )
        codes = unmapped.filtered(lambda a: a.code not in revenue).mapped("code")
        if codes:
            left.append(
                _("accounts %s: no Xero revenue account of the same code", ", ".join(codes))
            )
        return new, left

    def _propose_tax_mappings(self, rates, mapped_taxes):
        """``(new, left)``: a mapping (values) for each of the dealer's unmapped sales taxes
        that one Xero sales rate matches (``tax_kinds.match_sales_rate``), and why the
        others are left."""
        new, left = [], []
        sale_rates = [
            r for r in rates if r.get("CanApplyToRevenue") and r.get("Status") == "ACTIVE"
        ]
        taxes = self.env["account.tax"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
            ]
        )
        for tax in taxes.filtered(lambda t: t.id not in mapped_taxes):
            kind = self._odoo_tax_kind(tax) if tax.amount == 0 else None
            rate, why = tax_kinds.match_sales_rate(tax.amount, kind, sale_rates)
            if rate:
                new.append(
                    {
                        "kind": "tax",
                        "tax_id": tax.id,
                        "xero_code": rate["TaxType"],
                        "xero_name": rate["Name"],
                    }
                )
            else:
                left.append(_("tax %(tax)s: %(why)s", tax=tax.name, why=xero_text(self.env, why)))
        return new, left

    @staticmethod
    def _odoo_tax_kind(tax):
        """Exempt, zero-rated or no tax (``xero_api/tax_kinds.py``), or None when unclear."""
        category = "ubl_cii_tax_category_code" in tax._fields and tax.ubl_cii_tax_category_code
        texts = [
            tax.name,
            tax.invoice_label,
            html2plaintext(tax.description or ""),
            tax.tax_group_id.name,
        ]
        return tax_kinds.odoo_tax_kind(texts, category or None)

    def _store_codes(self, accounts, rates):
        Code = self.env["xero.code"]
        wanted = [
            ("account", a["Code"], a["Name"], a.get("AccountID"), 0.0, Code._account_use(a))
            for a in accounts
            if a.get("Code")
        ]
        wanted += [
            (
                "bank",
                a.get("Code") or a.get("AccountID"),
                a["Name"],
                a.get("AccountID"),
                0.0,
                False,
            )
            for a in accounts
            if a.get("Type") == "BANK"
        ]
        wanted += [
            (
                "tax",
                r["TaxType"],
                r["Name"],
                None,
                float(r.get("EffectiveRate") or 0),
                Code._tax_use(r),
            )
            for r in rates
            if r.get("TaxType")
        ]
        self.code_ids.unlink()
        self.write(
            {
                "code_ids": [
                    fields.Command.create(
                        {
                            "kind": kind,
                            "code": code,
                            "name": name,
                            "xero_id": xero_id,
                            "rate": rate,
                            "use": use,
                        }
                    )
                    for kind, code, name, xero_id, rate, use in wanted
                ]
            }
        )

    def action_load_bank_accounts(self):
        """Load from Xero: the organisation's BANK accounts as journal mappings (one call).

        Existing journal rows get the account's current code, id and name. Odoo bank journals
        whose account number or name matches a Xero bank account are mapped to it. Never a
        default: a journal left unmapped blocks its payments until a manager maps it.
        """
        self.ensure_one()
        self._check_manager()
        accounts = self._xero_call("get_accounts", where='Type=="BANK"').get("Accounts") or []
        accounts = sorted(
            (a for a in accounts if a.get("Status", "ACTIVE") == "ACTIVE"),
            key=lambda a: (a.get("Code") or "", a.get("Name") or ""),
        )
        rows = self.mapping_ids.filtered(lambda m: m.kind == "journal")
        updated = self._refresh_bank_rows(accounts, rows)
        created = self._propose_journal_mappings(accounts, rows)
        self.write({"mapping_ids": [fields.Command.create(vals) for vals in created]})
        return self._notify(
            _("Bank accounts loaded from Xero"),
            _(
                "%(count)s bank accounts read; %(updated)s mappings updated, %(new)s added.",
                count=len(accounts),
                updated=updated,
                new=len(created),
            ),
            "success",
        )

    def _refresh_bank_rows(self, accounts, rows):
        """Give the journal ``rows`` of these Xero bank ``accounts`` the account's current
        code, id and name; return how many rows were written."""
        updated = 0
        for account in accounts:
            vals = {
                "xero_code": account.get("Code") or account["AccountID"],
                "xero_id": account["AccountID"],
                "xero_name": account.get("Name"),
            }
            same = rows.filtered(
                lambda r, a=account: (
                    (r.xero_id or "").lower() == a["AccountID"].lower()
                    or (a.get("Code") and r.xero_code == a["Code"])
                )
            )
            if same:
                same.write(vals)
                updated += len(same)
        return updated

    def _propose_journal_mappings(self, accounts, rows):
        """A mapping (values) for each of the dealer's bank journals without a row (``rows``)
        whose account number, or else name, is one of these Xero bank ``accounts``'."""
        created = []
        journals = self.env["account.journal"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("type", "=", "bank"),
                ("id", "not in", rows.journal_id.ids),
            ]
        )
        for journal in journals:
            number = "".join(c for c in journal.bank_acc_number or "" if c.isalnum())
            match = next(
                (
                    a
                    for a in accounts
                    if number
                    and number
                    == "".join(c for c in a.get("BankAccountNumber") or "" if c.isalnum())
                ),
                None,
            ) or next(
                (a for a in accounts if a.get("Name", "").lower() == journal.name.lower()), None
            )
            if match:
                created.append(
                    {
                        "kind": "journal",
                        "journal_id": journal.id,
                        "xero_code": match.get("Code") or match["AccountID"],
                        "xero_id": match["AccountID"],
                        "xero_name": match.get("Name"),
                    }
                )
        return created

    def _used_odoo_records(self):
        """``{kind: records}``: the income accounts and taxes of the dealer's posted customer
        invoices' and credit notes' product lines (one grouped query), and the journals of
        its customer payments (one more): what a send needs mapped."""
        self.ensure_one()
        company = self.company_id
        Line = self.env["account.move.line"].sudo()
        groups = Line._read_group(
            [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                ("display_type", "=", "product"),
            ],
            groupby=["account_id", "tax_ids"],
        )
        accounts = self.env["account.account"].union(*(account for account, _tax in groups))
        taxes = self.env["account.tax"].union(*(tax for _account, tax in groups))
        journals = (
            self.env["account.payment"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_type", "=", "customer"),
                    ("state", "in", ("in_process", "paid")),
                ],
                groupby=["journal_id"],
            )
        )
        return {
            "account": accounts.sudo(False),
            "tax": taxes.sudo(False),
            "journal": self.env["account.journal"].union(*(j for (j,) in journals)).sudo(False),
        }

    def _unmapped_odoo_records(self):
        """``{kind: records}``: what the dealer's invoices, credit notes and payments use with
        no row, or a row without a Xero code (kinds with a default row left out)."""
        self.ensure_one()
        rows = self.mapping_ids
        result = {}
        for kind, records in self._used_odoo_records().items():
            own = rows.filtered(lambda r, k=kind: r.kind == k)
            if own.filtered(lambda r: r.is_default and r.xero_code):
                continue
            left = records - own.filtered("xero_code")[KIND_TARGET[kind]]
            if left:
                result[kind] = left
        return result

    def action_add_missing_mappings(self):
        """A row without a Xero code for each record the dealer's documents use that has no
        row; the manager then picks each one's Xero code. Opens the rows still to map."""
        self._check_manager()
        for connection in self:
            rows = connection.mapping_ids
            missing = connection._unmapped_odoo_records()
            connection.write(
                {
                    "mapping_ids": [
                        fields.Command.create({"kind": kind, KIND_TARGET[kind]: record.id})
                        for kind, records in missing.items()
                        for record in records - rows[KIND_TARGET[kind]]
                    ]
                }
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_xero_sync.action_xero_mapping"
        )
        action["domain"] = [("connection_id", "in", self.ids)]
        action["context"] = {"search_default_to_map": 1}
        return action

    def _unmapped_text(self):
        labels = {
            "account": _("Income accounts"),
            "tax": _("Sales taxes"),
            "journal": _("Payment journals"),
        }
        lines = [
            "%s: %s" % (labels[kind], ", ".join(records.mapped("display_name")))
            for kind, records in self._unmapped_odoo_records().items()
        ]
        if not lines:
            return False
        return "\n".join(
            [_("Not mapped (their invoices and payments are blocked until mapped):"), *lines]
        )
