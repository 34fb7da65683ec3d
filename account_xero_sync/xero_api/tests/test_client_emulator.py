"""XeroGateway against the Xero emulator: faults (429, 503, timeouts, dropped writes), tokens,
validation errors, and the throttle keeping 200 calls under the emulator's limits."""

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from gateway_fixtures import TENANT, make_gateway
from xero_api.errors import XeroAuthError, XeroRateLimited, XeroTransientError, XeroValidationError
from xero_api.throttle import MemoryStore, Throttle, VirtualClock

CONTACTS_PATH = "/api.xro/2.0/Contacts"


# `emu` (conftest.py): the session's in-process emulator, reset for the test.


def authenticated(url, **kwargs):
    """A gateway on the emulator with a client-credentials token; ``on_unauthorized`` fetches
    a new one (as the Odoo connection does for a custom connection)."""
    tokens = {}

    def renew():
        tokens["access"] = gateway.fetch_client_credentials_token()["access_token"]
        return tokens["access"]

    options = {"token_getter": lambda: tokens["access"], "on_unauthorized": renew}
    options.update(kwargs)
    gateway = make_gateway(url, **options)
    renew()
    return gateway


def api_requests(emu, method=None, path=CONTACTS_PATH):
    """The emulator's request log, filtered."""
    return [
        r
        for r in emu.control.requests()
        if r["path"].startswith(path) and (method is None or r["method"] == method)
    ]


def wait_for_requests(emu, count, method, timeout=10.0):
    """The log once it holds ``count`` matching requests (a delayed one is logged when done)."""
    deadline = time.monotonic() + timeout
    while True:
        found = api_requests(emu, method)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def contacts_named(gateway, name):
    return [c for c in gateway.call("get_contacts")["Contacts"] if c["Name"] == name]


def test_round_trip_plain_dicts(emu):
    gateway = authenticated(emu.url)
    connections = gateway.identity_call("get_connections")
    assert TENANT in [c["tenantId"] for c in connections]
    organisation = gateway.call("get_organisations")["Organisations"][0]
    assert organisation["BaseCurrency"] == "NZD"
    created = gateway.call(
        "create_contacts",
        contacts={"Contacts": [{"Name": "Round Trip", "EmailAddress": "rt@example.com"}]},
        summarize_errors=False,
    )["Contacts"][0]
    assert created["StatusAttributeString"] == "OK"
    fetched = gateway.call("get_contact", contact_id=created["ContactID"])["Contacts"][0]
    assert fetched["EmailAddress"] == "rt@example.com"
    assert gateway.last_rate["min_remaining"] is not None
    assert gateway.last_rate["day_remaining"] is not None


def test_429_short_retry_after_waits_and_succeeds(emu):
    gateway = authenticated(emu.url)
    emu.control.clear_requests()
    emu.control.add_fault(kind="429", count=1, retry_after=5, problem="minute", path=CONTACTS_PATH)
    assert "Contacts" in gateway.call("get_contacts")
    assert 5 in gateway.clock.sleeps
    assert [r["status"] for r in api_requests(emu)] == [429, 200]


def test_429_long_retry_after_raises_rate_limited(emu):
    gateway = authenticated(emu.url)
    emu.control.clear_requests()
    emu.control.add_fault(kind="429", count=1, retry_after=7200, problem="day", path=CONTACTS_PATH)
    start = gateway.clock.time()
    with pytest.raises(XeroRateLimited) as info:
        gateway.call("get_contacts")
    assert info.value.problem == "day"
    assert info.value.until == pytest.approx(start + 7200)
    assert gateway.clock.sleeps == []  # no worker blocked for two hours
    # The throttle remembers: the next call of this tenant is refused without a request.
    with pytest.raises(XeroRateLimited):
        gateway.call("get_contacts")
    assert len(api_requests(emu)) == 1


def test_503_retried(emu):
    gateway = authenticated(emu.url)
    emu.control.clear_requests()
    emu.control.add_fault(kind="503", count=2, path=CONTACTS_PATH)
    assert "Contacts" in gateway.call("get_contacts")
    assert [r["status"] for r in api_requests(emu)] == [503, 503, 200]
    emu.control.add_fault(kind="500", count=10, path=CONTACTS_PATH)
    with pytest.raises(XeroTransientError):
        gateway.call("get_contacts")
    assert len(api_requests(emu)) == 3 + 4  # one try and three retries


def test_write_timeout_not_replayed(emu):
    """A write whose answer does not come in time is not sent again under its key (Xero would
    replay what it kept, a 5xx included): the caller learns it may be in Xero, and is."""
    gateway = authenticated(emu.url, timeout=(5, 0.5))
    emu.control.clear_requests()
    emu.control.add_fault(kind="delay", count=1, delay=1.5, method="PUT", path=CONTACTS_PATH)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Slow Write"}]})
    assert info.value.unsure
    puts = wait_for_requests(emu, 1, "PUT")
    assert len(puts) == 1
    assert len(contacts_named(gateway, "Slow Write")) == 1


