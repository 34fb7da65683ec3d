"""What Xero will compute (payloads/totals.py), exact lines, and the invoice payload's check
against Odoo's totals; the same arithmetic checked against the emulator through the gateway."""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from gateway_fixtures import make_gateway
from xero_api.payloads import PayloadError, invoice_payload, invoice_update_payload
from xero_api.payloads import totals as xt

D = Decimal


def odoo_amount(quantity, price, discount=0):
    """An Odoo line's subtotal: quantity x price x (1 - discount), rounded half-up to cents."""
    raw = D(str(quantity)) * D(str(price)) * (1 - D(str(discount)) / 100)
    return raw.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def values(lines, **changes):
    result = {
        "number": "INV/2026/00099",
        "contact_id": "5c7f2d1a-3b4e-4f6a-8c9d-0e1f2a3b4c5d",
        "date": datetime.date(2026, 10, 31),
        "due_date": datetime.date(2026, 11, 30),
        "currency": "NZD",
        "status": "AUTHORISED",
        "line_amount_types": "Exclusive",
        "lines": lines,
    }
    result.update(changes)
    return result


def line(quantity, price, discount=0, tax=None, rate=15, target=None, **changes):
    amount = odoo_amount(quantity, price, discount) if target is None else D(str(target))
    result = {
        "description": "Calls",
        "quantity": quantity,
        "unit_price": price,
        "discount": discount,
        "account_code": "200",
        "tax_type": "OUTPUT2",
        "tax_amount": xt.line_tax(amount, rate, "Exclusive") if tax is None else tax,
        "tax_rate": rate,
        "line_amount": amount,
    }
    result.update(changes)
    return result


# -- Xero's arithmetic ---------------------------------------------------------------------------


def test_line_amount_from_4_decimal_unit_amounts():
    assert xt.line_amount(412, D("0.01234")) == D("5.07")  # 412 x 0.0123 = 5.0676
    assert odoo_amount(412, "0.01234") == D("5.08")  # Odoo: 412 x 0.01234 = 5.08408
    assert xt.line_amount(D("2.5"), D("0.123456")) == D("0.31")  # 2.5 x 0.1235 = 0.30875
    assert xt.line_amount(412, D("0.01234"), D("7.5")) == D("4.69")  # 5.0676 x 0.925 = 4.68753


def test_rounding_is_half_away_from_zero():
    assert xt.line_amount(1, D("0.005")) == D("0.01")
    assert xt.line_amount(1, D("-0.005")) == D("-0.01")
    assert xt.line_tax(D("0.10"), 15, "Exclusive") == D("0.02")  # 0.015
    assert xt.line_tax(D("-0.10"), 15, "Exclusive") == D("-0.02")
    assert xt.line_tax(D("115.00"), 15, "Inclusive") == D("15.00")
    assert xt.line_tax(D("10.00"), 15, "Inclusive") == D("1.30")  # 1.3043...
    assert xt.line_tax(D("10.00"), 15, "NoTax") == 0


def test_tax_override_tolerance():
    assert xt.tax_accepted(D("100"), D("15.05"), 15, "Exclusive")
    assert not xt.tax_accepted(D("100"), D("15.06"), 15, "Exclusive")
    assert xt.tax_accepted(D("100"), D("99"), None, "Exclusive"), "unknown rate: Xero judges"
    assert xt.tax_accepted(D("100"), D("99"), 15, "NoTax")


@pytest.mark.parametrize(
    "quantity, price, discount, kept",
    [
        (412, "0.01234", 0, False),
        (412, "0.01234", "7.5", False),
        ("2.5", "0.123456", 0, True),  # 0.1235 x 2.5 rounds to Odoo's 0.31
        ("2.5", "0.123456", "7.5", True),
        (3, "19.99", "12.5", True),
        (-1, "10", 0, False),  # Xero refuses a negative quantity
    ],
)
def test_exact_line(quantity, price, discount, kept):
    target = odoo_amount(quantity, price, discount)
    exact = xt.exact_line(quantity, price, discount, target)
    assert (exact is None) == kept
    if exact is not None:
        q, unit, rate = exact
        assert q == 1 and rate == D(str(discount)).quantize(D("0.01"))
        assert xt.line_amount(q, unit, rate) == target
        assert unit == unit.quantize(D("0.0001")), "UnitAmount fits unitdp=4"


