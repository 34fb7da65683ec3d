"""0% sales taxes map by kind (exempt, zero-rated, no tax), never to the first 0% rate."""

from xero_api.tax_kinds import (
    EXEMPT,
    NO_TAX,
    ZERO_RATED,
    match_sales_rate,
    odoo_tax_kind,
    xero_rate_kind,
)

# The emulator's (and a New Zealand organisation's) default sales rates, plus a UK-style one.
OUTPUT2 = {"TaxType": "OUTPUT2", "Name": "15% GST on Income", "EffectiveRate": 15.0}
EXEMPT_RATE = {"TaxType": "EXEMPTOUTPUT", "Name": "Zero Rated Income", "EffectiveRate": 0.0}
NONE_RATE = {"TaxType": "NONE", "Name": "No GST", "EffectiveRate": 0.0}
ZERO_RATE = {"TaxType": "ZERORATEDOUTPUT", "Name": "Zero Rated Income", "EffectiveRate": 0}
RATES = [OUTPUT2, EXEMPT_RATE, NONE_RATE, ZERO_RATE]


def test_xero_kind_from_codes_not_names():
    assert xero_rate_kind(EXEMPT_RATE) == EXEMPT  # named "Zero Rated" in NZ: the code decides
    assert xero_rate_kind(NONE_RATE) == NO_TAX
    assert xero_rate_kind(ZERO_RATE) == ZERO_RATED
    assert xero_rate_kind({"TaxType": "BASEXCLUDED"}) == NO_TAX
    assert xero_rate_kind({"TaxType": "TAX002", "ReportTaxType": "EXEMPTOUTPUT"}) == EXEMPT
    assert xero_rate_kind({"TaxType": "INPUTTAXED", "ReportTaxType": "INPUTTAXED"}) is None


def test_odoo_kind_from_words_or_category():
    assert odoo_tax_kind(["Exempt"]) == EXEMPT
    assert odoo_tax_kind(["0% F", "GST Free Sales"]) == EXEMPT  # Odoo's Australian chart
    assert odoo_tax_kind(["0% EX", "Zero/Export (0%) Sale"]) == ZERO_RATED  # New Zealand
    assert odoo_tax_kind(["0%", "Zero Rated Sales"]) == ZERO_RATED  # United Kingdom
    assert odoo_tax_kind(["No GST"]) == NO_TAX
    assert odoo_tax_kind(["Out of scope"]) == NO_TAX
    assert odoo_tax_kind(["0%"]) is None
    assert odoo_tax_kind(["0% EU (NIR)"]) is None
    assert odoo_tax_kind(["Zero rated, exempt"]) is None  # two kinds: cannot tell
    assert odoo_tax_kind(["0%"], category_code="E") == EXEMPT
    assert odoo_tax_kind(["Exempt"], category_code="Z") == ZERO_RATED  # the code decides
    assert odoo_tax_kind(["0%"], category_code="S") is None


def test_match_by_rate_and_kind():
    assert match_sales_rate(15.0, None, RATES) == (OUTPUT2, None)
    assert match_sales_rate(0.0, EXEMPT, RATES) == (EXEMPT_RATE, None)
    assert match_sales_rate(0.0, NO_TAX, RATES) == (NONE_RATE, None)
    assert match_sales_rate(0.0, ZERO_RATED, RATES) == (ZERO_RATE, None)


def test_no_guess_when_unclear():
    rate, why = match_sales_rate(0.0, None, RATES)
    assert rate is None and "cannot tell" in why
    rate, why = match_sales_rate(0.0, ZERO_RATED, [OUTPUT2, EXEMPT_RATE, NONE_RATE])
    assert rate is None and why == "Xero has no zero-rated 0% sales rate"
    export = {"TaxType": "EXEMPTEXPORT", "Name": "GST Free Exports", "EffectiveRate": 0}
    rate, why = match_sales_rate(0.0, EXEMPT, [EXEMPT_RATE, export])
    assert rate is None
    assert "several" in why and "EXEMPTEXPORT" in why and "EXEMPTOUTPUT" in why
    rate, why = match_sales_rate(12.5, None, RATES)
    assert rate is None and why == "Xero has no sales rate of 12.5%"
