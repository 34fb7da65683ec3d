"""Payload builders: plain values in, Xero wire dicts out (no Odoo needed)."""

import datetime
import json
from decimal import Decimal

import pytest
from xero_api.payloads import (
    PayloadError,
    contact_name,
    contact_payload,
    delete_payment_payload,
    distinct_contact_name,
    invoice_payload,
    invoice_update_payload,
    parse_payment_reference,
    parse_xero_date,
    payload_checksum,
    payment_payload,
    payment_reference,
    void_invoice_payload,
)

from xero_emulator import schema

INVOICE_ID = "0b3d6a4e-6c1e-4d8f-9a43-3f4c2b9e7a11"
CONTACT_ID = "5c7f2d1a-3b4e-4f6a-8c9d-0e1f2a3b4c5d"
LINE_IDS = [
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
]


def person(**changes):
    values = {
        "name": "John Smith",
        "is_company": False,
        "email": "john@example.co.nz",
        "contact_number": "ODOO-42",
        "country_code": "NZ",
    }
    values.update(changes)
    return values


def product_line(**changes):
    line = {
        "kind": "product",
        "description": "Widget",
        "quantity": Decimal("2"),
        "unit_price": Decimal("10.5"),
        "discount": Decimal("0"),
        "account_code": "200",
        "tax_type": "OUTPUT2",
        "tax_amount": Decimal("3.15"),
    }
    line.update(changes)
    return line


def invoice_values(**changes):
    values = {
        "number": "INV/2026/00012",
        "reference": "PO 778",
        "contact_id": CONTACT_ID,
        "date": datetime.date(2026, 3, 1),
        "due_date": datetime.date(2026, 3, 31),
        "currency": "NZD",
        "status": "AUTHORISED",
        "line_amount_types": "Exclusive",
        "lines": [product_line()],
    }
    values.update(changes)
    return values


def payment_values(**changes):
    values = {
        "invoice_id": INVOICE_ID,
        "account_code": "090",
        "date": datetime.date(2026, 3, 5),
        "amount": Decimal("24.15"),
        "reference": "PBNK1/2026/00012 #A57",
    }
    values.update(changes)
    return values


# Contacts ----------------------------------------------------------------------------------


def test_person_contact_full():
    contact, warnings = contact_payload(
        person(
            vat="123-456-789",
            ref="C0042",
            currency="nzd",
            phone="09 123 4567",
            mobile="021 123 4567",
            street="1 Queen Street",
            city="Auckland",
            zip="1010",
            country_name="New Zealand",
        )
    )
    assert warnings == []
    assert contact == {
        "ContactNumber": "ODOO-42",
        "AccountNumber": "C0042",
        "Name": "John Smith",
        "FirstName": "John",
        "LastName": "Smith",
        "EmailAddress": "john@example.co.nz",
        "TaxNumber": "123-456-789",
        "DefaultCurrency": "NZD",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "1 Queen Street",
                "City": "Auckland",
                "PostalCode": "1010",
                "Country": "New Zealand",
            },
            {
                "AddressType": "STREET",
                "AddressLine1": "1 Queen Street",
                "City": "Auckland",
                "PostalCode": "1010",
                "Country": "New Zealand",
            },
        ],
        "Phones": [
            {
                "PhoneType": "DEFAULT",
                "PhoneCountryCode": "64",
                "PhoneAreaCode": "9",
                "PhoneNumber": "1234567",
            },
            {
                "PhoneType": "MOBILE",
                "PhoneCountryCode": "64",
                "PhoneAreaCode": "21",
                "PhoneNumber": "1234567",
            },
        ],
    }


@pytest.mark.parametrize(
    "name, first, last",
    [
        ("John Smith", "John", "Smith"),
        ("Mary Ann van Dyke", "Mary Ann van", "Dyke"),
        ("Madonna", "Madonna", None),
        ("  José   Núñez ", "José", "Núñez"),
    ],
)
def test_person_name_split_on_last_space(name, first, last):
    contact, _warnings = contact_payload(person(name=name))
    assert contact.get("FirstName") == first
    assert contact.get("LastName") == last


def test_person_given_first_and_last_names_win():
    contact, _warnings = contact_payload(person(first_name="Jack", last_name="Smith-Jones"))
    assert (contact["FirstName"], contact["LastName"]) == ("Jack", "Smith-Jones")
    assert contact["Name"] == "John Smith"


