"""Invoices: creation, updates, status moves, totals, and Xero's rules for them."""

import copy
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from . import contacts as contact_rules
from .lines import MSG_ACCOUNT_REQUIRED, ZERO, build_lines, compute_totals, number_or
from .sanitize import input_errors
from .wire import day_ms_date, day_string, ms_date, parse_day, quantize, to_decimal

INVOICE_TYPES = ("ACCREC", "ACCPAY")
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"},
    "VOIDED": set(),
    "DELETED": set(),
}
INVOICE_LIMITS = {"InvoiceNumber": 255, "Reference": 255}
# What a partly or fully paid invoice must keep (Reference, DueDate, InvoiceNumber,
# BrandingThemeID, Contact and the lines' Description/AccountCode/Tracking may change).
PAID_LOCKED = ("Type", "Date", "CurrencyCode", "LineAmountTypes", "SubTotal", "TotalTax", "Total")
PAID_LOCKED_LINE = ("Quantity", "UnitAmount", "TaxType", "TaxAmount", "LineAmount", "DiscountRate")

MSG_NUMBER_TAKEN = "Invoice # must be unique."
MSG_NOT_FOR_CREATION = "Invoice not of valid status for creation"
MSG_NOT_FOR_MODIFICATION = "Invoice not of valid status for modification"
MSG_HAS_PAYMENTS = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)
MSG_NOT_FOUND = "An existing invoice with the specified ID could not be found"
MSG_NEGATIVE = "The Total for this document must be greater than or equal to zero."
MSG_LOCKED = "The document date cannot be on or before the period lock date, currently set at %s."
MSG_ZERO = "The Total for this document must be greater than zero."
MSG_DUE_DATE = "Due date cannot be empty."
MSG_TOTALS = "The document total does not equal the sum of the lines."
MSG_LINES_REQUIRED = "At least one line item must be specified."
MSG_CONTACT_REQUIRED = "A Contact must be specified for this type of transaction"
MSG_TYPE = "The invoice Type must be ACCREC or ACCPAY."


def resolve_contact(org, ref, now, errors):
    """The contact an invoice names; Xero creates a contact given only a new Name."""
    if not isinstance(ref, dict) or not any(
        ref.get(k) for k in ("ContactID", "ContactNumber", "Name")
    ):
        errors.append(MSG_CONTACT_REQUIRED)
        return None
    contact = contact_rules.find_contact(
        org, contact_id=ref.get("ContactID"), number=ref.get("ContactNumber")
    ) or contact_rules.find_contact(org, name=None if ref.get("ContactID") else ref.get("Name"))
    if contact is None and not ref.get("ContactID") and ref.get("Name"):
        contact, new_errors, _echo = contact_rules.upsert_contact(org, ref, now, mode="create")
        errors.extend(new_errors)
        return contact
    if contact is None:
        errors.append(contact_rules.MSG_NOT_FOUND)
    return contact


def _set_day(record, raw, key, errors):
    if raw.get(key) in (None, ""):
        return
    day = parse_day(raw[key])
    if day is None:
        errors.append("%s '%s' is not a valid date." % (key, raw[key]))
        return
    record[key] = day_ms_date(day)
    record[key + "String"] = day_string(day)


def _check_number(org, record, errors):
    number = str(record.get("InvoiceNumber") or "").strip()
    if record["Type"] != "ACCREC" or not number:
        return
    own = record["InvoiceID"].lower()
    for other in org.invoices.values():
        if (
            other["InvoiceID"].lower() != own
            and other["Type"] == "ACCREC"
            and other["Status"] != "DELETED"
            and str(other.get("InvoiceNumber") or "").casefold() == number.casefold()
        ):
            errors.append(MSG_NUMBER_TAKEN)
            return


def _locked_changes(before, after):
    if any(before.get(key) != after.get(key) for key in PAID_LOCKED):
        return True
    old = {line["LineItemID"]: line for line in before.get("LineItems", [])}
    new = {line["LineItemID"]: line for line in after.get("LineItems", [])}
    if old.keys() != new.keys():
        return True
    return any(old[k].get(f) != new[k].get(f) for k in old for f in PAID_LOCKED_LINE)


