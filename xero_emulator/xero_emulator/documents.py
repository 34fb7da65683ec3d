"""What invoices and credit notes share: creation, updates, status moves, totals, settlement.

Xero keeps a credit note much like an invoice (same lines, totals, currencies, contacts,
statuses and locks). A `Kind` names what differs: keys, types, numbering and messages.
Money received or paid out is `AmountPaid` (payments, refunds), money settled by a credit note
allocation is `AmountCredited`; `AmountDue` is what is left (a credit note shows it as
`RemainingCredit`).
"""

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from . import contacts as contact_rules
from .lines import MSG_ACCOUNT_REQUIRED, ZERO, build_lines, compute_totals
from .rates import MSG_DAY_RATE, day_rate, document_rate
from .sanitize import input_errors
from .wire import day_ms_date, day_string, ms_date, parse_day, to_decimal

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
# What a partly or fully paid (or credited) document must keep (Reference, DueDate, its
# number, BrandingThemeID, Contact and the lines' Description/AccountCode/Tracking may change).
PAID_LOCKED = (
    "Type", "Date", "CurrencyCode", "CurrencyRate", "LineAmountTypes", "SubTotal", "TotalTax",
    "Total",
)  # fmt: skip
PAID_LOCKED_LINE = ("Quantity", "UnitAmount", "TaxType", "TaxAmount", "LineAmount", "DiscountRate")

MSG_HAS_PAYMENTS = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)
MSG_NEGATIVE = "The Total for this document must be greater than or equal to zero."
MSG_LOCKED = "The document date cannot be on or before the period lock date, currently set at %s."
MSG_ZERO = "The Total for this document must be greater than zero."
MSG_DUE_DATE = "Due date cannot be empty."
MSG_TOTALS = "The document total does not equal the sum of the lines."
MSG_LINES_REQUIRED = "At least one line item must be specified."
MSG_CONTACT_REQUIRED = "A Contact must be specified for this type of transaction"

MSG_CREDIT_NOTE_DISCOUNT = (
    "Discounts (DiscountRate, DiscountAmount) are not supported on credit notes."
)


@dataclass(frozen=True)
class Kind:
    """What differs between invoices and credit notes."""

    collection: str  # Organisation attribute: "invoices" / "credit_notes"
    id_key: str  # InvoiceID / CreditNoteID
    number_key: str  # InvoiceNumber / CreditNoteNumber
    types: tuple  # the accepted Type values, sales first
    prefix: str  # automatic number prefix of the sales type
    due_date_required: bool  # SUBMITTED/AUTHORISED need a DueDate
    limits: dict  # string lengths
    defaults: dict  # fields a new record starts with (deep-copied)
    msg_not_object: str
    msg_type: str
    msg_number_taken: str
    msg_not_found: str
    msg_not_for_creation: str
    msg_not_for_modification: str

    @property
    def sales_type(self):
        """ACCREC / ACCRECCREDIT: numbers are unique and assigned when absent."""
        return self.types[0]

    def records(self, org):
        return getattr(org, self.collection)


def resolve_contact(org, ref, now, errors):
    """The contact a document names; Xero creates a contact given only a new Name."""
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


def settled(record):
    """True when a payment, refund or credit note allocation is applied to the document."""
    return record.get("AmountPaid", ZERO) > 0 or record.get("AmountCredited", ZERO) > 0


def _set_day(record, raw, key, errors):
    if raw.get(key) in (None, ""):
        return
    day = parse_day(raw[key])
    if day is None:
        errors.append("%s '%s' is not a valid date." % (key, raw[key]))
        return
    record[key] = day_ms_date(day)
    record[key + "String"] = day_string(day)


def _check_number(org, kind, record, errors):
    number = str(record.get(kind.number_key) or "").strip()
    if record["Type"] != kind.sales_type or not number:
        return
    own = record[kind.id_key].lower()
    for other in kind.records(org).values():
        if (
            other[kind.id_key].lower() != own
            and other["Type"] == kind.sales_type
            and other["Status"] != "DELETED"
            and str(other.get(kind.number_key) or "").casefold() == number.casefold()
        ):
            errors.append(kind.msg_number_taken)
            return


def _locked_changes(before, after):
    if any(before.get(key) != after.get(key) for key in PAID_LOCKED):
        return True
    old = {line["LineItemID"]: line for line in before.get("LineItems", [])}
    new = {line["LineItemID"]: line for line in after.get("LineItems", [])}
    if old.keys() != new.keys():
        return True
    return any(old[k].get(f) != new[k].get(f) for k in old for f in PAID_LOCKED_LINE)