def test_company_has_no_invented_person_names():
    contact, warnings = contact_payload(person(name="Acme Widgets Ltd", is_company=True))
    assert contact["Name"] == "Acme Widgets Ltd"
    assert "FirstName" not in contact
    assert "LastName" not in contact
    assert warnings == []


def test_long_name_is_cut_with_warning():
    contact, warnings = contact_payload(person(name="A" * 300, is_company=True))
    assert contact["Name"] == "A" * 255
    assert len(warnings) == 1
    assert "Name" in warnings[0] and "255" in warnings[0]


def test_long_name_with_emoji_is_cut_by_utf16_units():
    # Xero (.NET) counts an emoji outside the BMP as two characters.
    contact, warnings = contact_payload(person(name="😀" * 200, is_company=True))
    assert contact["Name"] == "😀" * 127
    assert len(contact["Name"].encode("utf-16-le")) // 2 <= 255
    assert warnings


def test_emoji_and_accents_kept_control_characters_dropped():
    contact, warnings = contact_payload(
        person(name="Café\x00 Ünïcode 🍕\x1b", is_company=True, street="Rue\tde la Paix\n2")
    )
    assert contact["Name"] == "Café Ünïcode 🍕"
    assert contact["Addresses"][0]["AddressLine1"] == "Rue de la Paix 2"
    assert warnings == []


@pytest.mark.parametrize(
    "name", [None, False, "", "   ", "\x00\x07", "\n\t ", "\u200b\u200d\ufeff", "\u202e \u00a0"]
)
def test_missing_name_raises(name):
    with pytest.raises(PayloadError, match="no name"):
        contact_payload(person(name=name))


def test_other_long_fields_cut_with_warning_naming_field():
    contact, warnings = contact_payload(
        person(ref="R" * 60, vat="V" * 60, contact_number="K" * 70, city="C" * 300)
    )
    assert contact["AccountNumber"] == "R" * 50
    assert contact["TaxNumber"] == "V" * 50
    assert contact["ContactNumber"] == "K" * 50
    assert contact["Addresses"][0]["City"] == "C" * 255
    text = " | ".join(warnings)
    for field in ("AccountNumber", "TaxNumber", "ContactNumber", "City"):
        assert field in text


@pytest.mark.parametrize(
    "email",
    [
        "not an email",
        "john@",
        "@example.com",
        "john@example",
        "jo hn@example.com",
        "john@example.com please",
        "a..b@x.com",
        "a" * 250 + "@example.com",
    ],
)
def test_invalid_email_left_out_with_warning(email):
    contact, warnings = contact_payload(person(email=email))
    assert "EmailAddress" not in contact
    assert len(warnings) == 1
    assert "Email" in warnings[0] and "left out" in warnings[0]


@pytest.mark.parametrize(
    "email, sent, warned",
    [
        ("  john@example.co.nz ", "john@example.co.nz", False),
        ("John Smith <john@example.com>", "john@example.com", False),
        ("a@example.com, b@example.com", "a@example.com", True),
        ("a@example.com;b@example.com", "a@example.com", True),
    ],
)
def test_email_forms(email, sent, warned):
    contact, warnings = contact_payload(person(email=email))
    assert contact["EmailAddress"] == sent
    assert bool(warnings) is warned


def test_two_addresses_street_and_pobox():
    contact, _warnings = contact_payload(
        person(
            street="12 Factory Road",
            street2="Unit 4",
            city="Hamilton",
            state="Waikato",
            zip="3204",
            country_code="NZ",
            invoice_address={
                "street": "PO Box 99",
                "city": "Auckland",
                "zip": "1140",
                "country_code": "NZ",
                "country_name": "New Zealand",
                "attention_to": "Accounts",
            },
        )
    )
    pobox, street = contact["Addresses"]
    assert pobox == {
        "AddressType": "POBOX",
        "AddressLine1": "PO Box 99",
        "City": "Auckland",
        "PostalCode": "1140",
        "AttentionTo": "Accounts",
        "Country": "New Zealand",
    }
    assert street == {
        "AddressType": "STREET",
        "AddressLine1": "12 Factory Road",
        "AddressLine2": "Unit 4",
        "City": "Hamilton",
        "Region": "Waikato",
        "PostalCode": "3204",
        "Country": "NZ",
    }