def _apply_fields(org, record, raw, now, unitdp, errors, creating):
    amount_types_before = record["LineAmountTypes"]
    if "Contact" in raw or creating:
        contact = resolve_contact(org, raw.get("Contact"), now, errors)
        if contact is not None:
            changed = creating or contact["ContactID"] != record.get("Contact", {}).get("ContactID")
            if changed and contact_rules.is_archived(contact):
                errors.append(contact_rules.MSG_ARCHIVED)
            record["Contact"] = {"ContactID": contact["ContactID"], "Name": contact["Name"]}
    errors.extend(contact_rules.length_errors(raw, INVOICE_LIMITS))
    for key in ("InvoiceNumber", "Reference", "BrandingThemeID", "Url", "SentToContact"):
        if raw.get(key) is not None:
            record[key] = raw[key].strip() if isinstance(raw[key], str) else raw[key]
    for key in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
        _set_day(record, raw, key, errors)
    if raw.get("LineAmountTypes") is not None:
        kind = LINE_AMOUNT_TYPES.get(str(raw["LineAmountTypes"]).lower())
        if kind is None:
            errors.append("LineAmountTypes '%s' is not valid." % raw["LineAmountTypes"])
        else:
            record["LineAmountTypes"] = kind
    if raw.get("CurrencyCode") is not None:
        code = str(raw["CurrencyCode"]).upper()
        if code not in org.currencies:
            errors.append(contact_rules.MSG_CURRENCY % code)
        else:
            record["CurrencyCode"] = code
    if raw.get("CurrencyRate") is not None:
        record["CurrencyRate"] = number_or(raw["CurrencyRate"], Decimal(1), errors, "CurrencyRate")
    require_account = record["Status"] in ("SUBMITTED", "AUTHORISED")
    raw_lines = raw.get("LineItems")
    if raw_lines is None and record["LineAmountTypes"] != amount_types_before:
        # Lines not re-sent still need their tax recomputed for the new LineAmountTypes.
        raw_lines = [{"LineItemID": line["LineItemID"]} for line in record.get("LineItems", [])]
    if raw_lines is not None:
        record["LineItems"] = build_lines(
            org, record.get("LineItems", []), raw_lines, record["LineAmountTypes"], unitdp,
            require_account, errors,
        )  # fmt: skip
    elif require_account and any(
        not line.get("AccountCode") for line in record.get("LineItems", [])
    ):
        errors.append(MSG_ACCOUNT_REQUIRED)


def _final_checks(org, record, raw, errors):
    compute_totals(record)
    for key in ("SubTotal", "TotalTax", "Total"):
        sent = raw.get(key)
        if sent is not None:
            try:
                if abs(to_decimal(sent) - record[key]) > Decimal("0.01"):
                    errors.append(MSG_TOTALS)
                    break
            except ValueError:
                errors.append("%s must be a number." % key)
    approving = record["Status"] in ("SUBMITTED", "AUTHORISED")
    if approving and not record.get("LineItems"):
        errors.append(MSG_LINES_REQUIRED)
    if approving and not record.get("DueDate"):
        errors.append(MSG_DUE_DATE)
    if record["Type"] == "ACCREC" and record.get("LineItems"):
        if record["Total"] < 0:
            errors.append(MSG_NEGATIVE)
        elif record["Total"] == 0 and approving:
            errors.append(MSG_ZERO)
    _check_number(org, record, errors)
    day = parse_day(record.get("Date"))
    if org.locked(day):
        errors.append(MSG_LOCKED % org.lock_date.isoformat())


def _create(org, raw, now, unitdp, invoice_id=None):
    errors = []
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    kind = str(raw.get("Type") or "").upper()
    if kind not in INVOICE_TYPES:
        errors.append(MSG_TYPE)
        kind = "ACCREC"
    status = str(raw.get("Status") or "DRAFT").upper()
    if status not in CREATE_STATUSES:
        errors.append(MSG_NOT_FOR_CREATION)
        status = "DRAFT"
    record = {
        "Type": kind,
        "InvoiceID": invoice_id or str(uuid.uuid4()),
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [],
        "Date": day_ms_date(today),
        "DateString": day_string(today),
        "CurrencyCode": org.base_currency,
        "CurrencyRate": Decimal(1),
        "AmountPaid": ZERO,
        "AmountCredited": ZERO,
        "SentToContact": False,
        "Reference": "",
        "Prepayments": [],
        "Overpayments": [],
        "CreditNotes": [],
    }
    _apply_fields(org, record, raw, now, unitdp, errors, creating=True)
    _final_checks(org, record, raw, errors)
    if not errors and kind == "ACCREC" and not record.get("InvoiceNumber"):
        record["InvoiceNumber"] = org.next_invoice_number()
    return record, errors


