from odoo import _, fields, models
from odoo.tools import float_compare


class XeroConnection(models.Model):
    """Load from Xero: the organisation's accounts and tax rates, and proposed mappings."""

    _inherit = "xero.connection"

    code_ids = fields.One2many("xero.code", "connection_id", string="Xero accounts and taxes")

    def action_load_mappings_from_xero(self):
        """Read Accounts and TaxRates (2 calls); map what matches; keep existing mappings.

        Odoo income accounts map to the Xero account with the same code, else to a default
        (Xero's "200" Sales when it exists); sales taxes map to the Xero tax rate of the same
        effective rate that applies to revenue.
        """
        self.ensure_one()
        self._check_manager()
        accounts = self._xero_call("get_accounts").get("Accounts") or []
        rates = self._xero_call("get_tax_rates").get("TaxRates") or []
        self._store_codes(accounts, rates)
        Mapping = self.env["xero.mapping"]
        mapped_accounts, default_account = Mapping._resolver(self, "account")
        mapped_taxes, _default_tax = Mapping._resolver(self, "tax")
        revenue = {
            a["Code"]: a
            for a in accounts
            if a.get("Code") and a.get("Status") != "ARCHIVED" and a.get("Class") == "REVENUE"
        }
        new = []
        if not default_account and revenue:
            code = "200" if "200" in revenue else sorted(revenue)[0]
            new.append({"kind": "account", "xero_code": code, "xero_name": revenue[code]["Name"]})
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
        for account in odoo_accounts:
            if account.id not in mapped_accounts and account.code in revenue:
                new.append(
                    {
                        "kind": "account",
                        "account_id": account.id,
                        "xero_code": account.code,
                        "xero_name": revenue[account.code]["Name"],
                    }
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
            rate = next(
                (
                    r
                    for r in sale_rates
                    if float_compare(
                        float(r.get("EffectiveRate") or 0), tax.amount, precision_digits=4
                    )
                    == 0
                ),
                None,
            )
            if rate:
                new.append(
                    {
                        "kind": "tax",
                        "tax_id": tax.id,
                        "xero_code": rate["TaxType"],
                        "xero_name": rate["Name"],
                    }
                )
        self.write({"mapping_ids": [fields.Command.create(vals) for vals in new]})
        return self._notify(
            _("Loaded from Xero"),
            _(
                "%(accounts)s accounts and %(rates)s tax rates read; %(new)s mappings added.",
                accounts=len(accounts),
                rates=len(rates),
                new=len(new),
            ),
            "success",
        )

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
