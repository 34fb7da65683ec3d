"""split_phone: written numbers to Xero Phone dicts (no Odoo needed)."""

import pytest
from xero_api.phones import split_phone

SPLIT_CASES = [
    # number, region, phone type, (country, area, number)
    ("09 123 4567", "NZ", "DEFAULT", ("64", "9", "1234567")),
    ("+64 9 300 1234", None, "DEFAULT", ("64", "9", "3001234")),
    ("0064 9 300 1234", "NZ", "DEFAULT", ("64", "9", "3001234")),
    ("(03) 123 4567", "nz", "DEFAULT", ("64", "3", "1234567")),
    ("+64 (0)9 123 4567", None, "DEFAULT", ("64", "9", "1234567")),
    ("+64 (0)9 300 1234", "AU", "DEFAULT", ("64", "9", "3001234")),
    ("021 123 4567", "NZ", "MOBILE", ("64", "21", "1234567")),
    ("0800 123 456", "NZ", "DEFAULT", ("64", "800", "123456")),
    ("(02) 9876 5432", "AU", "DEFAULT", ("61", "2", "98765432")),
    ("0412 345 678", "AU", "MOBILE", ("61", "412", "345678")),
    ("020 7946 0958", "GB", "DEFAULT", ("44", "20", "79460958")),
    ("+44 20 7946 0958", "NZ", "DEFAULT", ("44", "20", "79460958")),
    ("07700 900123", "GB", "MOBILE", ("44", "7700", "900123")),
    ("+1 415-555-2671", None, "DEFAULT", ("1", "415", "5552671")),
    ("(415) 555-2671", "US", "DEFAULT", ("1", "415", "5552671")),
    ("555-1234", "US", "DEFAULT", ("1", "", "5551234")),
    ("01 23 45 67 89", "FR", "DEFAULT", ("33", "1", "23456789")),
    ("06 12 34 56 78", "FR", "MOBILE", ("33", "6", "12345678")),
    ("+39 06 1234 5678", None, "DEFAULT", ("39", "06", "12345678")),
    ("+65 6123 4567", None, "FAX", ("65", "", "61234567")),
    ("+1 415 555 2671 x 12", None, "DDI", ("1", "415", "5552671 ext. 12")),
]


@pytest.mark.parametrize("number, region, phone_type, expected", SPLIT_CASES)
def test_split_phone(number, region, phone_type, expected):
    phone, warnings = split_phone(number, region, phone_type)
    country, area, rest = expected
    assert phone == {
        "PhoneType": phone_type,
        "PhoneCountryCode": country,
        "PhoneAreaCode": area,
        "PhoneNumber": rest,
    }
    assert warnings == []


RAW_CASES = [
    # number, region, PhoneNumber sent
    ("1234567", None, "1234567"),  # no + and no country to read it with
    ("call me maybe", "NZ", "call me maybe"),
    ("  123  ", "NZ", "123"),  # too short to be a number anywhere
    ("ask\x07 reception", "GB", "ask reception"),  # control character dropped
]


@pytest.mark.parametrize("number, region, sent", RAW_CASES)
def test_unreadable_number_sent_whole_with_warning(number, region, sent):
    phone, warnings = split_phone(number, region)
    assert phone == {
        "PhoneType": "DEFAULT",
        "PhoneCountryCode": "",
        "PhoneAreaCode": "",
        "PhoneNumber": sent,
    }
    assert len(warnings) == 1
    assert "could not be read" in warnings[0]
    assert sent in warnings[0]


def test_overlong_number_is_cut_with_warning():
    phone, warnings = split_phone("9" * 60, "NZ")
    assert phone["PhoneNumber"] == "9" * 50
    assert any("cut to 50" in warning for warning in warnings)
    # The echo of a long number in the warning stays short.
    assert all(len(warning) < 200 for warning in warnings)


@pytest.mark.parametrize("blank", [None, False, "", "   ", "\t\n"])
def test_blank_number_gives_none(blank):
    assert split_phone(blank, "NZ") == (None, [])


def test_never_raises_on_odd_input():
    for odd in ["+", "++64", "+999 123", "0", "()", "ext. 5", "+64 9 300 1234 ext"]:
        phone, warnings = split_phone(odd, "NZ")
        assert phone["PhoneNumber"]
        assert isinstance(warnings, list)
