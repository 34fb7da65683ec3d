from odoo import _, fields, models
from odoo.tools import html2plaintext

from ..xero_api import tax_kinds


class XeroConnection(models.Model):
    """Load from Xero: the organisation's accounts and tax rates, and proposed mappings."""

    _inherit = "xero.connection"

    code_ids = fields.One2many("xero.code", "connection_id", string="Xero accounts and taxes")

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
        revenue = {
            a["Code"]: a
            for a in accounts
            if a.get("Code") and a.get("Status") != "ARCHIVED" and a.get("Class") == "REVENUE"
        }
        new, left = [], []
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
                left.append(_("tax %(tax)s: %(why)s", tax=tax.name, why=why))
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
        wanted = [
            ("account", a["Code"], a["Name"], a.get("AccountID"), 0.0)
            for a in accounts
            if a.get("Code")
        ]
        wanted += [
            ("bank", a.get("Code") or a.get("AccountID"), a["Name"], a.get("AccountID"), 0.0)
            for a in accounts
            if a.get("Type") == "BANK"
        ]
        wanted += [
            ("tax", r["TaxType"], r["Name"], None, float(r.get("EffectiveRate") or 0))
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
                        }
                    )
                    for kind, code, name, xero_id, rate in wanted
                ]
            }
        )
