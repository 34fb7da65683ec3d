"""Odoo's and Xero's view of a linked invoice or credit note, compared: status, total, amount due.

The one comparison behind *Compare with Xero* (``handlers/compare.py``) and the closing check
of *Fetch New Payments* (``handlers/payment_fetch_report.py``). What Odoo expects of Xero:

- a posted document with something left to pay (or to allocate): ``AUTHORISED`` (``DRAFT`` or
  ``SUBMITTED`` too when the connection sends drafts), with Odoo's amount due;
- a posted document with nothing left: ``PAID`` (amount due 0);
- a cancelled document: ``VOIDED`` or ``DELETED`` (amounts are not compared);
- and Odoo's total, whatever the status but cancelled.
"""

from odoo.tools import float_compare

CANCELLED = ("VOIDED", "DELETED")
DRAFTS = ("DRAFT", "SUBMITTED")


def xero_amount_due(move, document):
    """What Xero says is left: ``AmountDue`` of an invoice, ``RemainingCredit`` of a credit
    note."""
    key = "RemainingCredit" if move.move_type == "out_refund" else "AmountDue"
    return float(document.get(key) or 0)


def expected_statuses(move, drafts_ok=False):
    """The Xero statuses that agree with the Odoo document's state."""
    if move.state == "cancel":
        return CANCELLED
    if move.currency_id.is_zero(move.amount_residual):
        return ("PAID",)
    return ("AUTHORISED", *DRAFTS) if drafts_ok else ("AUTHORISED",)


def differences(move, document, checks=("status", "total", "due"), drafts_ok=False):
    """``[(what, odoo, xero)]``, what in ``missing``, ``status``, ``total``, ``due``: how the
    Xero ``document`` (a dict as Xero lists it, or None when Xero has none) differs from the
    Odoo ``move``; empty when they agree."""
    if document is None:
        return [] if move.state == "cancel" else [("missing", move.name, None)]
    out = []
    status = document.get("Status")
    expected = expected_statuses(move, drafts_ok)
    if "status" in checks and status not in expected:
        out.append(("status", "/".join(expected), status))
    if move.state == "cancel":
        return out
    rounding = move.currency_id.rounding
    for what, odoo, xero in (
        ("total", move.amount_total, float(document.get("Total") or 0)),
        ("due", move.amount_residual, xero_amount_due(move, document)),
    ):
        if what in checks and float_compare(odoo, xero, precision_rounding=rounding):
            out.append((what, odoo, xero))
    return out


def describe(env, diffs):
    """The differences of one document as one sentence for its log line (in ``env``'s
    language)."""
    parts = []
    for what, odoo, xero in diffs:
        if what == "missing":
            parts.append(env._("not found in Xero"))
        elif what == "status":
            parts.append(
                env._("status: Odoo expects %(odoo)s, Xero has %(xero)s", odoo=odoo, xero=xero)
            )
        elif what == "total":
            parts.append(env._("total: Odoo %(odoo)s, Xero %(xero)s", odoo=odoo, xero=xero))
        else:
            parts.append(env._("amount due: Odoo %(odoo)s, Xero %(xero)s", odoo=odoo, xero=xero))
    return "; ".join(parts)
