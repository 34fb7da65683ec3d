"""The log scan of tools/check_secrets.py (run by tools/run_tests.sh over every log of the test
run) finds each kind of secret, the emulator's real tokens included, and passes clean logs."""

import base64
import importlib.util
import os
import subprocess
import sys

from xero_emulator.identity import CODE_PREFIX, REFRESH_PREFIX
from xero_emulator.testing import authorize, token_call

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "check_secrets.py")
_spec = importlib.util.spec_from_file_location("check_secrets", TOOL)
check_secrets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_secrets)

CLEAN = (
    "2026-12-01 10:00:00,000 1 INFO db odoo.addons.account_xero_sync: Send New Customers: "
    "3 created\n"
    "2026-12-01 10:00:01,000 1 INFO db werkzeug: 127.0.0.1 GET /api.xro/2.0/Contacts 200\n"
    "client_secret=*** Authorization: Bearer *** (masked)\n"
)


def test_every_emulator_token_has_a_recognisable_shape(emu):
    answer = authorize(emu, scope="openid offline_access accounting.contacts")
    assert answer["code"].startswith(CODE_PREFIX)
    status, token = token_call(
        emu,
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": "http://localhost:8069/xero/oauth/callback",
        },
    )
    assert status == 200 and token["refresh_token"].startswith(REFRESH_PREFIX)
    basic = base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode()
    for secret, kind in (
        (token["access_token"], "access token"),
        (token["id_token"], "access token"),
        (token["refresh_token"], "refresh token"),
        ("Authorization: Basic " + basic, "Basic credentials"),
        (answer["code"], "authorization code"),
        (emu.client_secret, "client secret of the emulator"),
    ):
        log = CLEAN + f"2026-12-01 10:00:02,000 1 ERROR db odoo: call failed {secret} here\n"
        found = check_secrets.leaks(log)
        assert [(n, k) for n, k, _line in found] == [(4, kind)], secret
        assert secret not in found[0][2], "the report masks what it found"


def test_clean_log_passes_and_a_leak_fails_the_command(tmp_path):
    assert check_secrets.leaks(CLEAN) == []
    for _label, literal in check_secrets.LITERALS:
        assert check_secrets.leaks(f"key {literal} logged")
    key = check_secrets.LITERALS[3][1]
    clean, leaky = tmp_path / "clean.log", tmp_path / "leaky.log"
    clean.write_text(CLEAN)
    leaky.write_text(CLEAN + f"webhook key {key} in a message\n")
    run = [sys.executable, TOOL, str(clean), str(tmp_path / "missing.log")]
    assert subprocess.run(run, capture_output=True, check=False).returncode == 0
    result = subprocess.run(run + [str(leaky)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "leaky.log:4" in result.stdout and key not in result.stdout