def test_dropped_write_not_replayed(emu):
    gateway = authenticated(emu.url)
    emu.control.clear_requests()
    emu.control.add_fault(kind="drop_after_write", count=1, method="PUT", path=CONTACTS_PATH)
    with pytest.raises(XeroTransientError) as info:
        gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Dropped Write"}]})
    assert info.value.unsure
    assert len(api_requests(emu, "PUT")) == 1
    assert len(contacts_named(gateway, "Dropped Write")) == 1


def test_validation_error_items(emu):
    gateway = authenticated(emu.url)
    gateway.call("create_contacts", contacts={"Contacts": [{"Name": "Taken Name"}]})
    with pytest.raises(XeroValidationError) as info:
        gateway.call(
            "create_contacts",
            contacts={"Contacts": [{"Name": "Fresh Name"}, {"Name": "Taken Name"}]},
        )
    error = info.value
    assert error.status == 400
    # Elements holds only the failing items: match them by their fields.
    assert [item["ref"].get("Name") for item in error.items] == ["Taken Name"]
    assert "Taken Name" in error.items[0]["messages"][0]
    assert "Taken Name" in error.user_message()
    # With summarize_errors=False the same batch answers 200, per item.
    result = gateway.call(
        "create_contacts",
        contacts={"Contacts": [{"Name": "Fresh Name 2"}, {"Name": "Taken Name"}]},
        summarize_errors=False,
    )
    statuses = [c["StatusAttributeString"] for c in result["Contacts"]]
    assert statuses == ["OK", "ERROR"]
    assert result["Contacts"][1]["ValidationErrors"][0]["Message"]


def test_expired_token_refreshed_once(emu):
    renewals = []
    gateway = authenticated(emu.url)
    renew = gateway.on_unauthorized

    def counting_renew():
        renewals.append(1)
        return renew()

    gateway.on_unauthorized = counting_renew
    emu.control.expire_tokens()
    assert "Organisations" in gateway.call("get_organisations")
    assert renewals == [1]


def test_authorization_code_refresh_and_invalid_grant(emu):
    gateway = make_gateway(emu.url, client=(emu.app_client_id, emu.app_client_secret))
    redirect_uri = "https://odoo.example/xero/callback"
    url = gateway.authorize_url(redirect_uri, None, "state-1")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(url, timeout=10)
    location = urlparse(answer.value.headers["Location"])
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]

    first = gateway.exchange_code(query["code"][0], redirect_uri)
    assert first["access_token"] and first["refresh_token"]
    assert first["expires_at"] == pytest.approx(gateway.clock.time() + 1800)
    second = gateway.refresh_token(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    tokens = {"access": second["access_token"]}
    gateway.token_getter = lambda: tokens["access"]
    assert gateway.identity_call("get_connections")

    with pytest.raises(XeroAuthError) as info:
        gateway.refresh_token("not-a-refresh-token")
    assert info.value.needs_reauth and info.value.code == "invalid_grant"
    assert "not-a-refresh-token" not in str(info.value)

    gateway.revoke(second["refresh_token"])
    with pytest.raises(XeroAuthError) as info:
        gateway.refresh_token(second["refresh_token"])
    assert info.value.needs_reauth


def test_wrong_client_secret_is_auth_error(emu):
    gateway = make_gateway(emu.url)
    gateway.token_api.client_secret = "wrong-secret"
    with pytest.raises(XeroAuthError) as info:
        gateway.fetch_client_credentials_token()
    assert info.value.code == "invalid_client" and info.value.needs_reauth
    assert "wrong-secret" not in info.value.user_message()
    # Like Xero: a wrong secret is invalid_client, which reconnecting cannot fix.
    assert info.value.status == 400 and info.value.bad_credentials
    assert "client id or secret" in info.value.user_message()
    assert "authorised again" not in info.value.user_message()


class EmulatorSyncedClock(VirtualClock):
    """A VirtualClock whose waits also move the emulator's virtual clock forward."""

    def __init__(self, emu):
        super().__init__()
        self.emu = emu

    def sleep(self, seconds):
        super().sleep(seconds)
        self.emu.control.advance(seconds)


def test_throttle_keeps_200_calls_under_the_emulator_limits(emu):
    clock = EmulatorSyncedClock(emu)
    throttle = Throttle(MemoryStore(), clock)
    gateway = authenticated(emu.url, clock=clock, throttle=throttle)
    emu.control.clear_requests()
    start = clock.time()
    for _ in range(200):
        gateway.call("get_organisations")
    log = api_requests(emu, path="/api.xro/2.0/Organisation")
    assert len(log) == 200
    assert {r["status"] for r in log} == {200}
    assert 180 <= clock.time() - start < 190
