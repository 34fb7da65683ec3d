"""What Xero will compute from an invoice or credit note, worked out before it is sent.

Xero's arithmetic (its documentation, as the bundled emulator models it: ``emulator/README.md``,
"Invoices"):

- Quantity and UnitAmount are kept to 4 decimals (this addon always sends ``unitdp=4``),
  DiscountRate to 2;
- ``LineAmount = round(Quantity x UnitAmount x (1 - DiscountRate / 100), 2)``;
- tax per line, rounded half away from zero: Exclusive ``round(LineAmount x rate / 100, 2)``,
  Inclusive ``LineAmount - LineAmount / (1 + rate / 100)`` rounded, NoTax 0; a ``TaxAmount`` sent
  with the line is kept when it is within 0.05 of that, else the document is refused;
- SubTotal, TotalTax and Total add the lines up (Inclusive: Total is the lines' sum and SubTotal
  is Total - TotalTax).

Everything here is exact decimal arithmetic (``Decimal``), rounded half away from zero, never
float rounding. Plain Python: no Odoo, no I/O.
"""

from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal

UNIT_PLACES = 4  # Quantity and UnitAmount, with unitdp=4
DISCOUNT_PLACES = 2
RATE_PLACES = 6  # CurrencyRate: "max length = [18].[6]" (Xero's OpenAPI spec)
TAX_TOLERANCE = Decimal("0.05")  # how far a sent TaxAmount may be from Xero's own
CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

Totals = namedtuple("Totals", "sub_total total_tax total line_amounts line_taxes")


def to_decimal(value):
    """``value`` (Decimal, int, float or numeric string; None or False = 0) as a Decimal.

    Floats go through ``str`` so that 0.1 is 0.1, not its binary expansion.
    """
    if value is None or value is False:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round_half_up(value, places=2):
    """Round half away from zero to ``places`` decimals, as Xero rounds."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_amount, discount=None):
    """Xero's LineAmount for a line sent with these values (each rounded as Xero keeps it)."""
    quantity = round_half_up(quantity, UNIT_PLACES)
    unit_amount = round_half_up(unit_amount, UNIT_PLACES)
    factor = 1 - round_half_up(discount, DISCOUNT_PLACES) / HUNDRED
    return round_half_up(quantity * unit_amount * factor)


def line_tax(amount, rate, amount_types):
    """Xero's own tax for a line of LineAmount ``amount`` at ``rate`` percent."""
    amount, rate = to_decimal(amount), to_decimal(rate)
    if amount_types == "NoTax":
        return ZERO
    if amount_types == "Inclusive":
        return round_half_up(amount - amount / (1 + rate / HUNDRED))
    return round_half_up(amount * rate / HUNDRED)


def tax_accepted(amount, tax_amount, rate, amount_types):
    """True when Xero keeps ``tax_amount`` sent with a line of LineAmount ``amount``.

    ``rate`` None (unknown to the sender) is taken as accepted: Xero is then the judge.
    """
    if rate is None or amount_types == "NoTax":
        return True
    gap = abs(round_half_up(tax_amount) - line_tax(amount, rate, amount_types))
    return gap <= TAX_TOLERANCE


def exact_line(quantity, unit_amount, discount, target, keep_discount=True):
    """How to send a line so that Xero's LineAmount is exactly ``target``.

    :return: None when ``quantity``, ``unit_amount`` and ``discount`` as Xero keeps them already
        give ``target`` (and the quantity is not negative, which Xero refuses); else
        ``(1, unit, discount)``: quantity 1 and a 4-decimal unit amount that, with the same
        discount (rounded to 2 decimals), gives ``target``. The unit amount is the line's amount
        before discount (``quantity x unit_amount``) when that works, else
        ``target / (1 - discount / 100)``: a 4-decimal value is within 0.00005 of it, so the
        discounted amount is within half a cent of ``target`` and rounds to it.
        ``keep_discount=False`` (a document without discounts, such as Xero's credit notes):
        a discounted line is always sent as ``(1, target, 0)``.
    """
    target = round_half_up(target)
    quantity = to_decimal(quantity)
    discount = round_half_up(discount, DISCOUNT_PLACES)
    if not keep_discount and discount:
        return Decimal(1), target, ZERO
    if quantity >= 0 and line_amount(quantity, unit_amount, discount) == target:
        return None
    factor = 1 - discount / HUNDRED
    unit = round_half_up(quantity * to_decimal(unit_amount), UNIT_PLACES)
    if factor > 0 and line_amount(1, unit, discount) != target:
        unit = round_half_up(target / factor, UNIT_PLACES)
    return Decimal(1), unit, discount


def xero_totals(items, amount_types, rates=None):
    """What Xero computes for these ``LineItems`` (payload dicts), line by line and in total.

    ``rates``: each item's tax rate in percent, in order (None: unknown, a sent TaxAmount is then
    taken as kept). Items without Quantity and UnitAmount (descriptions) count for nothing.

    :return: ``Totals(sub_total, total_tax, total, line_amounts, line_taxes)``, Decimals, one
        line amount and tax per item (0 for descriptions).
    """
    rates = list(rates or [])
    amounts, taxes = [], []
    for index, item in enumerate(items):
        if "UnitAmount" not in item:
            amounts.append(ZERO)
            taxes.append(ZERO)
            continue
        rate = rates[index] if index < len(rates) else None
        amount = line_amount(item.get("Quantity", 1), item["UnitAmount"], item.get("DiscountRate"))
        sent = item.get("TaxAmount")
        if amount_types == "NoTax":
            tax = ZERO
        elif sent is not None and tax_accepted(amount, sent, rate, amount_types):
            tax = round_half_up(sent)
        else:
            tax = line_tax(amount, rate or 0, amount_types)
        amounts.append(amount)
        taxes.append(tax)
    lines_sum, total_tax = sum(amounts, ZERO), sum(taxes, ZERO)
    if amount_types == "Inclusive":
        return Totals(lines_sum - total_tax, total_tax, lines_sum, amounts, taxes)
    return Totals(lines_sum, total_tax, lines_sum + total_tax, amounts, taxes)


def currency_rate(total, base_total, rate):
    """The ``CurrencyRate`` (6 decimals) to send with a foreign-currency document or payment.

    ``rate`` is the sender's own rate (units of the document's currency per unit of the base
    currency, Xero's convention), ``total`` the amount in the document's currency and
    ``base_total`` what the sender booked for it in the base currency. Xero's base amount is
    ``total / CurrencyRate``: the sender's rate rounded to 6 decimals is kept when that gives
    ``base_total`` to the cent; otherwise the booked ratio ``total / base_total`` (6 decimals)
    when it does (the sender's rounding moved a cent); otherwise the sender's rate.

    :return: a Decimal, or None when there is no usable rate.
    """
    total, base_total = abs(to_decimal(total)), abs(to_decimal(base_total))
    candidates = []
    if rate:
        candidates.append(round_half_up(rate, RATE_PLACES))
    if total and base_total:
        candidates.append(round_half_up(total / base_total, RATE_PLACES))
    candidates = [c for c in candidates if c > 0]
    for candidate in candidates:
        if not base_total or round_half_up(total / candidate) == base_total:
            return candidate
    return candidates[0] if candidates else None
