"""Payments: one per allocation, with a Reference that names the allocation."""

import re

from ..texts import _lt
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
_WRITEOFF_REF_RE = re.compile(r"(?:^|\s)#A(\d+)-W$")


def payment_payload(values):
    """Build a Xero ``Payment`` of one invoice, or a refund of one credit note.

    ``values`` keys: ``invoice_id`` (Xero InvoiceID) or, for a refund paid out,
    ``credit_note_id`` (Xero CreditNoteID), ``account_id`` (Xero AccountID) or
    ``account_code``, ``date``, ``amount`` (in the invoice's currency, > 0, rounded to 2
    decimals), ``reference`` (see :func:`payment_reference`), ``currency_rate`` (optional, only
    for a foreign-currency invoice: units of that currency per unit of the base currency, 6
    decimals as Xero keeps it).

    :return: ``(payment, warnings)``
    :raises PayloadError: no invoice, no account, no date, or an amount or rate not above zero.
    """
    warnings = []
    if "credit_note_id" in values:
        credit_note_id = clean(values["credit_note_id"])
        if not credit_note_id:
            raise PayloadError(
                _lt("The credit note is not in Xero yet: send the credit note first.")
            )
        document = {"CreditNote": {"CreditNoteID": credit_note_id}}
    else:
        invoice_id = clean(values.get("invoice_id"))
        if not invoice_id:
            raise PayloadError(_lt("The paid invoice is not in Xero yet: send the invoice first."))
        document = {"Invoice": {"InvoiceID": invoice_id}}
    account_id = clean(values.get("account_id"))
    account_code = clean(values.get("account_code"))
    if not (account_id or account_code):
        raise PayloadError(_lt("The payment has no Xero bank account: map its journal."))
    amount = rounded(values.get("amount"), 2, _lt("Payment amount"), warnings)
    if amount <= 0:
        raise PayloadError(_lt("Payment amount %s: Xero only takes amounts above zero.", amount))
    payment = {
        **document,
        "Account": {"AccountID": account_id} if account_id else {"Code": account_code},
        "Date": date_text(values.get("date"), _lt("Payment date"), required=True),
        "Amount": amount,
    }
    reference = clean_cut(
        values.get("reference"), REFERENCE_MAX, _lt("Payment reference"), warnings
    )
    _put(payment, "Reference", reference)
    rate = values.get("currency_rate")
    if rate is not None and rate is not False:
        payment["CurrencyRate"] = rounded(rate, RATE_PLACES, _lt("Currency rate"))
        if payment["CurrencyRate"] <= 0:
            raise PayloadError(_lt("Currency rate %s: Xero only takes rates above zero.", rate))
    return payment, warnings


def payment_reference(payment_name, partial_id, writeoff=False):
    """A stable reference naming the payment and its allocation: ``"PBNK1/2026/00012 #A57"``,
    or for the part of it written off, ``"PBNK1/2026/00012 #A57-W"``.

    ``partial_id`` is the ``account.partial.reconcile`` id; :func:`parse_payment_reference`
    (:func:`parse_writeoff_reference`) reads it back. The name is cut, never the suffix, to stay
    within 255 characters.
    """
    suffix = "#A%d%s" % (int(partial_id), "-W" if writeoff else "")
    name = cut(clean(payment_name), REFERENCE_MAX - len(suffix) - 1, "Reference", [])
    return "%s %s" % (name, suffix) if name else suffix


def parse_payment_reference(reference):
    """The allocation id in a reference made by :func:`payment_reference`, else None."""
    match = _PAYMENT_REF_RE.search(clean(reference) or "")
    return int(match.group(1)) if match else None


def parse_writeoff_reference(reference):
    """The allocation id in a write-off reference (``writeoff=True``), else None."""
    match = _WRITEOFF_REF_RE.search(clean(reference) or "")
    return int(match.group(1)) if match else None


def writeoff_payment_payload(values):
    """The Xero payment of the part of an allocation written off in Odoo: from the write-off
    account (one that takes payments in Xero) for ``values["writeoff"]["amount"]``, with the
    allocation's reference marked ``-W`` (``writeoff["reference"]``, made by
    :func:`payment_reference` with ``writeoff=True``). ``values`` as for
    :func:`payment_payload`."""
    writeoff = values["writeoff"]
    return payment_payload(
        dict(
            values,
            amount=writeoff["amount"],
            account_id=writeoff["account_id"],
            account_code=writeoff["account_code"],
            reference=writeoff["reference"],
        )
    )


def delete_payment_payload():
    """The body of ``POST /Payments/{PaymentID}`` that deletes a payment."""
    return {"Status": "DELETED"}