def test_no_address_no_phone_no_empty_lists():
    contact, warnings = contact_payload({"name": "Bare", "is_company": True})
    assert contact == {"Name": "Bare"}
    assert warnings == []


def test_update_archive_and_currency():
    contact, _ = contact_payload(person(contact_id=CONTACT_ID, archived=True, currency="AUD"))
    assert contact["ContactID"] == CONTACT_ID
    assert contact["ContactStatus"] == "ARCHIVED"
    assert contact["DefaultCurrency"] == "AUD"
    contact, _ = contact_payload(person(archived=False))
    assert contact["ContactStatus"] == "ACTIVE"
    contact, warnings = contact_payload(person(currency="Dollars"))
    assert "DefaultCurrency" not in contact
    assert warnings


def test_phone_warning_is_labelled():
    contact, warnings = contact_payload(person(phone="ring the bell", mobile=False))
    assert contact["Phones"] == [
        {
            "PhoneType": "DEFAULT",
            "PhoneCountryCode": "",
            "PhoneAreaCode": "",
            "PhoneNumber": "ring the bell",
        }
    ]
    assert warnings and warnings[0].startswith("Phone: ")


@pytest.mark.parametrize(
    "name, ref, key, expected",
    [
        ("John Smith", "C0042", "ODOO-42", "John Smith (C0042)"),
        ("John Smith", None, "ODOO-42", "John Smith (ODOO-42)"),
        ("John Smith", False, None, "John Smith"),
        ("John Smith (C0042)", "C0042", "ODOO-42", "John Smith (C0042)"),
    ],
)
def test_distinct_contact_name(name, ref, key, expected):
    assert distinct_contact_name(name, ref, key) == expected


@pytest.mark.parametrize(
    "name, held",
    [
        ("Kiwi\tControl\x07 Ltd", "Kiwi Control Ltd"),
        ("  Acme\nLtd ", "Acme Ltd"),
        ("A" * 300, "A" * 255),
        ("\u200b\x01", ""),
        (False, ""),
    ],
)
def test_contact_name_is_the_name_xero_holds(name, held):
    assert contact_name(name) == held
    if held:
        assert contact_payload(person(name=name, is_company=True))[0]["Name"] == held


def test_distinct_contact_name_cuts_the_name_not_the_suffix():
    result = distinct_contact_name("N" * 300, "C0042", "ODOO-42")
    assert len(result) == 255
    assert result.endswith(" (C0042)")


# Invoices ----------------------------------------------------------------------------------


def test_invoice_payload_wire_format():
    invoice, warnings = invoice_payload(invoice_values(url="https://odoo.example.com/my/inv/7"))
    assert warnings == []
    assert invoice == {
        "Type": "ACCREC",
        "Contact": {"ContactID": CONTACT_ID},
        "InvoiceNumber": "INV/2026/00012",
        "Reference": "PO 778",
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "CurrencyCode": "NZD",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "Url": "https://odoo.example.com/my/inv/7",
        "LineItems": [
            {
                "Description": "Widget",
                "Quantity": 2.0,
                "UnitAmount": 10.5,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
                "TaxAmount": 3.15,
            }
        ],
    }
    json.dumps(invoice)  # plain JSON: no Decimal, no date objects


def test_invoice_money_rounding():
    line = product_line(
        quantity=1.23456,
        unit_price=Decimal("9.87654321"),
        discount=Decimal("12.345"),
        tax_amount=Decimal("1.005"),
        line_item_id=LINE_IDS[0],
    )
    invoice, warnings = invoice_payload(invoice_values(lines=[line]))
    item = invoice["LineItems"][0]
    assert item["Quantity"] == 1.2346
    assert item["UnitAmount"] == 9.8765
    assert item["DiscountRate"] == 12.35
    assert item["TaxAmount"] == 1.01  # half-up, from the Decimal, not float noise
    assert item["LineItemID"] == LINE_IDS[0]
    assert len(warnings) == 3  # quantity, unit price, discount changed by rounding
    assert all(isinstance(item[key], float) for key in ("Quantity", "UnitAmount", "TaxAmount"))


