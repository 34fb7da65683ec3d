"""Invoice lines and totals: LineAmount, per-line tax with Xero's rounding, document totals."""

import uuid
from decimal import Decimal

from .contacts import length_errors
from .wire import quantize, to_decimal

LINE_LIMITS = {"Description": 4000}
# Xero accepts a line TaxAmount that differs slightly from its own per-line calculation.
TAX_TOLERANCE = Decimal("0.05")
ZERO = Decimal("0")
MSG_ACCOUNT_REQUIRED = "Account code must be specified"
MSG_ACCOUNT_INVALID = "Account code '%s' is not a valid code for this document."
MSG_ACCOUNT_ARCHIVED = (
    "Account code '%s' has been archived, or has been deleted. "
    "Each line item must reference a valid account."
)
MSG_TAX_INVALID = (
    "The TaxType code '%s' does not exist or cannot be used for this type of transaction."
)
MSG_QUANTITY = "The quantity value '%s' is invalid. Quantity must not be less than zero."
MSG_TAX_AMOUNT = "Line %d: the TaxAmount %s differs from the calculated tax %s by more than 0.05."
MSG_LINE_AMOUNT = (
    "Line %d: the LineAmount %s does not equal Quantity x UnitAmount less discount (%s)."
)
MSG_TRACKING = "Line %d: a line item can have at most two tracking categories."
MSG_LINE_NOT_FOUND = "Line %d: LineItemID %s does not exist on this invoice."


def number_or(value, default, errors, label):
    """`value` as a Decimal, `default` when absent; a message in `errors` when not a number."""
    if value is None:
        return default
    try:
        return to_decimal(value)
    except ValueError:
        errors.append("%s must be a number." % label)
        return default


def _tax_for(line_amount, rate, amount_types):
    if amount_types == "NoTax":
        return ZERO
    if amount_types == "Inclusive":
        return quantize(line_amount - line_amount / (1 + rate / 100))
    return quantize(line_amount * rate / 100)


def build_line(org, number, raw, base, amount_types, unitdp, require_account, errors):
    """One computed line (LineAmount, TaxAmount) from the sent fields over a stored line."""
    line = dict(base)
    line.update({k: v for k, v in raw.items() if v is not None and k != "ValidationErrors"})
    line.setdefault("LineItemID", str(uuid.uuid4()))
    errors.extend(length_errors(line, LINE_LIMITS, "Line %d: " % number))
    quantity = quantize(number_or(line.get("Quantity"), Decimal(1), errors, "Quantity"), 4)
    unit = number_or(line.get("UnitAmount"), None, errors, "UnitAmount")
    if unit is None:
        sent = number_or(raw.get("LineAmount"), ZERO, errors, "LineAmount")
        unit = sent / quantity if quantity else ZERO
    unit = quantize(unit, 4 if unitdp == 4 else 2)
    discount = number_or(line.get("DiscountRate"), None, errors, "DiscountRate")
    if quantity < 0:
        errors.append(MSG_QUANTITY % quantize(quantity, 4))
    line_amount = quantize(quantity * unit * (1 - (discount or ZERO) / 100))
    sent_amount = number_or(raw.get("LineAmount"), None, errors, "LineAmount")
    if sent_amount is not None and abs(sent_amount - line_amount) > Decimal("0.01"):
        errors.append(MSG_LINE_AMOUNT % (number, sent_amount, line_amount))
    account = None
    if not line.get("AccountCode") and line.get("AccountID"):
        account = org.find_account({"AccountID": line["AccountID"]})
        line["AccountCode"] = (account or {}).get("Code") or line["AccountID"]
    code = line.get("AccountCode")
    if code:
        account = org.find_account({"Code": code})
        if account is None:
            errors.append(MSG_ACCOUNT_INVALID % code)
        elif account.get("Status") != "ACTIVE":
            errors.append(MSG_ACCOUNT_ARCHIVED % code)
    elif require_account:
        errors.append(MSG_ACCOUNT_REQUIRED)
    tax_type = line.get("TaxType") or (account or {}).get("TaxType") or "NONE"
    tax_rate = org.tax_rate(tax_type)
    rate = ZERO
    if tax_rate is None or tax_rate.get("Status") != "ACTIVE":
        errors.append(MSG_TAX_INVALID % tax_type)
    else:
        rate = to_decimal(tax_rate.get("EffectiveRate", 0))
        tax_type = tax_rate["TaxType"]
    tax = _tax_for(line_amount, rate, amount_types)
    sent_tax = number_or(raw.get("TaxAmount"), None, errors, "TaxAmount")
    if sent_tax is not None and amount_types != "NoTax":
        if abs(sent_tax - tax) > TAX_TOLERANCE:
            errors.append(MSG_TAX_AMOUNT % (number, sent_tax, tax))
        else:
            tax = quantize(sent_tax)
    tracking = line.get("Tracking") or []
    if len(tracking) > 2:
        errors.append(MSG_TRACKING % number)
    line.update(
        Quantity=quantity,
        UnitAmount=unit,
        LineAmount=line_amount,
        TaxType=tax_type,
        TaxAmount=tax,
        Tracking=tracking,
    )
    if discount is not None:
        line["DiscountRate"] = discount
    return line


def build_lines(org, current, raw_lines, amount_types, unitdp, require_account, errors):
    by_id = {line["LineItemID"].lower(): line for line in current}
    lines = []
    for number, raw in enumerate(raw_lines if isinstance(raw_lines, list) else [], 1):
        if not isinstance(raw, dict):
            errors.append("Line %d must be an object." % number)
            continue
        base = {}
        if raw.get("LineItemID"):
            base = by_id.get(str(raw["LineItemID"]).lower())
            if base is None and not current:  # a new invoice keeps the ids it is given
                base = {}
            elif base is None:
                errors.append(MSG_LINE_NOT_FOUND % (number, raw["LineItemID"]))
                base = {}
        lines.append(
            build_line(org, number, raw, base, amount_types, unitdp, require_account, errors)
        )
    return lines


def compute_totals(record):
    """SubTotal, TotalTax, Total and AmountDue (less paid and credited) from the lines."""
    lines = record.get("LineItems", [])
    amount_types = record["LineAmountTypes"]
    if amount_types == "NoTax":
        lines = [dict(line, TaxAmount=ZERO) for line in lines]
        record["LineItems"] = lines
    line_sum = sum((line["LineAmount"] for line in lines), ZERO)
    tax = sum((line["TaxAmount"] for line in lines), ZERO)
    record["SubTotal"] = line_sum - tax if amount_types == "Inclusive" else line_sum
    record["TotalTax"] = tax
    record["Total"] = record["SubTotal"] + tax
    record["TotalDiscount"] = sum(
        (quantize(ln["Quantity"] * ln["UnitAmount"]) - ln["LineAmount"] for ln in lines), ZERO
    )
    record["IsDiscounted"] = any(line.get("DiscountRate") for line in lines)
    paid = record.get("AmountPaid", ZERO)
    credited = record.get("AmountCredited", ZERO)
    record["AmountPaid"] = paid
    record["AmountDue"] = (
        ZERO if record["Status"] in ("VOIDED", "DELETED") else record["Total"] - paid - credited
    )
