"""Which Xero tax rate an Odoo sales tax is: by rate, and for 0% by what kind of 0% it is.

Xero organisations hold several 0% sales rates that mean different things to the tax return:
exempt supplies (``EXEMPTOUTPUT``, ``EXEMPTEXPORT``), zero-rated supplies
(``ZERORATEDOUTPUT``) and no tax at all (``NONE``, ``BASEXCLUDED``). A 0% tax is mapped only to
a Xero rate of the same kind, and only when there is exactly one such rate; anything else is
left unmapped with the reason, for a person to decide (an unmapped tax blocks its invoices).

- A Xero rate's kind comes from its ``TaxType`` code, else its ``ReportTaxType`` (codes are
  Xero's meaning; names can be edited by anyone).
- An Odoo tax's kind comes from its e-invoicing category code when it has one (UBL/CII:
  ``E`` exempt, ``Z``/``G`` zero-rated, ``O`` outside the scope of tax), else from the words of
  its name, label on invoices, description and tax group: *exempt* or *free* (GST free), *zero*
  (zero rated), *no GST/VAT/tax*, *out of scope*, *excluded*, *non-taxable*. Words of two kinds
  (e.g. "GST free zero-rated") or of none (e.g. "0%") tell nothing.

Plain Python: no Odoo import.
"""

import re
from decimal import Decimal

from .texts import _lt

EXEMPT, ZERO_RATED, NO_TAX = "exempt", "zero_rated", "no_tax"
KIND_LABELS = {EXEMPT: _lt("exempt"), ZERO_RATED: _lt("zero-rated"), NO_TAX: _lt("no tax")}

_XERO_NO_TAX_CODES = {"NONE", "BASEXCLUDED", "OUTOFSCOPE"}
_CATEGORY_KINDS = {"E": EXEMPT, "Z": ZERO_RATED, "G": ZERO_RATED, "O": NO_TAX}
_WORDS = {
    EXEMPT: re.compile(r"\bexempt|\bfree\b"),
    ZERO_RATED: re.compile(r"\bzero\b"),
    NO_TAX: re.compile(
        r"\bno (?:gst|vat|tax)\b|\bnon[- ]?taxable|\bnot taxable|\bout(?:side)? (?:of )?scope"
        r"|\bexcluded\b|\buntaxed\b"
    ),
}


def _code_kind(code):
    code = (code or "").upper()
    if "EXEMPT" in code:
        return EXEMPT
    if "ZERORATED" in code or code.startswith("ZERO"):
        return ZERO_RATED
    if code in _XERO_NO_TAX_CODES:
        return NO_TAX
    return None


def xero_rate_kind(rate):
    """The kind of a Xero 0% tax rate (``TaxType``, else ``ReportTaxType``), or None."""
    return _code_kind(rate.get("TaxType")) or _code_kind(rate.get("ReportTaxType"))


def odoo_tax_kind(texts, category_code=None):
    """The kind of an Odoo 0% tax from its category code, else its words; None if unclear."""
    if category_code:
        return _CATEGORY_KINDS.get(category_code.upper())
    words = " ".join(t for t in texts if t).lower()
    kinds = {kind for kind, pattern in _WORDS.items() if pattern.search(words)}
    return kinds.pop() if len(kinds) == 1 else None


def _rate(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def match_sales_rate(amount, kind, rates):
    """The Xero rate an Odoo sales tax of ``amount`` % (and ``kind`` when 0%) maps to.

    :param rates: Xero TaxRates that may be used on revenue (active).
    :return: ``(rate or None, why)``: the one rate of that percentage (and kind), or None and
        a sentence saying why none was chosen.
    """
    same = [r for r in rates if _rate(r.get("EffectiveRate")) == _rate(amount)]
    if _rate(amount) == 0:
        if kind is None:
            return None, _lt("cannot tell whether it is exempt, zero-rated or no tax")
        same = [r for r in same if xero_rate_kind(r) == kind]
        what = _lt("%s 0%% sales rate", KIND_LABELS[kind])
    else:
        what = _lt("sales rate of %s%%", _rate(amount).normalize())
    if len(same) == 1:
        return same[0], None
    if not same:
        return None, _lt("Xero has no %s", what)
    names = ", ".join(sorted("%s (%s)" % (r.get("Name"), r.get("TaxType")) for r in same))
    return None, _lt(
        "Xero has several, nothing to choose by (%(what)s): %(names)s", what=what, names=names
    )
