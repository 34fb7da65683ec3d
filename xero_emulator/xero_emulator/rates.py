"""Currency rates: what a document or payment is booked at when it is sent without one.

Xero's `CurrencyRate` is units of the document's currency per one unit of the organisation's
base currency (an NZD organisation books a USD invoice at about 0.6). A rate sent with a
foreign-currency document is kept as sent; without one Xero takes XE.com's rate of the day.
The emulator's "day rate" is a fixed table, the same every day, so tests stay deterministic;
it is never 1 for a foreign currency. A base-currency document is always at 1 (Xero uses the
rate "only for non base currency invoices and credit notes").
"""

from decimal import Decimal

from .wire import quantize, to_decimal

# Units of each currency per 1 NZD; the rate between two others is the ratio of theirs.
PER_NZD = {
    "NZD": Decimal("1"),
    "AUD": Decimal("0.92"),
    "USD": Decimal("0.60"),
    "EUR": Decimal("0.55"),
    "GBP": Decimal("0.47"),
    "CAD": Decimal("0.82"),
    "CHF": Decimal("0.53"),
    "JPY": Decimal("90"),
    "SGD": Decimal("0.80"),
    "ZAR": Decimal("11"),
}
RATE_PLACES = 6
MSG_RATE = "CurrencyRate must be greater than zero."
MSG_DAY_RATE = "No currency rate was given: the rate of %s from XE.com was used."


def _per_nzd(code):
    if code in PER_NZD:
        return PER_NZD[code]
    # A currency outside the table: a fixed value between 1.07 and 1.95 derived from its code.
    return Decimal(1) + Decimal(sum(map(ord, code)) % 89 + 7) / 100


def day_rate(base, code):
    """The emulator's day rate of `code` against `base` (1 for the base currency)."""
    if not code or code == base:
        return Decimal(1)
    rate = quantize(_per_nzd(code) / _per_nzd(base), RATE_PLACES)
    return rate if rate != 1 else Decimal("1.010000")


def document_rate(org, code, raw, errors):
    """The rate to book a document or payment in currency `code`, from the sent `raw`.

    Returns None when the stored rate should stay (foreign currency, nothing sent): callers
    then keep theirs or take `day_rate`. A sent rate that is not a positive number is refused.
    """
    if code == org.base_currency:
        return Decimal(1)
    sent = raw.get("CurrencyRate")
    if sent is None:
        return None
    try:
        rate = to_decimal(sent)
    except ValueError:
        errors.append("CurrencyRate must be a number.")
        return None
    if rate <= 0:
        errors.append(MSG_RATE)
        return None
    return rate
