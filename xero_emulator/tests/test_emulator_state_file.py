"""`--state FILE`: records, credentials and tokens survive a restart, a kill -9 included."""

import copy
import json
import os
import signal

import pytest
from xero_emulator.__main__ import main as emulator_main
from xero_emulator.persist import StateFileError
from xero_emulator.process import EmulatorProcess
from xero_emulator.testing import (
    REDIRECT,
    SdkSession,
    allocate,
    allocation,
    authorize,
    make_credit_note,
    make_invoice,
    token_call,
)

from xero_emulator import EmulatorServer

SECOND = "00000000-0000-4000-8000-0000000000b2"


def session(url, client, token=None):
    """An SDK session on `url` for `client` (id, secret): `token` kept, else client credentials."""
    sdk = SdkSession(url, *client)
    if token is None:
        sdk.client_credentials()
    else:
        sdk.save(token)
    return sdk


def org_fields(server):
    """Every organisation's fields, deep-copied (what a restart must give back exactly)."""
    with server.emulator.store.lock:
        return copy.deepcopy({t: vars(o) for t, o in server.emulator.store.orgs.items()})


def test_records_credentials_and_tokens_survive_a_restart(tmp_path):
    path = str(tmp_path / "state.json")
    first = EmulatorServer(port=0, virtual_clock=True, state_path=path).start()
    assert os.path.exists(path), "a new state file is written at start"
    tenant = first.tenant_id
    first.control.seed(
        {"organisations": [{"tenant_id": SECOND, "name": "Second Org", "base_currency": "AUD"}]}
    )
    first.control.advance(3600)
    sdk = session(first.url, (first.client_id, first.client_secret))
    xero = sdk.accounting
    contact = xero.create_contacts(tenant, {"Contacts": [{"Name": "Kept Ltd"}]}).contacts[0]
    invoice = make_invoice(xero, tenant, contact)
    note = make_credit_note(xero, tenant, contact)
    allocate(xero, tenant, note.credit_note_id, allocation(invoice.invoice_id, 23))
    xero.create_invoice_attachment_by_file_name(
        tenant, invoice.invoice_id, "kept.pdf", b"%PDF-1.4 kept"
    )
    second = session(first.url, first.custom_client(SECOND))
    second.accounting.create_contacts(SECOND, {"Contacts": [{"Name": "Second's"}]})
    code = authorize(first)["code"]
    status, app_token = token_call(
        first, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    )
    assert status == 200
    first.control.register_webhook("http://127.0.0.1:9/hook", "webhook-key")
    before, state_before, now = org_fields(first), first.control.state(), first.control.now()
    first.stop()

    again = EmulatorServer(port=0, virtual_clock=True, state_path=path).start()
    try:
        assert org_fields(again) == before
        assert again.control.state() == state_before
        assert again.control.now() == now
        assert again.tenant_ids == [tenant, SECOND]
        assert [r["url"] for r in again.control.webhooks()["receivers"]] == [
            "http://127.0.0.1:9/hook"
        ]
        # The custom connection's token from before the restart still reads.
        kept = session(again.url, (again.client_id, again.client_secret), sdk.token).accounting
        read = kept.get_invoice(tenant, invoice.invoice_id).invoices[0]
        assert (read.invoice_number, read.contact.name, read.amount_due) == (
            invoice.invoice_number,
            "Kept Ltd",
            92,
        )
        files = kept.get_invoice_attachments(tenant, invoice.invoice_id).attachments
        assert [(a.file_name, a.content_length) for a in files] == [("kept.pdf", 13)]
        # The numbering goes on where it was.
        newer = make_invoice(kept, tenant, contact)
        assert newer.invoice_number == "INV-0003"
        # Client credentials, for both organisations' custom connections.
        fresh = session(again.url, (again.client_id, again.client_secret)).accounting
        assert [c.name for c in fresh.get_contacts(tenant).contacts] == ["Kept Ltd"]
        other = session(again.url, again.custom_client(SECOND)).accounting
        assert [c.name for c in other.get_contacts(SECOND).contacts] == ["Second's"]
        # The OAuth 2.0 app's access token reads and its refresh token refreshes.
        status, refreshed = token_call(
            again, {"grant_type": "refresh_token", "refresh_token": app_token["refresh_token"]}
        )
        assert status == 200 and refreshed["refresh_token"] != app_token["refresh_token"]
        app = SdkSession(again.url, again.app_client_id, again.app_client_secret)
        assert app.raw("GET", "/connections")[0] == 401  # no token yet
        app.token = {"access_token": app_token["access_token"]}
        status, _headers, rows = app.raw("GET", "/connections")
        assert status == 200 and {r["tenantId"] for r in rows} == {tenant, SECOND}
        # A reset is a change like any other: the file follows it.
        again.control.reset()
        with open(path, encoding="utf-8") as handle:
            assert [o["tenant_id"] for o in json.load(handle)["organisations"]] == [tenant]
    finally:
        again.stop()


def test_cli_state_survives_kill_and_clean_stop(tmp_path):
    path = str(tmp_path / "cli-state.json")
    emulator = EmulatorProcess("--state", path)
    port = emulator.port
    try:
        sdk = session(emulator.url, ("emulator-client", "emulator-secret"))
        tenant = "00000000-0000-4000-8000-000000000001"
        sdk.accounting.create_contacts(tenant, {"Contacts": [{"Name": "Before the kill"}]})
    finally:
        emulator.proc.send_signal(signal.SIGKILL)  # no clean stop: the file is already written
        emulator.proc.wait(10)
    emulator = EmulatorProcess("--state", path, port=port)
    try:
        kept = session(emulator.url, ("emulator-client", "emulator-secret"), sdk.token)
        names = [c.name for c in kept.accounting.get_contacts(tenant).contacts]
        assert names == ["Before the kill"]
        kept.accounting.create_contacts(tenant, {"Contacts": [{"Name": "Before the stop"}]})
    finally:
        emulator.stop()  # SIGTERM
    assert emulator.proc.returncode == 0
    with EmulatorProcess("--state", path, port=port) as emulator:
        kept = session(emulator.url, ("emulator-client", "emulator-secret"), sdk.token)
        names = sorted(c.name for c in kept.accounting.get_contacts(tenant).contacts)
        assert names == ["Before the kill", "Before the stop"]


def test_an_unreadable_state_file_is_refused_and_left_alone(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(StateFileError):
        EmulatorServer(port=0, state_path=str(path))
    assert emulator_main(["--port", "0", "--state", str(path)]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert path.read_text() == "{not json"
    path.write_text(json.dumps({"organisations": []}))
    with pytest.raises(StateFileError, match="not an emulator state file"):
        EmulatorServer(port=0, state_path=str(path))