def test_invoice_float_noise_does_not_warn():
    line = product_line(quantity=0.1 + 0.2, unit_price=100.0, tax_amount=None)
    invoice, warnings = invoice_payload(invoice_values(lines=[line]))
    assert invoice["LineItems"][0]["Quantity"] == 0.3
    assert "TaxAmount" not in invoice["LineItems"][0]
    assert warnings == []


def test_sections_and_notes_are_description_only():
    lines = [
        {"kind": "section", "description": "Hardware", "account_code": "200", "quantity": 1},
        product_line(),
        {"kind": "note", "description": "Delivered\r\nto the back door", "unit_price": 5},
        {"kind": "note", "description": "   "},
    ]
    invoice, warnings = invoice_payload(invoice_values(lines=lines))
    items = invoice["LineItems"]
    assert items[0] == {"Description": "Hardware"}
    assert items[2] == {"Description": "Delivered\nto the back door"}
    assert len(items) == 3
    assert len(warnings) == 1 and "Line 4" in warnings[0] and "left out" in warnings[0]


def test_long_description_cut_with_warning():
    invoice, warnings = invoice_payload(
        invoice_values(lines=[product_line(description="x" * 4500)])
    )
    assert len(invoice["LineItems"][0]["Description"]) == 4000
    assert any("description" in warning and "4000" in warning for warning in warnings)


def test_long_number_and_reference_cut():
    invoice, warnings = invoice_payload(invoice_values(number="N" * 300, reference="R" * 300))
    assert len(invoice["InvoiceNumber"]) == 255
    assert len(invoice["Reference"]) == 255
    assert len(warnings) == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"account_code": False}, r"Line 2 \(\"Gadget\"\) has no Xero account code"),
        ({"account_code": "  "}, r"Line 2 .* account code"),
        ({"tax_type": None}, r"Line 2 .* tax type"),
        ({"quantity": None}, r"Line 2 .* quantity is missing"),
        ({"unit_price": "ten"}, r"Line 2 .* unit price 'ten' is not a usable number"),
        ({"kind": "subtotal"}, r"Line 2 .* unknown kind"),
    ],
)
def test_bad_product_line_raises_naming_the_line(changes, message):
    lines = [product_line(), product_line(description="Gadget", **changes)]
    with pytest.raises(PayloadError, match=message):
        invoice_payload(invoice_values(lines=lines))


def test_notax_invoice_needs_no_tax_type():
    line = product_line(tax_type=None, tax_amount=Decimal("0"))
    invoice, warnings = invoice_payload(invoice_values(line_amount_types="NoTax", lines=[line]))
    assert "TaxType" not in invoice["LineItems"][0]
    assert "TaxAmount" not in invoice["LineItems"][0]
    assert warnings == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"contact_id": None}, "no Xero contact"),
        ({"date": None}, "date is missing"),
        ({"date": "01/03/2026"}, "is not a date"),
        ({"lines": []}, "no lines"),
        ({"lines": [{"kind": "section", "description": ""}]}, "no lines"),
        ({"status": "PAID"}, "cannot be sent"),
        ({"line_amount_types": "Gross"}, "unknown line amount type"),
    ],
)
def test_bad_invoice_raises(changes, message):
    with pytest.raises(PayloadError, match=message):
        invoice_payload(invoice_values(**changes))


def test_invoice_dates_as_strings_and_datetimes():
    invoice, _ = invoice_payload(
        invoice_values(date="2026-03-01", due_date=datetime.datetime(2026, 3, 31, 15, 0))
    )
    assert (invoice["Date"], invoice["DueDate"]) == ("2026-03-01", "2026-03-31")


def test_invoice_bad_url_left_out_with_warning():
    invoice, warnings = invoice_payload(invoice_values(url="javascript:alert(1)"))
    assert "Url" not in invoice
    assert warnings


def test_invoice_update_unpaid_sends_everything():
    values = invoice_values(invoice_id=INVOICE_ID)
    invoice, warnings, left_out = invoice_update_payload(values, paid=False)
    assert invoice == invoice_payload(values)[0]
    assert invoice["InvoiceID"] == INVOICE_ID
    assert (warnings, left_out) == ([], [])


