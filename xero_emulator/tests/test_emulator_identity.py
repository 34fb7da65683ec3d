"""OAuth2 and tenants: the authorization-code flow end to end, token rotation and expiry,
revocation, 401/403 shapes, several organisations."""

import base64
import json
import time

import pytest
from xero_emulator.testing import REDIRECT, SdkSession, authorize, token_call
from xero_python.api_client.oauth2 import TokenApi
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi


def code_session(emu, monkeypatch, **authorize_extra):
    """An SDK session holding an authorization-code token (with refresh token)."""
    for name in ("refresh_token_url", "client_credentials_token_url"):
        monkeypatch.setattr(TokenApi, name, emu.url + "/connect/token")
    monkeypatch.setattr(TokenApi, "revoke_token_url", emu.url + "/connect/revocation")
    answer = authorize(emu, **authorize_extra)
    status, token = token_call(
        emu, {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT}
    )
    assert status == 200, token
    session = SdkSession(emu.url, emu.app_client_id, emu.app_client_secret)
    token["scope"] = token["scope"].split()
    token["expires_at"] = time.time() + token["expires_in"]
    session.save(token)
    return session


def test_authorization_code_flow_end_to_end(emu, monkeypatch):
    answer = authorize(emu, state="xyz")
    assert answer["state"] == "xyz" and answer["code"]
    status, token = token_call(
        emu, {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT}
    )
    assert status == 200
    assert token["expires_in"] == 1800 and token["token_type"] == "Bearer"
    assert token["refresh_token"] and token["id_token"].count(".") == 2
    claims = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[1] + "=="))
    assert claims["exp"] - claims["nbf"] == 1800 and claims["authentication_event_id"]
    reused = token_call(
        emu, {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT}
    )
    assert reused == (400, {"error": "invalid_grant"}), "a code is single use"
    session = code_session(emu, monkeypatch)
    connections = IdentityApi(session.api_client, base_url=emu.url).get_connections()
    assert [(c.tenant_id, c.tenant_type, c.tenant_name) for c in connections] == [
        (emu.tenant_id, "ORGANISATION", "Demo Company")
    ]
    organisation = session.accounting.get_organisations(emu.tenant_id).organisations[0]
    assert organisation.base_currency.value == "NZD" and organisation.name == "Demo Company"