def _apply_currency(org, record, raw, errors, creating):
    before = record.get("CurrencyCode")
    if raw.get("CurrencyCode") is not None:
        code = str(raw["CurrencyCode"]).upper()
        if code not in org.currencies:
            errors.append(contact_rules.MSG_CURRENCY % code)
        else:
            record["CurrencyCode"] = code
    rate = document_rate(org, record["CurrencyCode"], raw, errors)
    if rate is not None:
        record["CurrencyRate"] = rate
    elif creating or record["CurrencyCode"] != before:
        record["CurrencyRate"] = day_rate(org.base_currency, record["CurrencyCode"])


def _apply_fields(org, kind, record, raw, now, unitdp, errors, creating):
    amount_types_before = record["LineAmountTypes"]
    if "Contact" in raw or creating:
        contact = resolve_contact(org, raw.get("Contact"), now, errors)
        if contact is not None:
            changed = creating or contact["ContactID"] != record.get("Contact", {}).get("ContactID")
            if changed and contact_rules.is_archived(contact):
                errors.append(contact_rules.MSG_ARCHIVED)
            record["Contact"] = {"ContactID": contact["ContactID"], "Name": contact["Name"]}
    errors.extend(contact_rules.length_errors(raw, kind.limits))
    for key in (kind.number_key, "Reference", "BrandingThemeID", "Url", "SentToContact"):
        if raw.get(key) is not None:
            record[key] = raw[key].strip() if isinstance(raw[key], str) else raw[key]
    for key in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
        _set_day(record, raw, key, errors)
    if raw.get("LineAmountTypes") is not None:
        amount_types = LINE_AMOUNT_TYPES.get(str(raw["LineAmountTypes"]).lower())
        if amount_types is None:
            errors.append("LineAmountTypes '%s' is not valid." % raw["LineAmountTypes"])
        else:
            record["LineAmountTypes"] = amount_types
    _apply_currency(org, record, raw, errors, creating)
    require_account = record["Status"] in ("SUBMITTED", "AUTHORISED")
    raw_lines = raw.get("LineItems")
    if raw_lines is None and record["LineAmountTypes"] != amount_types_before:
        # Lines not re-sent still need their tax recomputed for the new LineAmountTypes.
        raw_lines = [{"LineItemID": line["LineItemID"]} for line in record.get("LineItems", [])]
    if kind.collection == "credit_notes" and any(
        isinstance(line, dict) and (line.get("DiscountRate") or line.get("DiscountAmount"))
        for line in raw_lines or []
    ):
        # Spec, LineItem.DiscountRate / DiscountAmount: "credit notes in Xero do not support
        # discounts" (the wording of the refusal is the emulator's).
        errors.append(MSG_CREDIT_NOTE_DISCOUNT)
    if raw_lines is not None:
        record["LineItems"] = build_lines(
            org, record.get("LineItems", []), raw_lines, record["LineAmountTypes"], unitdp,
            require_account, errors,
        )  # fmt: skip
    elif require_account and any(
        not line.get("AccountCode") for line in record.get("LineItems", [])
    ):
        errors.append(MSG_ACCOUNT_REQUIRED)


def _final_checks(org, kind, record, raw, errors):
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
    if approving and kind.due_date_required and not record.get("DueDate"):
        errors.append(MSG_DUE_DATE)
    if record["Type"] == kind.sales_type and record.get("LineItems"):
        if record["Total"] < 0:
            errors.append(MSG_NEGATIVE)
        elif record["Total"] == 0 and approving:
            errors.append(MSG_ZERO)
    _check_number(org, kind, record, errors)
    day = parse_day(record.get("Date"))
    if org.locked(day):
        errors.append(MSG_LOCKED % org.lock_date.isoformat())


def _create(org, kind, raw, now, unitdp, doc_id=None):
    errors = []
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    doc_type = str(raw.get("Type") or "").upper()
    if doc_type not in kind.types:
        errors.append(kind.msg_type)
        doc_type = kind.sales_type
    status = str(raw.get("Status") or "DRAFT").upper()
    if status not in CREATE_STATUSES:
        errors.append(kind.msg_not_for_creation)
        status = "DRAFT"
    record = {
        "Type": doc_type,
        kind.id_key: doc_id or str(uuid.uuid4()),
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
    }
    record.update(copy.deepcopy(kind.defaults))
    _apply_fields(org, kind, record, raw, now, unitdp, errors, creating=True)
    _final_checks(org, kind, record, raw, errors)
    if not errors and doc_type == kind.sales_type and not record.get(kind.number_key):
        record[kind.number_key] = org.next_number(kind.prefix)
    return record, errors