def test_invoice_update_paid_keeps_only_allowed_fields():
    lines = [
        {"kind": "section", "description": "Hardware", "line_item_id": LINE_IDS[0]},
        product_line(line_item_id=LINE_IDS[1], discount=Decimal("5")),
        product_line(description="Gadget", line_item_id=LINE_IDS[2]),
    ]
    values = invoice_values(invoice_id=INVOICE_ID, lines=lines, url="https://odoo.example.com/x")
    invoice, warnings, left_out = invoice_update_payload(values, paid=True)
    assert invoice == {
        "InvoiceID": INVOICE_ID,
        "InvoiceNumber": "INV/2026/00012",
        "Reference": "PO 778",
        "DueDate": "2026-03-31",
        "Contact": {"ContactID": CONTACT_ID},
        "LineItems": [
            {"LineItemID": LINE_IDS[0], "Description": "Hardware"},
            {"LineItemID": LINE_IDS[1], "Description": "Widget", "AccountCode": "200"},
            {"LineItemID": LINE_IDS[2], "Description": "Gadget", "AccountCode": "200"},
        ],
    }
    assert warnings == []
    assert left_out == [
        "CurrencyCode",
        "Date",
        "LineAmountTypes",
        "LineItems.DiscountRate",
        "LineItems.Quantity",
        "LineItems.TaxAmount",
        "LineItems.TaxType",
        "LineItems.UnitAmount",
        "Url",
    ]


def test_invoice_update_paid_with_new_line_sends_no_lines():
    lines = [product_line(line_item_id=LINE_IDS[0]), product_line(description="New")]
    values = invoice_values(invoice_id=INVOICE_ID, lines=lines)
    invoice, warnings, left_out = invoice_update_payload(values, paid=True)
    assert "LineItems" not in invoice
    assert "LineItems" in left_out
    assert warnings and "no line was sent" in warnings[0]


def test_invoice_update_needs_invoice_id():
    with pytest.raises(PayloadError, match="not in Xero"):
        invoice_update_payload(invoice_values(), paid=False)


def test_void_invoice_payload():
    assert void_invoice_payload(INVOICE_ID) == {"InvoiceID": INVOICE_ID, "Status": "VOIDED"}
    with pytest.raises(PayloadError):
        void_invoice_payload(None)


# Payments ----------------------------------------------------------------------------------


def test_payment_payload_by_code():
    payment, warnings = payment_payload(payment_values())
    assert payment == {
        "Invoice": {"InvoiceID": INVOICE_ID},
        "Account": {"Code": "090"},
        "Date": "2026-03-05",
        "Amount": 24.15,
        "Reference": "PBNK1/2026/00012 #A57",
    }
    assert warnings == []


def test_payment_payload_by_account_id_with_rate():
    account_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    payment, _ = payment_payload(
        payment_values(
            account_id=account_id,
            amount=Decimal("100.005"),
            currency_rate=Decimal("0.61234567891"),
            reference="R" * 300,
        )
    )
    assert payment["Account"] == {"AccountID": account_id}
    assert payment["Amount"] == 100.01
    assert payment["CurrencyRate"] == 0.612346  # Xero's spec: "max length = [18].[6]"
    assert len(payment["Reference"]) == 255


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"invoice_id": None}, "not in Xero"),
        ({"account_code": None}, "no Xero bank account"),
        ({"date": False}, "date is missing"),
        ({"amount": Decimal("0")}, "above zero"),
        ({"amount": Decimal("-5")}, "above zero"),
        ({"amount": None}, "missing"),
        ({"currency_rate": 0}, "above zero"),
    ],
)
def test_bad_payment_raises(changes, message):
    with pytest.raises(PayloadError, match=message):
        payment_payload(payment_values(**changes))


def test_payment_reference_round_trip():
    reference = payment_reference("PBNK1/2026/00012", 57)
    assert reference == "PBNK1/2026/00012 #A57"
    assert parse_payment_reference(reference) == 57
    assert parse_payment_reference("  PBNK1/2026/00012 #A57 ") == 57
    assert payment_reference(None, 8) == "#A8"
    assert parse_payment_reference("#A8") == 8
    long_reference = payment_reference("P" * 300, 123456)
    assert len(long_reference) == 255 and long_reference.endswith(" #A123456")
    assert parse_payment_reference(long_reference) == 123456