def test_refresh_tokens_rotate_single_use_with_grace(emu, monkeypatch, control):
    session = code_session(emu, monkeypatch)
    first_refresh = session.token["refresh_token"]
    session.api_client.refresh_oauth2_token()
    second_refresh = session.token["refresh_token"]
    assert second_refresh != first_refresh
    # The new token was "lost": the old one may be retried within 30 minutes...
    status, retried = token_call(
        emu, {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert status == 200 and retried["refresh_token"] not in (first_refresh, second_refresh)
    # ... and the one handed out before can no longer refresh (two refreshers break each other).
    assert token_call(emu, {"grant_type": "refresh_token", "refresh_token": second_refresh}) == (
        400,
        {"error": "invalid_grant"},
    )
    control.advance(31 * 60)
    assert (
        token_call(emu, {"grant_type": "refresh_token", "refresh_token": first_refresh})[0] == 400
    )
    status, fresh = token_call(
        emu, {"grant_type": "refresh_token", "refresh_token": retried["refresh_token"]}
    )
    assert status == 200 and fresh["access_token"]


def test_access_tokens_expire_by_the_emulator_clock(sdk, emu, control, tenant, monkeypatch):
    sdk.accounting.get_organisations(tenant)
    control.advance(1801)
    with pytest.raises(ApiException) as expired:
        sdk.accounting.get_organisations(tenant)
    body = json.loads(expired.value.body)
    assert expired.value.status == 401 and body["Detail"].startswith("TokenExpired")
    sdk.client_credentials()
    assert sdk.accounting.get_organisations(tenant).organisations
    # An SDK token past its expires_at is refreshed by the SDK itself before the call.
    session = code_session(emu, monkeypatch)
    old_refresh = session.token["refresh_token"]
    session.token["expires_at"] = time.time() - 1
    assert session.accounting.get_contacts(tenant).contacts == []
    assert session.token["refresh_token"] != old_refresh
    assert control.expire_tokens() >= 1
    with pytest.raises(ApiException) as forced:
        session.accounting.get_contacts(tenant)
    assert forced.value.status == 401


def test_revocation_ends_refresh_and_access(emu, monkeypatch, tenant):
    session = code_session(emu, monkeypatch)
    refresh = session.token["refresh_token"]
    access = session.token["access_token"]
    session.api_client.revoke_oauth2_token()
    assert token_call(emu, {"grant_type": "refresh_token", "refresh_token": refresh})[0] == 400
    session.save({"access_token": access, "token_type": "Bearer", "expires_in": 1800, "scope": []})
    with pytest.raises(ApiException) as revoked:
        session.accounting.get_contacts(tenant)
    assert revoked.value.status == 401


def test_granular_scopes_are_enforced(emu, monkeypatch, tenant):
    session = code_session(emu, monkeypatch, scope="offline_access accounting.contacts.read")
    assert session.accounting.get_contacts(tenant).contacts == []
    for call in (
        lambda: session.accounting.create_contacts(tenant, {"Contacts": [{"Name": "No"}]}),
        lambda: session.accounting.get_payments(tenant),
        lambda: session.accounting.get_organisations(tenant),
    ):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 401
        assert json.loads(refused.value.body)["Detail"] == "AuthorizationUnsuccessful"
    older = code_session(emu, monkeypatch, scope="offline_access accounting.transactions")
    assert older.accounting.get_payments(tenant).payments == []


def test_client_authentication_and_grant_errors(emu):
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": "wrong",
    }
    assert token_call(emu, form, basic=False) == (400, {"error": "invalid_client"})
    good = dict(form, client_secret=emu.client_secret)
    status, token = token_call(emu, good, basic=False)
    assert status == 200 and "refresh_token" not in token
    assert token_call(emu, {"grant_type": "password"}) == (400, {"error": "unsupported_grant_type"})
    assert token_call(emu, {"grant_type": "refresh_token", "refresh_token": "nope"}) == (
        400,
        {"error": "invalid_grant"},
    )


def test_401_and_403_shapes(sdk, emu, tenant):
    status, _headers, body = sdk.raw(
        "GET", "/api.xro/2.0/Contacts", tenant="5f0c1a9e-0000-4000-8000-0000000000ff"
    )
    assert status == 403
    assert (
        body["Title"] == "Forbidden"
        and body["Status"] == 403
        and body["Detail"] == "AuthenticationUnsuccessful"
    )
    assert body["Type"] is None
    assert sdk.raw("GET", "/api.xro/2.0/Contacts")[0] == 403, "no xero-tenant-id header"
    sdk.token["access_token"] = "not-a-token"
    status, headers, body = sdk.raw("GET", "/api.xro/2.0/Contacts", tenant=tenant)
    assert (
        status == 401
        and body["Title"] == "Unauthorized"
        and body["Detail"] == "AuthenticationUnsuccessful"
    )
    assert "X-AppMinLimit-Remaining" in headers
    sdk.token.pop("access_token")
    assert sdk.raw("GET", "/api.xro/2.0/Contacts", tenant=tenant)[0] == 401


def test_several_organisations(emu, control, monkeypatch):
    seed = {
        "organisations": [
            {
                "tenant_id": "11111111-1111-4111-8111-111111111111",
                "name": "North Ltd",
                "base_currency": "NZD",
            },
            {
                "tenant_id": "22222222-2222-4222-8222-222222222222",
                "name": "West Pty",
                "base_currency": "AUD",
                "currencies": ["NZD"],
            },
        ]
    }
    north, west = control.reset(seed)
    # The app, granted both organisations by its user, reaches both.
    session = code_session(emu, monkeypatch)
    xero = session.accounting
    xero.create_contacts(north, {"Contacts": [{"Name": "Shared Name"}]})
    xero.create_contacts(west, {"Contacts": [{"Name": "Shared Name"}]})
    assert [c.name for c in xero.get_contacts(north).contacts] == ["Shared Name"]
    assert xero.get_organisations(west).organisations[0].base_currency.value == "AUD"
    assert [c.code.value for c in xero.get_currencies(west).currencies] == ["AUD", "NZD"]
    connections = IdentityApi(session.api_client, base_url=emu.url).get_connections()
    assert {c.tenant_name for c in connections} == {"North Ltd", "West Pty"}
    only_north = code_session(emu, monkeypatch, tenant_id=north)
    assert only_north.accounting.get_contacts(north).contacts
    with pytest.raises(ApiException) as other:
        only_north.accounting.get_contacts(west)
    assert other.value.status == 403


def test_a_custom_connection_reaches_exactly_one_organisation(emu, control):
    """Developer.xero.com FAQ, custom integrations: "it can only be connected to a single
    organisation". Each organisation has its own client id and secret; a token of one is
    refused (403) by the other, and its /connections lists its own only."""
    north, west = control.reset(
        {
            "organisations": [
                {"tenant_id": "11111111-1111-4111-8111-111111111111", "name": "North Ltd"},
                {
                    "tenant_id": "22222222-2222-4222-8222-222222222222",
                    "name": "West Pty",
                    "client_id": "west-custom",
                    "client_secret": "west-custom-secret",
                },
            ]
        }
    )
    assert emu.custom_client(north) == (emu.client_id, emu.client_secret)
    assert emu.custom_client(west) == ("west-custom", "west-custom-secret")
    info = control.info()
    assert info["custom_connections"][west] == {
        "client_id": "west-custom",
        "client_secret": "west-custom-secret",
    }
    for tenant, other in ((north, west), (west, north)):
        session = SdkSession(emu.url, *emu.custom_client(tenant))
        session.client_credentials()
        assert session.accounting.get_contacts(tenant).contacts == []
        with pytest.raises(ApiException) as refused:
            session.accounting.get_contacts(other)
        assert refused.value.status == 403
        connections = IdentityApi(session.api_client, base_url=emu.url).get_connections()
        assert [c.tenant_id for c in connections] == [tenant]
    # An organisation seeded without one gets emulator-client-<tenant id>.
    [third] = [
        t for t in control.seed({"organisations": [{"name": "South"}]}) if t not in (north, west)
    ]
    assert emu.custom_client(third) == ("emulator-client-" + third, "emulator-secret-" + third)


def test_a_client_is_a_custom_connection_or_the_app(emu):
    """A custom connection authorises nobody; the app has no client-credentials grant: both
    refused with unauthorized_client."""
    app = (emu.app_client_id, emu.app_client_secret)
    assert token_call(emu, {"grant_type": "client_credentials"}, client=app) == (
        400,
        {"error": "unauthorized_client"},
    )
    refused = authorize(emu, client_id=emu.client_id)
    assert refused["error"] == "unauthorized_client" and "code" not in refused
    code = authorize(emu)["code"]
    custom = (emu.client_id, emu.client_secret)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert token_call(emu, form, client=custom) == (400, {"error": "unauthorized_client"})


def test_an_uncertified_app_reaches_at_most_25_organisations(emu, control, monkeypatch):
    """Developer.xero.com, app limits: an uncertified app is connected to at most 25
    organisations. Consent that would connect a 26th is refused (access_denied, the reason
    in error_description); one already connected may be granted again."""
    tenants = control.reset({"organisations": [{"name": "Org %02d" % n} for n in range(26)]})
    code_session(emu, monkeypatch, tenant_id=",".join(tenants[:20]))
    code_session(emu, monkeypatch, tenant_id=",".join(tenants[20:25]))
    refused = authorize(emu, tenant_id=tenants[25])
    assert refused["error"] == "access_denied" and "code" not in refused
    assert "at most 25 organisations" in refused["error_description"]
    again = code_session(emu, monkeypatch, tenant_id=tenants[0])
    assert again.accounting.get_contacts(tenants[0]).contacts == []


def test_credit_notes_and_allocations_need_the_invoices_scope(emu, monkeypatch, tenant):
    reader = code_session(emu, monkeypatch, scope="offline_access accounting.invoices.read")
    assert reader.accounting.get_credit_notes(tenant).credit_notes == []
    payer = code_session(emu, monkeypatch, scope="offline_access accounting.payments")
    allocations = {"Allocations": [{"Invoice": {"InvoiceID": tenant}, "Amount": 1}]}
    for call in (
        lambda: reader.accounting.create_credit_notes(tenant, {"CreditNotes": [{}]}),
        lambda: reader.accounting.create_credit_note_allocation(tenant, tenant, allocations),
        lambda: payer.accounting.get_credit_notes(tenant),
    ):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 401
