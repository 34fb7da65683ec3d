"""Test helpers for code that talks to the emulator: a pytest plugin (``-p xero_emulator.testing``)
giving one in-process emulator and SDK clients pointed at it, and helpers for the credit note,
allocation and refund tests.


`emulator` is session-wide (virtual clock) and reset before each test that asks for `emu`;
`xero` is an `AccountingApi` of the unmodified xero-python SDK holding a client_credentials
token, with urllib3's own retries off (as the gateway runs it).
"""

import base64
import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import urllib3

from .server import EmulatorServer

try:
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
except ImportError:  # pragma: no cover - the SDK is a declared dependency
    AccountingApi = None


class SdkSession:
    """An SDK ApiClient with a token store, as an application would wire it."""

    def __init__(self, url, client_id, client_secret):
        self.url = url
        self.token = {}
        self.oauth2 = OAuth2Token(client_id=client_id, client_secret=client_secret)
        configuration = Configuration()
        # Configuration() hands out copies of the first instance ever made: set ours after.
        configuration.oauth2_token = self.oauth2
        self.api_client = ApiClient(
            configuration,
            pool_threads=1,
            oauth2_token_getter=lambda: self.token,
            oauth2_token_saver=self.save,
        )
        pool = self.api_client.rest_client.pool_manager
        pool.connection_pool_kw["retries"] = urllib3.Retry(
            total=0, respect_retry_after_header=False
        )
        self.accounting = AccountingApi(self.api_client, base_url=url + "/api.xro/2.0")

    def save(self, token):
        self.token = dict(token)

    def token_api(self):
        """The SDK's TokenApi pointed at the emulator's identity endpoints."""
        api = TokenApi(self.api_client, self.oauth2.client_id, self.oauth2.client_secret)
        api.client_credentials_token_url = self.url + "/connect/token"
        api.refresh_token_url = self.url + "/connect/token"
        api.revoke_token_url = self.url + "/connect/revocation"
        return api

    def client_credentials(self):
        """Fetch a client_credentials token and keep it; returns the token dict."""
        self.save(self.token_api().get_client_credentials_token(False))
        return self.token

    @property
    def last_headers(self):
        """Headers of the SDK's last successful answer."""
        return self.api_client.last_response.getheaders()

    def raw(self, method, path, body=None, tenant=None, headers=None, query=""):
        """A call outside the SDK (urllib): returns (status, headers, decoded body)."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path + (("?" + query) if query else ""), data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if self.token.get("access_token"):
            request.add_header("Authorization", "Bearer " + self.token["access_token"])
        if tenant:
            request.add_header("xero-tenant-id", tenant)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, answer_headers, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, answer_headers, payload = exc.code, exc.headers, exc.read()
        try:
            decoded = json.loads(payload) if payload else None
        except ValueError:
            decoded = payload.decode("utf-8", "replace")
        return status, answer_headers, decoded


@pytest.fixture(scope="session")
def emulator():
    """One emulator for the session, on a free port, with a virtual clock."""
    server = EmulatorServer(host="127.0.0.1", port=0, virtual_clock=True).start()
    yield server
    server.stop()


@pytest.fixture
def emu(emulator):
    """The session emulator, reset to its default organisation for this test."""
    emulator.control.reset()
    return emulator


@pytest.fixture
def control(emu):
    """The control API client of a freshly reset emulator."""
    return emu.control


@pytest.fixture
def sdk(emu):
    """An SDK session with a client_credentials token."""
    if AccountingApi is None:
        pytest.skip("xero-python is not installed")
    session = SdkSession(emu.url, emu.client_id, emu.client_secret)
    session.client_credentials()
    return session


@pytest.fixture
def xero(sdk):
    """`AccountingApi` of the real SDK, authenticated against the emulator."""
    return sdk.accounting


@pytest.fixture
def tenant(emu):
    """The default organisation's tenant id."""
    return emu.tenant_id


HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
EXCEEDS = "Payment amount exceeds the amount outstanding on this document."
NOT_AUTHORISED = "Payments can only be made against Authorised documents."


def refusal(exc_info):
    """The messages of a 400 ValidationException."""
    data = exc_info.value.error_data
    assert data["Type"] == "ValidationException"
    return [m["Message"] for e in data["Elements"] for m in e["ValidationErrors"]]


def sales_line(unit=100, tax="OUTPUT2", **extra):
    fields = {"Description": "Item", "Quantity": 1, "UnitAmount": unit, "AccountCode": "200"}
    fields.update(TaxType=tax, **extra)
    return {key: value for key, value in fields.items() if value is not None}


def credit_note_body(contact, *lines, **fields):
    """An AUTHORISED sales credit note (lines default to one 20.00 + GST line: 23.00)."""
    body = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact.contact_id},
        "Date": "2026-03-05",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [sales_line(20)],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def invoice_body(contact, *lines, **fields):
    """An AUTHORISED sales invoice (lines default to one 100.00 + GST line: 115.00)."""
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact.contact_id},
        "Date": "2026-03-01",
        "DueDate": "2026-03-31",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [sales_line()],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def make_credit_note(xero, tenant, contact, *lines, **fields):
    body = credit_note_body(contact, *lines, **fields)
    return xero.create_credit_notes(tenant, {"CreditNotes": [body]}).credit_notes[0]


def make_invoice(xero, tenant, contact, *lines, **fields):
    body = invoice_body(contact, *lines, **fields)
    return xero.create_invoices(tenant, {"Invoices": [body]}).invoices[0]


def allocation(invoice_id, amount, day="2026-03-10"):
    return {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": day}


def allocate(xero, tenant, note_id, *allocations, **options):
    body = {"Allocations": list(allocations)}
    return xero.create_credit_note_allocation(tenant, note_id, body, **options).allocations


def refund(note_id, amount, day="2026-03-12", account=None, **extra):
    body = {
        "CreditNote": {"CreditNoteID": note_id},
        "Account": account or {"Code": "090"},
        "Date": day,
        "Amount": amount,
    }
    body.update(extra)
    return body


# -- OAuth helpers: a browser following the login URL, a raw token call --------------------

REDIRECT = "http://localhost:8069/xero/oauth/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def authorize(emu, state="st-1", **extra):
    """Follow the login URL as a browser would; returns the redirect's query parameters."""
    params = {
        "response_type": "code",
        "client_id": emu.app_client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access accounting.contacts accounting.invoices "
        "accounting.settings.read",
        "state": state,
    }
    params.update(extra)
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(emu.url + "/identity/connect/authorize?" + urlencode(params))
    assert redirect.value.code == 302
    location = redirect.value.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def token_call(emu, form, basic=True, client=None):
    """POST /connect/token; returns (status, decoded body). The client: ``client`` (id,
    secret), else the app for a code or a refresh, the first organisation's custom connection
    for client credentials."""
    if client is None:
        custom = form.get("grant_type") == "client_credentials"
        client = (
            (emu.client_id, emu.client_secret)
            if custom
            else (emu.app_client_id, emu.app_client_secret)
        )
    request = urllib.request.Request(
        emu.url + "/connect/token", data=urlencode(form).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if basic:
        secret = base64.b64encode(("%s:%s" % client).encode()).decode()
        request.add_header("Authorization", "Basic " + secret)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