@pytest.mark.parametrize("reference", [None, "", "Bank deposit", "#A", "INV#A12", "#A12 x"])
def test_parse_payment_reference_rejects_others(reference):
    assert parse_payment_reference(reference) is None


def test_delete_payment_payload():
    assert delete_payment_payload() == {"Status": "DELETED"}


# Shared ------------------------------------------------------------------------------------


def test_payload_checksum_stable_and_sensitive():
    first, _ = contact_payload(person())
    again, _ = contact_payload(dict(reversed(list(person().items()))))
    changed, _ = contact_payload(person(email="other@example.com"))
    assert payload_checksum(first) == payload_checksum(again)
    assert payload_checksum(first) != payload_checksum(changed)
    assert len(payload_checksum(first)) == 64
    assert payload_checksum({"b": 1, "a": 2}) == payload_checksum({"a": 2, "b": 1})


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "/Date(1772323200000+0000)/",
            datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc),
        ),
        (
            "/Date(1772323212345)/",
            datetime.datetime(2026, 3, 1, 0, 0, 12, 345000, tzinfo=datetime.timezone.utc),
        ),
        ("2026-03-01", datetime.date(2026, 3, 1)),
        (
            "2026-03-01T10:20:30",
            datetime.datetime(2026, 3, 1, 10, 20, 30, tzinfo=datetime.timezone.utc),
        ),
        (
            "2026-03-01T10:20:30Z",
            datetime.datetime(2026, 3, 1, 10, 20, 30, tzinfo=datetime.timezone.utc),
        ),
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 1)),
        (None, None),
        ("", None),
    ],
)
def test_parse_xero_date(value, expected):
    assert parse_xero_date(value) == expected


def test_parse_xero_date_as_date():
    assert parse_xero_date("/Date(1772323200000+0000)/", as_date=True) == datetime.date(2026, 3, 1)
    assert parse_xero_date("2026-03-01T23:30:00-02:00", as_date=True) == datetime.date(2026, 3, 2)
    with pytest.raises(ValueError):
        parse_xero_date("yesterday")


# Every produced body against Xero's OpenAPI schema -------------------------------------------


def _schema_cases():
    lines = [
        {"kind": "section", "description": "Hardware", "line_item_id": LINE_IDS[0]},
        product_line(line_item_id=LINE_IDS[1], discount=Decimal("5")),
        {"kind": "note", "description": "Thanks", "line_item_id": LINE_IDS[2]},
    ]
    full_contact = person(
        name="Café 🍕 " + "N" * 300,
        contact_id=CONTACT_ID,
        archived=False,
        vat="V" * 60,
        ref="C0042",
        currency="NZD",
        phone="09 123 4567",
        mobile="9" * 60,
        street="S" * 600,
        city="Auckland",
        zip="1010",
        country_name="New Zealand",
        invoice_address={"street": "PO Box 1", "city": "Auckland", "country_code": "NZ"},
    )
    paid_values = invoice_values(invoice_id=INVOICE_ID, lines=lines)
    return [
        ("Contact", contact_payload(full_contact)[0]),
        ("Contact", contact_payload({"name": "Bare Co", "is_company": True})[0]),
        ("Invoice", invoice_payload(invoice_values(url="https://odoo.example.com/x"))[0]),
        ("Invoice", invoice_payload(paid_values)[0]),
        ("Invoice", invoice_update_payload(paid_values, paid=True)[0]),
        ("Invoice", void_invoice_payload(INVOICE_ID)),
        ("Payment", payment_payload(payment_values(currency_rate=Decimal("0.6")))[0]),
        ("Payment", payment_payload(payment_values(account_id=CONTACT_ID))[0]),
        ("PaymentDelete", delete_payment_payload()),
    ]


BATCHES = {"Contact": "Contacts", "Invoice": "Invoices", "Payment": "Payments"}


@pytest.mark.parametrize("index", range(len(_schema_cases())))
def test_payload_matches_openapi_schema(index):
    if not schema.available():
        pytest.skip(schema.status())
    schema_name, body = _schema_cases()[index]
    assert schema.validate(schema_name, body) == []
    if schema_name in BATCHES:  # as sent: {"Contacts": [...]}
        batch = BATCHES[schema_name]
        assert schema.validate(batch, {batch: [body, body]}) == []
