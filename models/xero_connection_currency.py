from odoo import _, fields, models
from odoo.exceptions import UserError


class XeroConnection(models.Model):
    """The organisation's base currency must be the dealer's own.

    Xero books every document in its base currency at the ``CurrencyRate`` sent, and Odoo's rates
    are per unit of the company's currency: an organisation kept in another currency would book
    every amount wrong. Test connection shows such an organisation as refused, and every task
    fails before it plans anything, naming both currencies. Xero cannot change an organisation's
    base currency: Test connection stores it, forgotten when the connection is pointed at
    another organisation; until then each task reads it (one call).
    """

    _inherit = "xero.connection"

    state = fields.Selection(selection_add=[("wrong_currency", "Other base currency")])

    def _compute_state(self):
        super()._compute_state()
        for conn in self:
            mismatch = conn.state == "connected" and conn._xero_currency_mismatch()
            if mismatch:
                conn.state = "wrong_currency"
                conn.last_error = mismatch

    def write(self, vals):
        # Another organisation: its base currency is read again before anything is sent.
        moved = self.browse()
        if "tenant_id" in vals and "org_currency" not in vals:
            moved = self.filtered(lambda conn: conn.tenant_id != vals["tenant_id"])
        result = super().write(vals)
        if moved:
            moved.org_currency = False
        return result

    def action_test_connection(self):
        """As the base action; an organisation in another base currency is refused."""
        action = super().action_test_connection()
        mismatch = self._xero_currency_mismatch()
        if mismatch and action["params"]["type"] == "success":
            return self._notify(_("Xero organisation refused"), mismatch, "danger")
        return action

    def _xero_currency_mismatch(self, org_currency=None):
        """A sentence naming both currencies when the organisation's base currency (stored, or
        ``org_currency``) is not the company's, else False (also while it is not known)."""
        self.ensure_one()
        org_currency = org_currency or self.org_currency
        odoo_currency = self.company_id.currency_id.name
        if not org_currency or org_currency == odoo_currency:
            return False
        return _(
            "The Xero organisation %(org)s keeps its books in %(xero)s, but %(company)s keeps "
            "them in %(odoo)s: Xero would book every amount in the wrong currency. Nothing is "
            "sent to it; connect an organisation whose base currency is %(odoo)s.",
            org=self.tenant_name or self.tenant_id,
            xero=org_currency,
            company=self.company_id.name,
            odoo=odoo_currency,
        )

    def _xero_check_currency(self):
        """Before a task plans: refuse an organisation in another base currency.

        Reads the organisation (one call) when its base currency is not stored; never writes
        the connection (two dealers' workers would wait on its row).
        :raise UserError: naming both currencies.
        """
        self.ensure_one()
        org_currency = self.org_currency
        if not org_currency:
            answer = self._xero_call("get_organisations")
            org_currency = ((answer.get("Organisations") or [{}])[0]).get("BaseCurrency")
        mismatch = self._xero_currency_mismatch(org_currency)
        if mismatch:
            raise UserError(mismatch)
