"""Credit note allocations: `PUT /CreditNotes/{id}/Allocations`, `DELETE .../{AllocationID}`.

An allocation applies part of a credit note's RemainingCredit to an invoice of the same contact,
type and currency: the invoice's AmountCredited grows and its AmountDue shrinks (PAID at 0), the
credit note's RemainingCredit shrinks (PAID at 0). Deleting one undoes both; each side's
UpdatedDateUTC moves either way.
"""

import uuid

from .credit_notes import CREDIT_NOTE, INVOICE_TYPE_FOR, allocation_summary
from .documents import MSG_LOCKED, settle
from .invoices import INVOICE, find_invoice
from .lines import ZERO
from .wire import day_ms_date, parse_day, quantize, to_decimal

# Xero's own wording, as reported by its API users.
MSG_PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
MSG_OVER_INVOICE = "Credit Note cannot be allocated as amount is greater than amount outstanding"
# The emulator's wording (Xero's is not known).
MSG_WRONG_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"
MSG_OVER_CREDIT = "Amount applied is greater than the remaining credit on this credit note."
MSG_NOTE_NOT_AUTHORISED = "Only an Authorised credit note can be allocated."
MSG_INVOICE_NOT_AUTHORISED = "Credit notes can only be allocated to Authorised invoices."
MSG_CONTACT = "The credit note and the invoice must be for the same contact."
MSG_CURRENCY = "The credit note and the invoice must be in the same currency."
MSG_POSITIVE = "The allocation Amount must be greater than zero."
MSG_INVOICE_REQUIRED = "An Invoice (InvoiceID or InvoiceNumber) must be specified."
MSG_INVOICE_NOT_FOUND = "Document could not be found"
MSG_DATE_REQUIRED = "A valid allocation Date must be specified."
MSG_AMOUNT_REQUIRED = "An allocation Amount must be specified."


def _invoice(org, raw, errors):
    ref = raw.get("Invoice")
    if not isinstance(ref, dict) or not (ref.get("InvoiceID") or ref.get("InvoiceNumber")):
        errors.append(MSG_INVOICE_REQUIRED)
        return None
    invoice = find_invoice(org, ref.get("InvoiceID") or ref.get("InvoiceNumber"))
    if invoice is None:
        errors.append(MSG_INVOICE_NOT_FOUND)
    return invoice


def _amount(raw, errors):
    if raw.get("Amount") is None:
        errors.append(MSG_AMOUNT_REQUIRED)
        return None
    try:
        amount = quantize(to_decimal(raw["Amount"]))
    except ValueError:
        errors.append("Amount must be a number.")
        return None
    if amount <= 0:
        errors.append(MSG_POSITIVE)
        return None
    return amount


def _against_invoice(note, invoice, amount, errors):
    if invoice["Type"] != INVOICE_TYPE_FOR[note["Type"]]:
        errors.append(MSG_WRONG_TYPE)
    if invoice["Status"] == "PAID":
        errors.append(MSG_PAID_OFF)
    elif invoice["Status"] != "AUTHORISED":
        errors.append(MSG_INVOICE_NOT_AUTHORISED)
    if invoice["Contact"]["ContactID"].lower() != note["Contact"]["ContactID"].lower():
        errors.append(MSG_CONTACT)
    if invoice["CurrencyCode"] != note["CurrencyCode"]:
        errors.append(MSG_CURRENCY)
    live = invoice["Status"] in ("AUTHORISED", "PAID")
    if amount is not None and live and amount > invoice.get("AmountDue", ZERO):
        errors.append(MSG_OVER_INVOICE)


def _echo(raw, day, note):
    """A refused allocation as echoed: xero-python refuses an Allocation without Amount, Date
    or Invoice, so those are always there (the schema check makes them required anyway)."""
    echo = {k: v for k, v in raw.items() if k not in ("Date", "Amount", "Invoice")}
    echo["Invoice"] = raw["Invoice"] if isinstance(raw.get("Invoice"), dict) else {}
    echo["Date"] = day_ms_date(day) if day is not None else note["Date"]
    try:
        echo["Amount"] = quantize(to_decimal(raw.get("Amount")))
    except ValueError:
        echo["Amount"] = ZERO
    return echo


def allocate(org, credit_note_id, raw, now, allocation_id=None):
    """Apply one allocation of credit note `credit_note_id` (which must exist); a seed may
    give the `allocation_id` to keep.

    Returns (stored record or None, errors, echo); nothing is stored on error.
    """
    note = org.credit_notes[str(credit_note_id).lower()]
    if not isinstance(raw, dict):
        return None, ["An allocation must be a JSON object."], _echo({}, None, note)
    errors = []
    invoice = _invoice(org, raw, errors)
    day = parse_day(raw.get("Date")) if raw.get("Date") not in (None, "") else None
    if day is None:
        errors.append(MSG_DATE_REQUIRED)
    elif org.locked(day):
        errors.append(MSG_LOCKED % org.lock_date.isoformat())
    amount = _amount(raw, errors)
    if note["Status"] not in ("AUTHORISED", "PAID"):
        errors.append(MSG_NOTE_NOT_AUTHORISED)
    elif amount is not None and amount > note.get("AmountDue", ZERO):
        errors.append(MSG_OVER_CREDIT)
    if invoice is not None:
        _against_invoice(note, invoice, amount, errors)
    if errors:
        return None, errors, _echo(raw, day, note)
    record = {
        "AllocationID": allocation_id or str(uuid.uuid4()),
        "Amount": amount,
        "Date": day_ms_date(day),
        "CreditNote": {"CreditNoteID": note["CreditNoteID"]},
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
    }
    org.allocations[record["AllocationID"].lower()] = record
    settle(org, INVOICE, invoice, now, credited=amount, paid_on=record["Date"])
    settle(org, CREDIT_NOTE, note, now, credited=amount, paid_on=record["Date"])
    return record, [], record


def find_allocation(org, credit_note_id, allocation_id):
    """The live allocation `allocation_id` of credit note `credit_note_id`, or None."""
    record = org.allocations.get(str(allocation_id).lower())
    if record and record["CreditNote"]["CreditNoteID"].lower() == str(credit_note_id).lower():
        return record
    return None


def delete_allocation(org, record, now):
    """Undo an allocation; returns the errors ([] when deleted)."""
    if org.locked(parse_day(record["Date"])):
        return [MSG_LOCKED % org.lock_date.isoformat()]
    del org.allocations[record["AllocationID"].lower()]
    invoice = org.invoices.get(record["Invoice"]["InvoiceID"].lower())
    if invoice is not None:
        settle(org, INVOICE, invoice, now, credited=-record["Amount"])
    note = org.credit_notes.get(record["CreditNote"]["CreditNoteID"].lower())
    if note is not None:
        settle(org, CREDIT_NOTE, note, now, credited=-record["Amount"])
    return []


def render_allocation(org, record, deleted=None):
    """The allocation as Xero returns it (with `IsDeleted` once deleted)."""
    out = allocation_summary(org, record)
    note = org.credit_notes.get(record["CreditNote"]["CreditNoteID"].lower(), {})
    out["CreditNote"] = {
        "CreditNoteID": record["CreditNote"]["CreditNoteID"],
        "CreditNoteNumber": note.get("CreditNoteNumber", ""),
    }
    if deleted is not None:
        out["IsDeleted"] = deleted
    return out