def _update(org, existing, raw, now, unitdp):
    current = existing["Status"]
    if org.locked(parse_day(existing.get("Date"))):
        return copy.deepcopy(existing), [MSG_LOCKED % org.lock_date.isoformat()]
    requested = str(raw.get("Status") or current).upper()
    record = copy.deepcopy(existing)
    paid = existing.get("AmountPaid", ZERO) > 0
    if raw.get("Type") and str(raw["Type"]).upper() != existing["Type"]:
        return record, [MSG_NOT_FOR_MODIFICATION]
    if current in ("VOIDED", "DELETED") or requested not in TRANSITIONS.get(current, ()):
        if paid and requested == "VOIDED":
            return record, [MSG_NOT_FOR_MODIFICATION, MSG_HAS_PAYMENTS]
        return record, [MSG_NOT_FOR_MODIFICATION]
    if requested == "VOIDED" and paid:
        return record, [MSG_NOT_FOR_MODIFICATION, MSG_HAS_PAYMENTS]
    record["Status"] = requested
    if requested in ("VOIDED", "DELETED"):
        compute_totals(record)
        return record, []
    errors = []
    _apply_fields(org, record, raw, now, unitdp, errors, creating=False)
    _final_checks(org, record, raw, errors)
    if paid and not errors and _locked_changes(existing, record):
        errors.append(MSG_HAS_PAYMENTS)
    return record, errors


def find_invoice(org, ref):
    """An invoice by id or (sales) number; None when absent."""
    ref = str(ref or "").strip()
    if not ref:
        return None
    found = org.invoices.get(ref.lower())
    if found is None:
        wanted = ref.casefold()
        found = next(
            (
                i
                for i in org.invoices.values()
                if str(i.get("InvoiceNumber") or "").casefold() == wanted
                and i["Status"] != "DELETED"
            ),
            None,
        )
    return found


def upsert_invoice(org, raw, now, mode="upsert", unitdp=2, path_id=None):
    """Create or update one invoice; returns (stored record or None, errors, echo).

    `mode` is `create` (PUT) or `upsert` (POST, which also finds an invoice by its number).
    Nothing is stored on error.
    """
    if not isinstance(raw, dict):
        return None, ["An invoice must be a JSON object."], {}
    problems = input_errors(raw)
    if problems:
        return None, problems, dict(raw)
    invoice_id = path_id or raw.get("InvoiceID")
    existing = None
    if invoice_id:
        existing = org.invoices.get(str(invoice_id).lower())
        if existing is None and (path_id or mode == "upsert"):
            return None, [MSG_NOT_FOUND], dict(raw)
    elif mode == "upsert" and raw.get("InvoiceNumber"):
        existing = find_invoice(org, raw["InvoiceNumber"])
    if existing:
        record, errors = _update(org, existing, raw, now, unitdp)
    else:
        record, errors = _create(org, raw, now, unitdp, invoice_id)
    if errors:
        if existing is None and not invoice_id:
            record["InvoiceID"] = contact_rules.NIL_ID  # as Xero echoes a refused new invoice
        return None, errors, record
    record["UpdatedDateUTC"] = ms_date(now)
    org.invoices[record["InvoiceID"].lower()] = record
    if record["Type"] == "ACCREC" and record.get("Contact"):
        contact = org.contacts.get(record["Contact"]["ContactID"].lower())
        if contact:
            contact_rules.mark_customer(org, contact, now)
    return record, [], record


def payment_summary(payment):
    """A payment as Xero lists it inside an invoice."""
    keys = ("PaymentID", "Date", "Amount", "Reference", "CurrencyRate")
    return dict(
        {k: payment[k] for k in keys if k in payment}, HasAccount=True, HasValidationErrors=False
    )


def payments_by_invoice(org):
    """Live payments grouped by invoice id, so a list renders in one pass."""
    grouped = {}
    for payment in org.payments.values():
        if payment["Status"] == "AUTHORISED":
            grouped.setdefault(payment["Invoice"]["InvoiceID"].lower(), []).append(payment)
    return grouped


def render_invoice(org, record, with_lines=True, unitdp=2, grouped=None):
    """The invoice as Xero returns it: current contact, payments, attachment flag.

    Without `unitdp=4`, unit amounts are shown to 2 decimals as Xero does.
    """
    out = dict(record)
    contact = org.contacts.get(str(record.get("Contact", {}).get("ContactID", "")).lower())
    if contact:
        out["Contact"] = contact_rules.contact_summary(contact)
    invoice_id = record["InvoiceID"].lower()
    grouped = payments_by_invoice(org) if grouped is None else grouped
    out["Payments"] = [payment_summary(p) for p in grouped.get(invoice_id, [])]
    out["HasAttachments"] = bool(org.attachments.get(invoice_id))
    out["HasErrors"] = False
    if not with_lines:
        out.pop("LineItems", None)
    elif unitdp != 4:
        out["LineItems"] = [
            dict(line, UnitAmount=quantize(line["UnitAmount"])) for line in out.get("LineItems", [])
        ]
    return out
