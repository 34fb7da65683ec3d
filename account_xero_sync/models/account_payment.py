from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from .account_partial_reconcile import POSTED_PAYMENT_STATES

XERO_PAYMENT_STATES = [
    ("not_sent", "Not sent"),
    ("partly", "Partly sent"),
    ("sent", "Sent"),
    ("waiting", "Waiting for allocation"),
    ("error", "Error"),
]


class AccountPayment(models.Model):
    """Customer payments and Xero: their allocations' Xero payments, and fetched payments.

    Sending works on allocations (``account.partial.reconcile``, ``handlers/payments.py``); this
    model shows their state, offers Action > Xero: Send Payment, keeps the Xero payments of
    deleted allocations until they are deleted in Xero, and links the payments Fetch New
    Payments created (``handlers/payment_fetch.py``).
    """

    _inherit = "account.payment"

    xero_state = fields.Selection(
        XERO_PAYMENT_STATES,
        string="Xero status",
        compute="_compute_xero",
        search="_search_xero_state",
        help="Not sent: allocated, nothing in Xero. Partly sent: some allocations in Xero, or Xero "
        "payments to delete. Waiting for allocation: not allocated to any invoice yet.",
    )
    xero_allocation_ids = fields.Many2many(
        "account.partial.reconcile",
        string="Xero payments",
        compute="_compute_xero",
        help="The allocations of this payment to invoices: one Xero payment each.",
    )
    xero_removed_payments = fields.Json(
        copy=False,
        readonly=True,
        help="Xero payments of allocations deleted in Odoo: Send Payment deletes them in Xero.",
    )
    xero_removed_text = fields.Text(string="To delete in Xero", compute="_compute_xero")
    xero_import_id = fields.Char(
        string="Fetched from Xero payment",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The Xero payment this Odoo payment was created from by Fetch New Payments.",
    )

    _sql_constraints = [
        (
            "xero_import_uniq",
            "UNIQUE(company_id, xero_import_id)",
            "This Xero payment was already fetched into another Odoo payment.",
        ),
    ]

    @api.depends(
        "state",
        "xero_removed_payments",
        "move_id.line_ids.matched_debit_ids",
        "move_id.line_ids.matched_debit_ids.xero_payment_id",
        "move_id.line_ids.matched_debit_ids.xero_pending_action",
        "move_id.line_ids.matched_debit_ids.xero_last_error",
    )
    def _compute_xero(self):
        allocations = self._xero_allocations()
        by_payment = defaultdict(lambda: self.env["account.partial.reconcile"])
        for partial in allocations:
            by_payment[partial._xero_odoo_payment().id] |= partial
        for payment in self:
            mine = by_payment[payment.id]
            payment.xero_allocation_ids = mine
            payment.xero_state = payment._xero_state_of(mine)
            payment.xero_removed_text = (
                "\n".join(
                    "%s (%s, %s)" % (r["xero_id"], r.get("invoice"), r.get("amount"))
                    for r in payment.xero_removed_payments or []
                )
                or False
            )

    def _xero_state_of(self, allocations):
        self.ensure_one()
        if self.payment_type != "inbound" or self.partner_type != "customer":
            return False
        if any(allocations.mapped("xero_last_error")):
            return "error"
        linked = allocations.filtered("xero_payment_id")
        if not allocations and not self.xero_removed_payments:
            return "waiting" if self.state in POSTED_PAYMENT_STATES else "not_sent"
        if linked == allocations and not self.xero_removed_payments:
            return "sent"
        if linked or self.xero_removed_payments or any(allocations.mapped("xero_pending_action")):
            return "partly"
        return "not_sent"

    def _search_xero_state(self, operator, value):
        """The rules of :meth:`_xero_state_of` as one domain: SQL sub-queries on the
        allocations (partials of the payment's own entry), nothing computed in Python."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Unsupported search on the Xero status."))
        wanted = set(value) if isinstance(value, (list, tuple, set)) else {value}
        domain = (
            expression.OR([self._xero_state_domain(state) for state in wanted])
            if wanted
            else expression.FALSE_DOMAIN
        )
        if operator in ("!=", "not in"):
            domain = ["!", *expression.normalize_domain(domain)]
        return domain

    @api.model
    def _xero_state_domain(self, state):
        """Payments whose ``xero_state`` is ``state``, as a domain."""
        customer = [("payment_type", "=", "inbound"), ("partner_type", "=", "customer")]
        if not state:
            return ["!", *expression.normalize_domain(customer)]

        def allocated(*leaves):  # has an allocation to a customer invoice matching ``leaves``
            return [
                (
                    "move_id.line_ids.matched_debit_ids",
                    "any",
                    [("debit_move_id.move_id.move_type", "=", "out_invoice"), *leaves],
                )
            ]

        def no(domain):
            return ["!", *expression.normalize_domain(domain)]

        error = allocated(("xero_last_error", "!=", False))
        removed = [("xero_removed_payments", "!=", False)]
        unlinked = allocated(("xero_payment_id", "=", False))
        linked_or_pending = expression.OR(
            [
                allocated(("xero_payment_id", "!=", False)),
                allocated(("xero_pending_action", "!=", False)),
            ]
        )
        nothing = expression.AND([no(allocated()), no(removed)])
        posted = [("state", "in", POSTED_PAYMENT_STATES)]
        by_state = {
            "error": error,
            "waiting": expression.AND([nothing, posted]),
            "sent": expression.AND([allocated(), no(unlinked), no(removed)]),
            "partly": expression.OR([removed, expression.AND([unlinked, linked_or_pending])]),
            "not_sent": expression.OR(
                [
                    expression.AND([nothing, no(posted)]),
                    expression.AND([unlinked, no(linked_or_pending), no(removed)]),
                ]
            ),
        }
        if state not in by_state:
            return expression.FALSE_DOMAIN
        rule = by_state[state] if state == "error" else expression.AND([no(error), by_state[state]])
        return expression.AND([customer, rule])

    @api.ondelete(at_uninstall=False)
    def _unlink_except_xero_payments(self):
        for payment in self:
            if payment.xero_removed_payments or payment.xero_allocation_ids.filtered(
                "xero_payment_id"
            ):
                raise UserError(
                    _(
                        "Payment %s has payments in Xero: cancel it and use Action > Xero: Send "
                        "Payment to delete them in Xero before deleting it.",
                        payment.display_name,
                    )
                )

    # ------------------------------------------------------------------ actions

    def action_xero_send(self):
        """Action > Xero: Send Payment: send new allocations, replace changed ones, delete the
        Xero payments of allocations removed in Odoo (one task per dealer, run now)."""
        payments = self.filtered(lambda p: p.partner_type == "customer")
        if not payments:
            raise UserError(
                _("Only customer payments (money received, or refunds paid out) are sent to Xero.")
            )
        return self.env["xero.task"]._run_one_off("send_payment", payments)

    # ------------------------------------------------------------------ helpers

    def _xero_allocations(self):
        """The allocations of these payments to customer invoices, and of these refunds to
        credit notes (one query)."""
        ids = [pid for pid in self.ids if isinstance(pid, int)]
        if not ids:
            return self.env["account.partial.reconcile"]
        return self.env["account.partial.reconcile"].search(
            expression.OR(
                [
                    [
                        ("credit_move_id.payment_id", "in", ids),
                        ("debit_move_id.move_id.move_type", "=", "out_invoice"),
                    ],
                    [
                        ("debit_move_id.payment_id", "in", ids),
                        ("credit_move_id.move_id.move_type", "=", "out_refund"),
                    ],
                ]
            ),
            order="id",
        )
