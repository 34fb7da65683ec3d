#!/usr/bin/env python3
"""No secret in any log line: scan log files for client secrets, tokens and webhook keys.

``python3 tools/check_secrets.py LOG...`` prints each line that holds a secret (the secret
itself masked) and exits 1 when there is one; missing files are skipped. tools/run_tests.sh
runs it over every log of the test run, and fails the run on a find.

What counts as a secret:
- every client secret and webhook key the tests, the demo and the bench set (``LITERALS``);
- the emulator's tokens, which have recognisable shapes (xero_emulator/xero_emulator/identity.py):
  access and id tokens are JWTs (``eyJ...``.``eyJ...``.signature), refresh tokens start with
  ``emu-rt-``, authorization codes ``emu-ac-`` (Odoo's access log writes the OAuth
  callback's URL: ``controllers/oauth.py`` masks its code); an HTTP Basic header carries the
  client secret in base64.
"""

import re
import sys

LITERALS = (  # (what it is, where it is set): the report names it, never shows it
    ("client secret of the emulator", "emulator-secret"),  # tests, demo, bench (and each
    # organisation's custom connection: emulator-secret-<tenant id>)
    ("client secret of the emulator's OAuth app", "emulator-app-secret"),
    ("client secret of test_connection", "wrong-secret"),  # and test_client_emulator
    ("client secret of test_connection", "a-new-secret"),
    ("webhook key of test_webhooks", "Xero-webhook-key/abc123+XYZ=="),
    ("webhook key of test_emulator_webhooks", "emulator-webhook-key"),
)
PATTERNS = (
    ("access token", re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}")),
    ("refresh token", re.compile(r"emu-rt-[0-9a-f]{16,}")),
    ("authorization code", re.compile(r"emu-ac-[0-9a-f]{16,}")),
    ("Basic credentials", re.compile(r"Basic [A-Za-z0-9+/]{12,}=*")),
)


def leaks(text):
    """``[(line number, kind, line with the secret masked)]`` for each secret found in ``text``."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        kinds = []
        masked = line
        for label, literal in LITERALS:
            if literal in line:
                kinds.append(label)
                masked = masked.replace(literal, "***")
        for kind, pattern in PATTERNS:
            if pattern.search(line):
                kinds.append(kind)
                masked = pattern.sub("***", masked)
        if kinds:
            found.append((number, ", ".join(kinds), masked))
    return found


def main(paths):
    bad = read = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as log:
                text = log.read()
        except FileNotFoundError:
            continue
        read += 1
        for number, kind, line in leaks(text):
            bad += 1
            if bad <= 20:
                print(f"{path}:{number}: {kind}: {line[:300]}")
    if bad:
        print(f"!!! {bad} log line(s) hold a secret")
        return 1
    print(f"no secret in {read} log file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
