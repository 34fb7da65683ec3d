"""XeroGateway against a scripted stub: SDK wiring, retries off, errors, tokens, conversion."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from gateway_fixtures import CLIENT_SECRET, TENANT, StubXero, make_gateway
from xero_api.client import DEFAULT_SCOPES
from xero_api.errors import (
    XeroAuthError,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroTransientError,
    XeroValidationError,
)
from xero_python.api_client.oauth2 import TokenApi

CONTACT_ID = "00000000-0000-4000-8000-0000000000aa"
CONTACTS_ANSWER = {
    "Contacts": [
        {
            "ContactID": CONTACT_ID,
            "Name": "Ann",
            "ContactStatus": "ACTIVE",
            "UpdatedDateUTC": "/Date(1772323200000+0000)/",
            "StatusAttributeString": "OK",
            "EmailAddress": None,
            "IsCustomer": None,
        }
    ]
}


@pytest.fixture
def stub():
    """A running :class:`StubXero`."""
    server = StubXero()
    yield server
    server.stop()


def test_sdk_wiring_and_retries_off(stub):
    gateway = make_gateway(stub.url)
    assert gateway.accounting.base_url == stub.url + "/api.xro/2.0"
    assert gateway.identity.base_url == stub.url
    stub.push(body=CONTACTS_ANSWER)
    gateway.call("get_contacts")
    request = stub.requests[-1]
    assert request["path"] == "/api.xro/2.0/Contacts"
    assert request["headers"]["xero-tenant-id"] == TENANT
    assert request["headers"]["Authorization"] == "Bearer token-1"
    pool_manager = gateway.api_client.rest_client.pool_manager
    pools = [pool_manager.pools[key] for key in pool_manager.pools.keys()]  # noqa: SIM118
    assert pools and all(pool.retries.total == 0 for pool in pools)
    assert not pools[0].retries.respect_retry_after_header


def test_urllib3_does_not_resend_on_429(stub):
    # urllib3's default Retry would re-send this PUT itself after sleeping Retry-After.
    gateway = make_gateway(stub.url, max_wait=0)
    stub.push(429, {}, {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"})
    stub.push(body=CONTACTS_ANSWER)
    with pytest.raises(XeroRateLimited) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Ann"}]})
    assert len(stub.requests) == 1
    assert info.value.problem == "minute"


def test_dict_body_becomes_sdk_model_and_result_plain_dict(stub):
    gateway = make_gateway(stub.url)
    stub.push(body=CONTACTS_ANSWER)
    result = gateway.call(
        "create_contacts",
        contacts={"Contacts": [{"Name": "Ann", "EmailAddress": None, "ContactStatus": "ACTIVE"}]},
        summarize_errors=False,
    )
    sent = json.loads(stub.requests[-1]["body"])
    assert sent["Contacts"][0]["Name"] == "Ann"
    assert "EmailAddress" not in sent["Contacts"][0]  # None is left out, never "None"
    assert stub.requests[-1]["path"].endswith("/Contacts?summarizeErrors=False")
    contact = result["Contacts"][0]
    assert contact["ContactID"] == CONTACT_ID
    assert contact["ContactStatus"] == "ACTIVE"  # enum -> its value
    assert contact["UpdatedDateUTC"].year == 2026
    assert "EmailAddress" not in contact  # JSON null -> absent, not "None"
    assert "IsCustomer" not in contact
    assert gateway.last_rate == {
        "min_remaining": 59,
        "day_remaining": 4999,
        "app_min_remaining": None,
    }


def test_invoice_dates_and_amounts(stub):
    gateway = make_gateway(stub.url)
    stub.push(body={"Invoices": [{"InvoiceID": CONTACT_ID, "Total": 11.5, "AmountDue": 11.5}]})
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": CONTACT_ID},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "CurrencyCode": "NZD",
        "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": "10.00"}],
    }
    result = gateway.call("update_or_create_invoices", invoices={"Invoices": [invoice]})
    sent = json.loads(stub.requests[-1]["body"])["Invoices"][0]
    assert sent["Date"] == "/Date(1772323200000)/"
    assert sent["LineItems"][0]["UnitAmount"] == 10.0
    assert sent["CurrencyCode"] == "NZD"
    assert str(result["Invoices"][0]["Total"]) == "11.5"


def test_bad_body_is_refused_before_sending(stub):
    gateway = make_gateway(stub.url)
    with pytest.raises(ValueError, match="has no field Nmae"):
        gateway.call("create_contacts", contacts={"Contacts": [{"Nmae": "typo"}]})
    with pytest.raises(ValueError):
        gateway.call("create_contacts", contacts={"Contacts": [{"ContactStatus": "GONE"}]})
    with pytest.raises(ValueError):
        gateway.call("no_such_method")
    with pytest.raises(TypeError, match="takes no contact"):
        gateway.call("create_contacts", contact={"Contacts": []})
    assert stub.requests == []


def test_idempotency_key(stub):
    gateway = make_gateway(stub.url)
    body = {"Payments": [{"Amount": 10, "Invoice": {"InvoiceID": CONTACT_ID}}]}
    key = gateway.idempotency_key("create_payments", {"payments": body})
    assert len(key) == 64 and key == gateway.idempotency_key("create_payments", {"payments": body})
    assert key != gateway.idempotency_key("create_payments", {"payments": body}, "other-tenant")
    gateway.call("create_payments", payments=body)
    assert stub.requests[-1]["headers"]["Idempotency-Key"] == key
    # Path parameters count: the same body deleting two payments gives two keys.
    delete = {"Status": "DELETED"}
    gateway.call("delete_payment", payment_id="a", payment_delete=delete)
    gateway.call("delete_payment", payment_id="b", payment_delete=delete)
    first, second = (r["headers"]["Idempotency-Key"] for r in stub.requests[-2:])
    assert first != second
    gateway.call("create_payments", payments=body, idempotency_key="mine-1")
    assert stub.requests[-1]["headers"]["Idempotency-Key"] == "mine-1"
    with pytest.raises(ValueError):
        gateway.call("create_payments", payments=body, idempotency_key="k" * 129)
    with pytest.raises(ValueError):
        gateway.call("get_payments", idempotency_key="mine-2")
    gateway.call("get_payments")
    assert "Idempotency-Key" not in stub.requests[-1]["headers"]


def test_5xx_of_a_read_retried_with_backoff(stub):
    gateway = make_gateway(stub.url)
    stub.push(503, {"Message": "down"})
    stub.push(500, {})
    stub.push(body=CONTACTS_ANSWER)
    gateway.call("get_contacts")
    assert len(stub.requests) == 3
    assert gateway.clock.sleeps == [1.0, 2.0]


def test_5xx_of_a_write_is_not_replayed(stub):
    """Xero keeps a 5xx under its Idempotency-Key: the same key would get it back. The write
    is not sent again; the error says Xero may hold it (the caller re-reads, then sends what
    is missing under a new key)."""
    gateway = make_gateway(stub.url)
    stub.push(500, {})
    stub.push(body=CONTACTS_ANSWER)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Ann"}]})
    assert info.value.unsure and info.value.status == 500
    assert len(stub.requests) == 1 and gateway.clock.sleeps == []


def test_key_salt_makes_a_new_key(stub):
    gateway = make_gateway(stub.url)
    body = {"Contacts": [{"Name": "Ann"}]}
    for salt in (None, None, "attempt 1"):
        stub.push(body=CONTACTS_ANSWER)
        gateway.call("create_contacts", contacts=body, key_salt=salt)
    keys = [r["headers"]["Idempotency-Key"] for r in stub.requests]
    assert keys[0] == keys[1] != keys[2] and len(keys[2]) == 64


def test_5xx_gives_up_after_max_retries(stub):
    gateway = make_gateway(stub.url, max_retries=2)
    for _ in range(5):
        stub.push(502, {"Message": "bad gateway"})
    with pytest.raises(XeroTransientError) as info:
        gateway.call("get_contacts")
    assert len(stub.requests) == 3
    assert info.value.status == 502


def test_connection_refused_is_transient():
    gateway = make_gateway("http://127.0.0.1:9", max_retries=3)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("get_organisations")
    assert gateway.clock.sleeps == [1.0, 2.0, 4.0]
    assert "could not be reached" in info.value.user_message()


def test_dropped_write_is_not_replayed(stub):
    gateway = make_gateway(stub.url)
    stub.push(drop=True)
    stub.push(body=CONTACTS_ANSWER)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Ann"}]})
    assert info.value.unsure and len(stub.requests) == 1


def test_dropped_read_retried(stub):
    gateway = make_gateway(stub.url)
    stub.push(drop=True)
    stub.push(body=CONTACTS_ANSWER)
    assert gateway.call("get_contacts")["Contacts"][0]["ContactID"] == CONTACT_ID
    assert len(stub.requests) == 2


def test_read_timeout_retried(stub):
    gateway = make_gateway(stub.url, timeout=(2, 0.3))
    stub.push(body=CONTACTS_ANSWER, delay=1)
    stub.push(body=CONTACTS_ANSWER)
    result = gateway.call("get_contacts")
    assert result["Contacts"][0]["ContactID"] == CONTACT_ID
    assert len(stub.requests) == 2


def test_write_timeout_is_unsure(stub):
    gateway = make_gateway(stub.url, timeout=(2, 0.3))
    stub.push(body=CONTACTS_ANSWER, delay=1)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("update_or_create_contacts", contacts={"Contacts": [{"Name": "Ann"}]})
    assert info.value.unsure and len(stub.requests) == 1


def test_modified_since_header_to_the_second(stub):
    """Xero documents If-Modified-Since as UTC yyyy-mm-ddThh:mm:ss; the SDK alone would send
    isoformat(), with microseconds (and an aware datetime's offset)."""
    gateway = make_gateway(stub.url)
    nz = timezone(timedelta(hours=13))
    for when in (datetime(2026, 3, 1, 9, 5, 7, 654321), datetime(2026, 3, 1, 22, 5, 7, 1, nz)):
        stub.push(body=CONTACTS_ANSWER)
        gateway.call("get_contacts", if_modified_since=when)
    sent = [r["headers"]["If-Modified-Since"] for r in stub.requests]
    assert sent == ["2026-03-01T09:05:07", "2026-03-01T09:05:07"]


def test_401_forces_one_refresh(stub):
    calls = []

    def on_unauthorized():
        calls.append(1)
        return "token-2"

    gateway = make_gateway(stub.url, on_unauthorized=on_unauthorized)
    stub.push(401, {"Title": "Unauthorized", "Detail": "TokenExpired"})
    stub.push(body=CONTACTS_ANSWER)
    gateway.call("get_contacts")
    assert calls == [1]
    assert [r["headers"]["Authorization"] for r in stub.requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    # The getter still returns the rejected token: the replacement is used.
    gateway.call("get_contacts")
    assert stub.requests[-1]["headers"]["Authorization"] == "Bearer token-2"


def test_401_without_new_token_needs_reauth(stub):
    gateway = make_gateway(stub.url, on_unauthorized=lambda: None)
    stub.push(401, {"Title": "Unauthorized"})
    with pytest.raises(XeroAuthError) as info:
        gateway.call("get_contacts")
    assert info.value.needs_reauth and info.value.status == 401
    assert "authorised again" in info.value.user_message()
    stub.push(403, {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"})
    with pytest.raises(XeroAuthError) as info:
        gateway.call("get_contacts")
    assert not info.value.needs_reauth and info.value.status == 403


def test_not_found_and_other_errors(stub):
    gateway = make_gateway(stub.url)
    stub.push(404, "The resource you're looking for cannot be found")
    with pytest.raises(XeroNotFound):
        gateway.call("get_contact", contact_id=CONTACT_ID)
    stub.push(409, {"Message": "conflict"})
    with pytest.raises(XeroError, match="HTTP 409: conflict"):
        gateway.call("get_contacts")


def test_validation_error_per_item(stub):
    gateway = make_gateway(stub.url)
    stub.push(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [
                {"Name": "ok", "ValidationErrors": []},
                {
                    "Name": "Ann",
                    "ValidationErrors": [
                        {"Message": "The contact name Ann is already assigned to another contact."}
                    ],
                },
                {"ValidationErrors": [{"Message": "Email is invalid"}, {"Message": "Too long"}]},
            ],
        },
    )
    with pytest.raises(XeroValidationError) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Ann"}]})
    error = info.value
    assert error.code == "ValidationException" and error.status == 400
    assert error.items == [
        {
            "index": 1,
            "messages": ["The contact name Ann is already assigned to another contact."],
            "ref": {"Name": "Ann"},
        },
        {"index": 2, "messages": ["Email is invalid", "Too long"], "ref": {}},
    ]
    assert error.user_message().startswith("Xero rejected 2 items: item 2: The contact name")
    assert "\n" not in error.user_message()


def test_file_download_returns_bytes(stub):
    gateway = make_gateway(stub.url)
    stub.push(body=b"%PDF-1.4 fake")
    assert gateway.call("get_invoice_as_pdf", invoice_id=CONTACT_ID) == b"%PDF-1.4 fake"


def test_attachment_upload_sends_raw_bytes(stub):
    gateway = make_gateway(stub.url)
    stub.push(body={"Attachments": [{"AttachmentID": CONTACT_ID, "FileName": "INV-1.pdf"}]})
    result = gateway.call(
        "create_invoice_attachment_by_file_name",
        invoice_id=CONTACT_ID,
        file_name="INV-1.pdf",
        body=b"%PDF-1.4 data",
        include_online=True,
    )
    request = stub.requests[-1]
    assert request["method"] == "PUT"
    assert request["body"] == b"%PDF-1.4 data"
    assert request["headers"]["Content-Type"] == "application/octet-stream"
    assert "IncludeOnline=True" in request["path"]
    assert result["Attachments"][0]["FileName"] == "INV-1.pdf"


# -- tokens -----------------------------------------------------------------------------------


def test_token_calls(stub):
    gateway = make_gateway(stub.url)
    answer = {"access_token": "a1", "expires_in": 1800, "token_type": "Bearer", "scope": "x y"}
    stub.push(body=answer)
    token = gateway.fetch_client_credentials_token("accounting.contacts")
    assert token["access_token"] == "a1"
    assert token["expires_at"] == gateway.clock.time() + 1800
    request = stub.requests[-1]
    assert request["path"] == "/connect/token"
    form = parse_qs(request["body"].decode())
    assert form["grant_type"] == ["client_credentials"] and form["scope"] == ["accounting.contacts"]

    stub.push(body={**answer, "refresh_token": "r2"})
    token = gateway.refresh_token("r1")
    assert (token["access_token"], token["refresh_token"]) == ("a1", "r2")
    form = parse_qs(stub.requests[-1]["body"].decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["r1"]
    assert "scope" not in form  # never ask for more than was granted

    stub.push(body={**answer, "refresh_token": "r3"})
    token = gateway.exchange_code("the-code", "https://odoo.example/xero/callback")
    assert token["refresh_token"] == "r3"
    form = parse_qs(stub.requests[-1]["body"].decode())
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]

    stub.push(body={})
    assert gateway.revoke("r3") is None
    assert stub.requests[-1]["path"] == "/connect/revocation"


def test_refresh_invalid_grant_needs_reauth(stub):
    gateway = make_gateway(stub.url)
    stub.push(400, {"error": "invalid_grant"})
    with pytest.raises(XeroAuthError) as info:
        gateway.refresh_token("spent-refresh-token-0123456789abcdef0123456789abcdef")
    assert info.value.needs_reauth and info.value.code == "invalid_grant"
    assert len(stub.requests) == 1  # an OAuth2 refusal is not retried
    stub.push(500, {})
    stub.push(body={"access_token": "a", "expires_in": 60, "refresh_token": "r"})
    assert gateway.refresh_token("r")["access_token"] == "a"


def test_gateways_with_different_urls_coexist(stub):
    first = make_gateway(stub.url)
    second = make_gateway("http://127.0.0.1:9")
    assert first.token_api.refresh_token_url == stub.url + "/connect/token"
    assert second.token_api.revoke_token_url == "http://127.0.0.1:9/connect/revocation"
    assert TokenApi.refresh_token_url == "https://identity.xero.com/connect/token"
    assert first.api_client.configuration.oauth2_token is not (
        second.api_client.configuration.oauth2_token
    )


def test_gateways_reuse_one_connection(stub):
    """A gateway is made per call (``xero.connection._gateway``): ten calls through ten
    gateways go over one kept-alive connection, not ten (a TLS handshake each with Xero, and
    a socket left open per call)."""
    for _n in range(10):
        make_gateway(stub.url).call("get_organisations")
    assert len(stub.requests) == 10
    assert stub.connections == 1


def test_authorize_url(stub):
    gateway = make_gateway(stub.url)
    url = gateway.authorize_url("https://odoo.example/cb", None, "st4te")
    parsed = urlparse(url)
    assert url.startswith(stub.url + "/identity/connect/authorize?")
    query = parse_qs(parsed.query)
    assert query["scope"] == [DEFAULT_SCOPES]
    assert query["state"] == ["st4te"] and query["response_type"] == ["code"]
    assert CLIENT_SECRET not in url


def test_errors_never_show_secrets(stub):
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
    gateway = make_gateway(stub.url, token_getter=lambda: token)
    stub.push(
        500,
        {"Message": "boom Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig"},
    )
    for _ in range(3):
        stub.push(500, {"Message": "client_secret=%s" % CLIENT_SECRET})
    with pytest.raises(XeroTransientError) as info:
        gateway.call("get_contacts")
    text = str(info.value) + info.value.user_message()
    assert CLIENT_SECRET not in text and "eyJ" not in text