def test_exact_line_any_cent_any_discount():
    """Quantity 1 with a 4-decimal unit amount reaches every cent, whatever the discount."""
    rng = random.Random(12)
    for _i in range(5000):
        quantity = D(rng.randint(0, 100000)) / 1000
        price = D(rng.randint(-2000000, 2000000)) / 10 ** rng.choice((5, 6))
        discount = D(rng.choice((0, rng.randint(1, 9999)))) / 100
        target = odoo_amount(quantity, price, discount) + D(rng.choice((0, 0, 1, -1, 3))) / 100
        exact = xt.exact_line(quantity, price, discount, target)
        got = xt.line_amount(*exact) if exact else xt.line_amount(quantity, price, discount)
        assert got == target, (quantity, price, discount, target, exact)


def test_exact_line_without_discounts():
    assert xt.exact_line(412, D("0.01234"), D("7.5"), D("4.70"), keep_discount=False) == (
        1,
        D("4.70"),
        0,
    )
    assert xt.exact_line(2, D("10"), 0, D("20.00"), keep_discount=False) is None


def test_xero_totals_exclusive_and_inclusive():
    items = [
        {"Description": "Section"},
        {"Quantity": 1.0, "UnitAmount": 5.0841, "TaxAmount": 0.76},
        {"Quantity": 2.5, "UnitAmount": 0.1235},
    ]
    got = xt.xero_totals(items, "Exclusive", [None, 15, 15])
    assert got.line_amounts == [0, D("5.08"), D("0.31")]
    assert got.line_taxes == [0, D("0.76"), D("0.05")]
    assert (got.sub_total, got.total_tax, got.total) == (D("5.39"), D("0.81"), D("6.20"))
    # Inclusive: Xero's own tax on 5.08 is 0.66; 0.76 is too far from it and is not kept.
    inclusive = xt.xero_totals(items[1:], "Inclusive", [15, 15])
    assert (inclusive.total, inclusive.total_tax) == (D("5.39"), D("0.70"))  # 0.66 + 0.04
    items[1]["TaxAmount"] = 0.68
    inclusive = xt.xero_totals(items[1:], "Inclusive", [15, 15])
    assert (inclusive.sub_total, inclusive.total_tax) == (D("4.67"), D("0.72"))


def test_currency_rate_prefers_the_senders_rate():
    assert xt.currency_rate(D("115.00"), D("127.78"), 0.9) == D("0.9")
    assert xt.currency_rate(D("115.00"), D("127.78"), 1 / 1.1111111) == D("0.900000")
    # Odoo converted two lines of 5.00 one by one: 5.56 + 5.56 = 11.12, not 10 / 0.9 = 11.11.
    rate = xt.currency_rate(D("10.00"), D("11.12"), 0.9)
    assert rate == D("0.899281")
    assert (D("10.00") / rate).quantize(D("0.01")) == D("11.12")
    assert xt.currency_rate(D("10.00"), D("0"), 0.9) == D("0.9")
    assert xt.currency_rate(D("0"), D("0"), None) is None


# -- the invoice payload -------------------------------------------------------------------------


def test_payload_sends_exact_lines():
    lines = [line(412, 0.01234, 7.5), line(2.5, 0.123456), line(3, 19.99)]
    # 4.70 + 0.31 + 59.97 and their taxes 0.71 + 0.05 + 9.00
    invoice, warnings = invoice_payload(values(lines, total=D("74.74"), total_tax=D("9.76")))
    assert warnings == [], "exact lines are not worth a warning"
    minutes, small, plain = invoice["LineItems"]
    assert minutes["Description"] == "Calls (412 × 0.01234, less 7.5%)"
    assert (minutes["Quantity"], minutes["DiscountRate"]) == (1.0, 7.5)
    assert xt.line_amount(1, minutes["UnitAmount"], 7.5) == D("4.70")
    assert (small["Quantity"], small["UnitAmount"], small["Description"]) == (2.5, 0.1235, "Calls")
    assert (plain["Quantity"], plain["UnitAmount"]) == (3.0, 19.99)
    assert invoice["Status"] == "AUTHORISED"


