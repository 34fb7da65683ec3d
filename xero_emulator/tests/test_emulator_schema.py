"""Request bodies against Xero's OpenAPI component schemas (xero_api/schema.py)."""

import logging

import pytest
from xero_emulator.testing import SdkSession
from xero_python.exceptions.http_status_exceptions import AccountingBadRequestException

from xero_emulator import EmulatorServer, schema

needs_spec = pytest.mark.skipif(
    not schema.available(), reason="Xero OpenAPI file not found: %s" % schema.spec_path()
)


@needs_spec
def test_validate_names_each_broken_field():
    body = {
        "Contacts": [
            {
                "Name": "n" * 256,
                "ContactID": "not-a-uuid",
                "IsCustomer": "yes",
                "Phones": [{"PhoneType": "HOME"}],
            }
        ]
    }
    errors = schema.validate("Contacts", body)
    assert "Contacts[0].Name: is 256 characters long, more than maxLength 255" in errors
    assert "Contacts[0].ContactID: 'not-a-uuid' is not a uuid" in errors
    assert "Contacts[0].IsCustomer: expected a boolean (true/false), got string 'yes'" in errors
    assert any(
        e.startswith("Contacts[0].Phones[0].PhoneType: 'HOME' is not one of") for e in errors
    )
    assert schema.validate("Contacts", body, max_length=False)[0].startswith(
        "Contacts[0].ContactID"
    )
    invoice = {
        "Invoices": [{"Type": "ACCREC", "Date": "01/03/2026", "LineItems": [{"Quantity": "2"}]}]
    }
    assert schema.validate("Invoices", invoice) == [
        "Invoices[0].Date: '01/03/2026' is not a date (/Date(ms+0000)/ or YYYY-MM-DD)",
        "Invoices[0].LineItems[0].Quantity: expected a number, got string '2'",
    ]
    assert schema.validate("PaymentDelete", {}) == ["Status: is required"]
    good = {
        "Payments": [
            {"Invoice": {"InvoiceID": "8c2b4bd4-3e3b-4a4b-8c5e-5e1c3a3d1f00"}, "Amount": 10.5}
        ]
    }
    assert schema.validate("Payments", good) == []


@needs_spec
def test_emulator_refuses_a_body_that_breaks_the_schema(xero, tenant):
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.create_contacts(
            tenant, {"Contacts": [{"Name": "Home", "Phones": [{"PhoneType": "HOME"}]}]}
        )
    data = refused.value.error_data
    assert data["Type"] == "PostDataInvalidException"
    assert "Contacts[0].Phones[0].PhoneType" in data["Message"]
    line = {"Description": "x", "Quantity": "one", "UnitAmount": 1}
    with pytest.raises(AccountingBadRequestException) as typed:
        xero.create_invoices(tenant, {"Invoices": [{"Type": "ACCREC", "LineItems": [line]}]})
    assert (
        "Invoices[0].LineItems[0].Quantity: expected a number" in typed.value.error_data["Message"]
    )


def test_missing_spec_skips_with_a_clear_log_line(tmp_path, caplog, monkeypatch):
    missing = tmp_path / "absent.yaml"
    with caplog.at_level(logging.WARNING, logger="xero_api.schema"):
        assert schema.validate("Contacts", {"Contacts": [{"Phones": "nope"}]}, path=missing) == []
    assert "not found at %s" % missing in caplog.text
    assert not schema.available(missing)
    monkeypatch.setenv(schema.ENV_VAR, str(missing))
    assert schema.spec_path() == missing


def test_emulator_without_spec_still_applies_its_rules(tmp_path):
    with EmulatorServer(port=0, openapi_path=str(tmp_path / "absent.yaml")) as srv:
        session = SdkSession(srv.url, srv.client_id, srv.client_secret)
        session.client_credentials()
        with pytest.raises(AccountingBadRequestException) as refused:
            session.accounting.create_contacts(
                srv.tenant_id, {"Contacts": [{"Name": "Home", "Phones": [{"PhoneType": "HOME"}]}]}
            )
        assert refused.value.reason == "PhoneType 'HOME' is not valid."
        # Values that would be stored as sent are refused, and the echo still deserialises.
        odd = {"Type": "ACCREC", "Contact": {"Name": "Odd"}, "SentToContact": "yes", "Date": "soon"}
        result = session.accounting.create_invoices(
            srv.tenant_id, {"Invoices": [odd]}, summarize_errors=False
        ).invoices[0]
        assert result.status_attribute_string == "ERROR"
        assert [e.message for e in result.validation_errors] == [
            "'yes' is not a valid value for SentToContact.",
            "'soon' is not a valid value for Date.",
        ]
        assert "NOT checked" in srv.control.info()["schema"]
