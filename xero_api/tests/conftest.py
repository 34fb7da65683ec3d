"""Fixtures for the emulator tests: one in-process emulator, SDK clients pointed at it.

`emulator` is session-wide (virtual clock) and reset before each test that asks for `emu`;
`xero` is an `AccountingApi` of the unmodified xero-python SDK holding a client_credentials
token, with urllib3's own retries off (as the gateway runs it).
"""

import json
import urllib.error
import urllib.request

import pytest
import urllib3

from xero_api.emulator import EmulatorServer

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