def test_payload_without_discounts_for_credit_notes():
    invoice, _warnings = invoice_payload(values([line(412, 0.01234, 7.5)], discounts=False))
    item = invoice["LineItems"][0]
    assert (item["Quantity"], item["UnitAmount"]) == (1.0, 4.70)
    assert "DiscountRate" not in item


def test_payload_draft_when_xero_would_differ():
    """Xero's 10 % tax type cannot carry Odoo's 15 %: the override is left out, and the
    invoice goes DRAFT with both totals named."""
    lines = [line(1, 100, tax=D("15.00"), rate=10)]
    invoice, warnings = invoice_payload(values(lines, total=D("115.00"), total_tax=D("15.00")))
    assert invoice["Status"] == "DRAFT"
    assert "TaxAmount" not in invoice["LineItems"][0]
    assert any("Xero's tax at 10" in w for w in warnings)
    assert any(
        "total of 110.00 (tax 10.00) where Odoo has 115.00 (tax 15.00)" in w and "DRAFT" in w
        for w in warnings
    )
    # An update cannot be downgraded: it is not sent.
    update = values(lines, total=D("115.00"), total_tax=D("15.00"), status=None, invoice_id="x")
    with pytest.raises(PayloadError, match="difference of -5.00; not sent"):
        invoice_update_payload(update, paid=False)
    # A paid invoice keeps Xero's amounts: nothing to compare.
    assert invoice_update_payload(update, paid=True)[0]["InvoiceID"] == "x"


def test_payload_currency_rate():
    invoice, _warnings = invoice_payload(values([line(1, 100)], currency="AUD", currency_rate=0.9))
    assert invoice["CurrencyRate"] == 0.9
    with pytest.raises(PayloadError, match="not above zero"):
        invoice_payload(values([line(1, 100)], currency_rate=0))


# -- the same arithmetic, computed by the emulator -----------------------------------------------


def test_emulator_computes_what_the_payload_predicts(emu):
    """Random per-minute invoices: what Xero (the emulator) stores is what was predicted, and
    every line amount is Odoo's."""
    tokens = {}
    gateway = make_gateway(emu.url, token_getter=lambda: tokens["access"])
    tokens["access"] = gateway.fetch_client_credentials_token()["access_token"]
    contact = gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Per Minute Ltd"}]})[
        "Contacts"
    ][0]
    rng = random.Random(5)
    bodies, expected = [], []
    for number in range(40):
        amount_types = rng.choice(("Exclusive", "Inclusive", "NoTax"))
        lines = []
        for _i in range(rng.randint(1, 6)):
            quantity = rng.choice((412, 2.5, 1, 37.25, 1234))
            price = round(rng.uniform(0.001, 0.2), rng.choice((5, 6)))
            discount = rng.choice((0, 7.5, 12.35))
            amount = odoo_amount(quantity, price, discount)
            tax = xt.line_tax(amount, 15, amount_types)
            lines.append(line(quantity, price, discount, tax=tax, target=amount))
        total = sum(ln["line_amount"] for ln in lines)
        total_tax = sum(ln["tax_amount"] for ln in lines) if amount_types != "NoTax" else 0
        if amount_types == "Exclusive":
            total += total_tax
        invoice, warnings = invoice_payload(
            values(
                lines,
                contact_id=contact["ContactID"],
                number="PM-%03d" % number,
                line_amount_types=amount_types,
                total=total,
                total_tax=total_tax,
            )
        )
        assert invoice["Status"] == "AUTHORISED", warnings
        bodies.append(invoice)
        expected.append((total, total_tax, [ln["line_amount"] for ln in lines]))
    answer = gateway.call(
        "create_invoices", invoices={"Invoices": bodies}, summarize_errors=False, unitdp=4
    )
    for stored, (total, total_tax, amounts) in zip(answer["Invoices"], expected, strict=True):
        assert stored["StatusAttributeString"] == "OK", stored.get("ValidationErrors")
        assert D(str(stored["Total"])) == total
        assert D(str(stored["TotalTax"])) == total_tax
        assert [D(str(li["LineAmount"])) for li in stored["LineItems"]] == amounts
