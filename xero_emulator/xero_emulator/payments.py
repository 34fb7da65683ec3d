"""Payments: one payment settles one invoice, or refunds one credit note; created, or deleted,
never edited.

A refund (ARCREDITPAYMENT / APCREDITPAYMENT) pays out a credit note's RemainingCredit. Xero lists
it with the credit note in its `Invoice` block (Type ACCRECCREDIT, InvoiceID = CreditNoteID,
InvoiceNumber = CreditNoteNumber), as the payments example of its OpenAPI file shows.
"""

import uuid

from . import contacts as contact_rules
from .credit_notes import CREDIT_NOTE, REFUND_TYPES, find_credit_note
from .documents import settle
from .invoices import INVOICE, MSG_LOCKED, ZERO, find_invoice
from .links import paid_document_id
from .rates import day_rate, document_rate
from .wire import day_ms_date, ms_date, parse_day, quantize, to_decimal

PAYMENT_TYPES = dict(REFUND_TYPES, ACCREC="ACCRECPAYMENT", ACCPAY="ACCPAYPAYMENT")
OTHER_DOCUMENTS = ("Prepayment", "Overpayment")

MSG_NOT_AUTHORISED = "Payments can only be made against Authorised documents."
MSG_EXCEEDS = "Payment amount exceeds the amount outstanding on this document."
MSG_POSITIVE = "Payment amounts must be positive amounts"
MSG_DOCUMENT_NOT_FOUND = "Document could not be found"
MSG_ONE_DOCUMENT = (
    "A payment must be applied to exactly one Invoice, CreditNote, Prepayment or Overpayment."
)
MSG_UNSUPPORTED_DOCUMENT = "The emulator only takes payments against invoices and credit notes."
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


def _resolve_document(org, raw, errors):
    """(Kind, document) a payment names: an invoice or a credit note; (None, None) if none."""
    documents = [key for key in ("Invoice", "CreditNote") + OTHER_DOCUMENTS if raw.get(key)]
    for key, loose in (("Invoice", "InvoiceNumber"), ("CreditNote", "CreditNoteNumber")):
        if raw.get(loose) and key not in documents:
            documents.append(key)
    if len(documents) != 1:
        errors.append(MSG_ONE_DOCUMENT)
        return None, None
    if documents[0] in OTHER_DOCUMENTS:
        errors.append(MSG_UNSUPPORTED_DOCUMENT)
        return None, None
    if documents[0] == "CreditNote":
        ref = raw.get("CreditNote") or {}
        kind, find = CREDIT_NOTE, find_credit_note
        wanted = (
            ref.get("CreditNoteID") or ref.get("CreditNoteNumber") or raw.get("CreditNoteNumber")
        )
    else:
        ref = raw.get("Invoice") or {}
        kind, find = INVOICE, find_invoice
        wanted = ref.get("InvoiceID") or ref.get("InvoiceNumber") or raw.get("InvoiceNumber")
    document = find(org, wanted)
    if document is None:
        errors.append(MSG_DOCUMENT_NOT_FOUND)
    return kind, document


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


def create_payment(org, raw, now, reconciled=False):
    """Create one payment of an invoice or refund of a credit note; returns (stored record or
    None, errors, echo)."""
    if not isinstance(raw, dict):
        return None, ["A payment must be a JSON object."], {}
    errors = []
    kind, document = _resolve_document(org, raw, errors)
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
    rate = None
    if document is not None:
        contact = org.contacts.get(document["Contact"]["ContactID"].lower())
        if contact is not None and contact_rules.is_archived(contact):
            errors.append(MSG_ARCHIVED)
        if document["Status"] != "AUTHORISED":
            errors.append(MSG_NOT_AUTHORISED)
        if amount is not None and amount > document.get("AmountDue", ZERO):
            errors.append(MSG_EXCEEDS)
        code = document["CurrencyCode"]
        rate = document_rate(org, code, raw, errors) or day_rate(org.base_currency, code)
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
        "PaymentType": PAYMENT_TYPES[document["Type"]],
        "UpdatedDateUTC": ms_date(now),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account.get("Code", "")},
    }
    if kind is CREDIT_NOTE:
        record["CreditNote"] = {"CreditNoteID": document["CreditNoteID"]}
    else:
        record["Invoice"] = {"InvoiceID": document["InvoiceID"]}
    org.payments[record["PaymentID"].lower()] = record
    settle(org, kind, document, now, paid=amount, paid_on=record["Date"])
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
    kind = CREDIT_NOTE if payment.get("CreditNote") else INVOICE
    document = kind.records(org).get(paid_document_id(payment).lower())
    if document is not None:
        settle(org, kind, document, now, paid=-payment["Amount"])
    return record, [], record


def _document_block(org, record):
    """The paid document as Xero shows it in a payment's `Invoice` (credit notes included)."""
    if record.get("CreditNote"):
        document = org.credit_notes.get(record["CreditNote"]["CreditNoteID"].lower())
        id_key, number_key = "CreditNoteID", "CreditNoteNumber"
    else:
        document = org.invoices.get(record["Invoice"]["InvoiceID"].lower())
        id_key, number_key = "InvoiceID", "InvoiceNumber"
    if document is None:
        return None
    block = {"Type": document["Type"], "InvoiceID": document[id_key]}
    if document.get(number_key) is not None:
        block["InvoiceNumber"] = document[number_key]
    contact = org.contacts.get(document["Contact"]["ContactID"].lower())
    if contact:
        block["Contact"] = contact_rules.contact_summary(contact)
    block.update(
        CurrencyCode=document["CurrencyCode"], Status=document["Status"], Total=document["Total"]
    )
    return block


def render_payment(org, record):
    """The payment as Xero returns it, with its account and a summary of its document."""
    out = {k: v for k, v in record.items() if k != "CreditNote"}
    account = org.find_account({"AccountID": record["Account"]["AccountID"]})
    if account:
        out["Account"] = {"AccountID": account["AccountID"], "Code": account.get("Code", "")}
    block = _document_block(org, record)
    if block is not None:
        block.update(Payments=[], CreditNotes=[], Prepayments=[], Overpayments=[], HasErrors=False)
        out["Invoice"] = block
    return out
