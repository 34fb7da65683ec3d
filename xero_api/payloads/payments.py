"""Payments: one per allocation, with a Reference that names the allocation."""

import re

from ..wire import (
    PayloadError,
    clean,
    clean_cut,
    cut,
    date_text,
    rounded,
)
from .common import REFERENCE_MAX
from .common import put as _put
from .totals import RATE_PLACES

_PAYMENT_REF_RE = re.compile(r"(?:^|\s)#A(\d+)$")


def payment_payload(values):
    """Build a Xero ``Payment`` of one invoice.

    ``values`` keys: ``invoice_id`` (Xero InvoiceID), ``account_id`` (Xero AccountID) or
    ``account_code``, ``date``, ``amount`` (in the invoice's currency, > 0, rounded to 2
    decimals), ``reference`` (see :func:`payment_reference`), ``currency_rate`` (optional, only
    for a foreign-currency invoice: units of that currency per unit of the base currency, 6
    decimals as Xero keeps it).

    :return: ``(payment, warnings)``
    :raises PayloadError: no invoice, no account, no date, or an amount or rate not above zero.
    """
    warnings = []
    invoice_id = clean(values.get("invoice_id"))
    if not invoice_id:
        raise PayloadError("The paid invoice is not in Xero yet: send the invoice first.")
    account_id = clean(values.get("account_id"))
    account_code = clean(values.get("account_code"))
    if not (account_id or account_code):
        raise PayloadError("The payment has no Xero bank account: map its journal.")
    amount = rounded(values.get("amount"), 2, "Payment amount", warnings)
    if amount <= 0:
        raise PayloadError("Payment amount %s: Xero only takes amounts above zero." % amount)
    payment = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"AccountID": account_id} if account_id else {"Code": account_code},
        "Date": date_text(values.get("date"), "Payment date", required=True),
        "Amount": amount,
    }
    reference = clean_cut(values.get("reference"), REFERENCE_MAX, "Payment reference", warnings)
    _put(payment, "Reference", reference)
    rate = values.get("currency_rate")
    if rate is not None and rate is not False:
        payment["CurrencyRate"] = rounded(rate, RATE_PLACES, "Currency rate")
        if payment["CurrencyRate"] <= 0:
            raise PayloadError("Currency rate %s: Xero only takes rates above zero." % rate)
    return payment, warnings


def payment_reference(payment_name, partial_id):
    """A stable reference naming the payment and its allocation: ``"PBNK1/2026/00012 #A57"``.

    ``partial_id`` is the ``account.partial.reconcile`` id; :func:`parse_payment_reference`
    reads it back. The name is cut, never the suffix, to stay within 255 characters.
    """
    suffix = "#A%d" % int(partial_id)
    name = cut(clean(payment_name), REFERENCE_MAX - len(suffix) - 1, "Reference", [])
    return "%s %s" % (name, suffix) if name else suffix


def parse_payment_reference(reference):
    """The allocation id in a reference made by :func:`payment_reference`, else None."""
    match = _PAYMENT_REF_RE.search(clean(reference) or "")
    return int(match.group(1)) if match else None


def delete_payment_payload():
    """The body of ``POST /Payments/{PaymentID}`` that deletes a payment."""
    return {"Status": "DELETED"}
