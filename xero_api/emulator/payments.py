"""Payments: one payment settles one invoice; created, or deleted, never edited."""

import uuid
from decimal import Decimal

from . import contacts as contact_rules
from .invoices import MSG_LOCKED, ZERO, compute_totals, find_invoice, render_invoice
from .wire import day_ms_date, ms_date, parse_day, quantize, to_decimal

PAYMENT_TYPES = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT"}
OTHER_DOCUMENTS = ("CreditNote", "Prepayment", "Overpayment")

MSG_NOT_AUTHORISED = "Payments can only be made against Authorised documents."
MSG_EXCEEDS = "Payment amount exceeds the amount outstanding on this document."
MSG_POSITIVE = "Payment amounts must be positive amounts"
MSG_DOCUMENT_NOT_FOUND = "Document could not be found"
MSG_ONE_DOCUMENT = (
    "A payment must be applied to exactly one Invoice, CreditNote, Prepayment or Overpayment."
)
MSG_UNSUPPORTED_DOCUMENT = "The emulator only takes payments against invoices."
MSG_ACCOUNT_REQUIRED = "An Account (AccountID or Code) must be specified for the payment."
MSG_ACCOUNT_NOT_FOUND = "Account could not be found"
MSG_ACCOUNT_TYPE = (
    "Payments can only be made to or from a BANK account "
    "or an account with 'Enable payments to this account' set."
)
MSG_DATE_REQUIRED = "A valid payment Date must be specified."
MSG_AMOUNT_REQUIRED = "A payment Amount must be specified."
MSG_ARCHIVED = (
    "The contact with the specified contact details has been archived. "
    "The contact must be un-archived before creating new payments."
)
MSG_NOT_FOR_MODIFICATION = "Payment not of valid status for modification"
MSG_DELETE_ONLY = "Payments cannot be edited: the only change accepted is Status DELETED."


def _resolve_invoice(org, raw, errors):
    documents = [key for key in ("Invoice",) + OTHER_DOCUMENTS if raw.get(key)]
    if raw.get("InvoiceNumber") and "Invoice" not in documents:
        documents.append("Invoice")
    if len(documents) != 1:
        errors.append(MSG_ONE_DOCUMENT)
        return None
    if documents[0] != "Invoice":
        errors.append(MSG_UNSUPPORTED_DOCUMENT)
        return None
    ref = raw.get("Invoice") or {}
    invoice = find_invoice(
        org, ref.get("InvoiceID") or ref.get("InvoiceNumber") or raw.get("InvoiceNumber")
    )
    if invoice is None:
        errors.append(MSG_DOCUMENT_NOT_FOUND)
    return invoice


def _resolve_account(org, raw, errors):
    ref = raw.get("Account")
    if not isinstance(ref, dict) or not (ref.get("AccountID") or ref.get("Code")):
        errors.append(MSG_ACCOUNT_REQUIRED)
        return None
    account = org.find_account(ref)
    if account is None:
        errors.append(MSG_ACCOUNT_NOT_FOUND)
    elif account.get("Type") != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append(MSG_ACCOUNT_TYPE)
    return account


def _store_invoice(org, invoice, paid_delta, now, paid_on=None):
    """Move AmountPaid/AmountDue/Status of an invoice by a payment created or deleted."""
    updated = dict(invoice)
    updated["AmountPaid"] = invoice.get("AmountPaid", ZERO) + paid_delta
    compute_totals(updated)
    if updated["AmountDue"] <= 0 and updated["Status"] == "AUTHORISED":
        updated["Status"] = "PAID"
        updated["FullyPaidOnDate"] = paid_on
    elif updated["AmountDue"] > 0 and updated["Status"] == "PAID":
        updated["Status"] = "AUTHORISED"
        updated.pop("FullyPaidOnDate", None)
    updated["UpdatedDateUTC"] = ms_date(now)
    org.invoices[updated["InvoiceID"].lower()] = updated