def _update(org, kind, existing, raw, now, unitdp):
    current = existing["Status"]
    if org.locked(parse_day(existing.get("Date"))):
        return copy.deepcopy(existing), [MSG_LOCKED % org.lock_date.isoformat()]
    requested = str(raw.get("Status") or current).upper()
    record = copy.deepcopy(existing)
    paid = settled(existing)
    if raw.get("Type") and str(raw["Type"]).upper() != existing["Type"]:
        return record, [kind.msg_not_for_modification]
    if current in ("VOIDED", "DELETED") or requested not in TRANSITIONS.get(current, ()):
        if paid and requested == "VOIDED":
            return record, [kind.msg_not_for_modification, MSG_HAS_PAYMENTS]
        return record, [kind.msg_not_for_modification]
    if requested == "VOIDED" and paid:
        return record, [kind.msg_not_for_modification, MSG_HAS_PAYMENTS]
    record["Status"] = requested
    if requested in ("VOIDED", "DELETED"):
        compute_totals(record)
        return record, []
    errors = []
    _apply_fields(org, kind, record, raw, now, unitdp, errors, creating=False)
    _final_checks(org, kind, record, raw, errors)
    if paid and not errors and _locked_changes(existing, record):
        errors.append(MSG_HAS_PAYMENTS)
    return record, errors


def find_document(org, kind, ref):
    """A document by id or number (not a DELETED one by number); None when absent."""
    ref = str(ref or "").strip()
    if not ref:
        return None
    records = kind.records(org)
    found = records.get(ref.lower())
    if found is None:
        wanted = ref.casefold()
        found = next(
            (
                d
                for d in records.values()
                if str(d.get(kind.number_key) or "").casefold() == wanted
                and d["Status"] != "DELETED"
            ),
            None,
        )
    return found


def upsert_document(org, kind, raw, now, mode="upsert", unitdp=2, path_id=None, warnings=None):
    """Create or update one document; returns (stored record or None, errors, echo).

    `mode` is `create` (PUT) or `upsert` (POST, which also finds a document by its number).
    Nothing is stored on error. `warnings` (a list) receives the item's warnings.
    """
    if not isinstance(raw, dict):
        return None, [kind.msg_not_object], {}
    problems = input_errors(raw)
    if problems:
        return None, problems, dict(raw)
    doc_id = path_id or raw.get(kind.id_key)
    existing = None
    if doc_id:
        existing = kind.records(org).get(str(doc_id).lower())
        if existing is None and (path_id or mode == "upsert"):
            return None, [kind.msg_not_found], dict(raw)
    elif mode == "upsert" and raw.get(kind.number_key):
        existing = find_document(org, kind, raw[kind.number_key])
    if existing:
        record, errors = _update(org, kind, existing, raw, now, unitdp)
    else:
        record, errors = _create(org, kind, raw, now, unitdp, doc_id)
    if errors:
        if existing is None and not doc_id:
            record[kind.id_key] = contact_rules.NIL_ID  # as Xero echoes a refused new document
        return None, errors, record
    record["UpdatedDateUTC"] = ms_date(now)
    kind.records(org)[record[kind.id_key].lower()] = record
    if warnings is not None:
        warnings.extend(_day_rate_warning(org, existing, record, raw))
    return record, [], record


def _day_rate_warning(org, existing, record, raw):
    """Xero's warning when it booked a foreign-currency document at its own day rate."""
    code = record["CurrencyCode"]
    if code == org.base_currency or raw.get("CurrencyRate") is not None:
        return []
    if existing is not None and existing.get("CurrencyCode") == code:
        return []  # the stored rate stays
    day = parse_day(record.get("Date"))
    return [MSG_DAY_RATE % (day.isoformat() if day else "today")]


def settle(org, kind, document, now, paid=ZERO, credited=ZERO, paid_on=None):
    """Move a document's AmountPaid / AmountCredited, AmountDue and Status (AUTHORISED <-> PAID)
    by a payment, refund or allocation created (positive) or deleted (negative)."""
    updated = dict(document)
    updated["AmountPaid"] = document.get("AmountPaid", ZERO) + paid
    updated["AmountCredited"] = document.get("AmountCredited", ZERO) + credited
    compute_totals(updated)
    if updated["AmountDue"] <= 0 and updated["Status"] == "AUTHORISED":
        updated["Status"] = "PAID"
        updated["FullyPaidOnDate"] = paid_on
    elif updated["AmountDue"] > 0 and updated["Status"] == "PAID":
        updated["Status"] = "AUTHORISED"
        updated.pop("FullyPaidOnDate", None)
    updated["UpdatedDateUTC"] = ms_date(now)
    kind.records(org)[updated[kind.id_key].lower()] = updated
    return updated