def create_payment(org, raw, now, reconciled=False):
    """Create one payment against an invoice; returns (stored record or None, errors, echo)."""
    if not isinstance(raw, dict):
        return None, ["A payment must be a JSON object."], {}
    errors = []
    invoice = _resolve_invoice(org, raw, errors)
    account = _resolve_account(org, raw, errors)
    day = parse_day(raw.get("Date")) if raw.get("Date") not in (None, "") else None
    if day is None:
        errors.append(MSG_DATE_REQUIRED)
    elif org.locked(day):
        errors.append(MSG_LOCKED % org.lock_date.isoformat())
    amount = None
    if raw.get("Amount") is None:
        errors.append(MSG_AMOUNT_REQUIRED)
    else:
        try:
            amount = quantize(to_decimal(raw["Amount"]))
        except ValueError:
            errors.append("Amount must be a number.")
    if amount is not None and amount <= 0:
        errors.append(MSG_POSITIVE)
    if invoice is not None:
        contact = org.contacts.get(invoice["Contact"]["ContactID"].lower())
        if contact is not None and contact_rules.is_archived(contact):
            errors.append(MSG_ARCHIVED)
        if invoice["Status"] != "AUTHORISED":
            errors.append(MSG_NOT_AUTHORISED)
        if amount is not None and amount > invoice.get("AmountDue", ZERO):
            errors.append(MSG_EXCEEDS)
    rate = Decimal(1)
    if raw.get("CurrencyRate") is not None:
        try:
            rate = to_decimal(raw["CurrencyRate"])
        except ValueError:
            errors.append("CurrencyRate must be a number.")
    echo = {k: v for k, v in raw.items() if k not in ("Date", "Amount", "CurrencyRate")}
    if day is not None:
        echo["Date"] = day_ms_date(day)
    if amount is not None:
        echo["Amount"] = amount
    if errors:
        return None, errors, echo
    record = {
        "PaymentID": raw.get("PaymentID") or str(uuid.uuid4()),
        "Date": day_ms_date(day),
        "Amount": amount,
        "BankAmount": quantize(amount / rate) if rate else amount,
        "CurrencyRate": rate,
        "Reference": str(raw.get("Reference") or ""),
        "IsReconciled": bool(raw.get("IsReconciled", reconciled)),
        "Status": "AUTHORISED",
        "PaymentType": PAYMENT_TYPES[invoice["Type"]],
        "UpdatedDateUTC": ms_date(now),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account.get("Code", "")},
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
    }
    org.payments[record["PaymentID"].lower()] = record
    _store_invoice(org, invoice, amount, now, record["Date"])
    return record, [], record


def delete_payment(org, payment_id, raw, now):
    """`POST /Payments/{id}` with `{"Status": "DELETED"}`; returns (record or None, errors, echo).

    Raises KeyError when the payment does not exist (the caller answers 404).
    """
    payment = org.payments[str(payment_id).lower()]
    body = raw if isinstance(raw, dict) else {}
    if str(body.get("Status") or "").upper() != "DELETED":
        return None, [MSG_DELETE_ONLY], dict(payment)
    if payment["Status"] != "AUTHORISED":
        return None, [MSG_NOT_FOR_MODIFICATION], dict(payment)
    if org.locked(parse_day(payment["Date"])):
        return None, [MSG_LOCKED % org.lock_date.isoformat()], dict(payment)
    record = dict(payment, Status="DELETED", UpdatedDateUTC=ms_date(now))
    org.payments[record["PaymentID"].lower()] = record
    invoice = org.invoices.get(payment["Invoice"]["InvoiceID"].lower())
    if invoice is not None:
        _store_invoice(org, invoice, -payment["Amount"], now)
    return record, [], record


def render_payment(org, record):
    """The payment as Xero returns it, with its account and a summary of its invoice."""
    out = dict(record)
    account = org.find_account({"AccountID": record["Account"]["AccountID"]})
    if account:
        out["Account"] = {"AccountID": account["AccountID"], "Code": account.get("Code", "")}
    invoice = org.invoices.get(record["Invoice"]["InvoiceID"].lower())
    if invoice:
        summary = render_invoice(org, invoice, with_lines=False)
        keep = ("Type", "InvoiceID", "InvoiceNumber", "Contact", "CurrencyCode", "Status", "Total")
        out["Invoice"] = {key: summary[key] for key in keep if key in summary}
        out["Invoice"].update(Payments=[], CreditNotes=[], Prepayments=[], Overpayments=[])
        out["Invoice"]["HasErrors"] = False
    return out
