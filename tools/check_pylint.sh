#!/usr/bin/env bash
# pylint-odoo with OCA's mandatory configuration for 18.0 (.pylintrc-mandatory at the repository
# root: where it comes from and its one change are written at its top) over the addon.
# Prints every message and fails on any, or when pylint itself cannot run (pylint-odoo missing:
# `pip install -r requirements-test.txt`). Last line: `pylint-odoo: N messages`.
# From the repository root or anywhere: PYTHON=.venv/bin/python bash tools/check_pylint.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(if [ -x .venv/bin/python ]; then echo .venv/bin/python; else echo python3; fi)}

if ! "$PY" -c 'import pylint_odoo' >/dev/null 2>&1; then
  echo "!!! pylint-odoo is not installed in $PY: pip install -r requirements-test.txt"
  echo "pylint-odoo: did not run"
  exit 1
fi

out=$("$PY" -m pylint --rcfile=.pylintrc-mandatory --output-format=text account_xero_sync 2>&1)
rc=$?
# A message line reads `path:line: [C8101(symbol), obj] text` (the msg-template of the rcfile).
count=$(grep -cE '^[^ ]+:[0-9]+: \[[A-Z][0-9]{4}\(' <<<"$out")
if [ "$rc" -ne 0 ] || [ "$count" -ne 0 ]; then
  printf '%s\n' "$out"
  echo
  echo "by message:"
  grep -oE '\[[A-Z][0-9]{4}\([a-z0-9-]+\)' <<<"$out" | tr -d '[' | sort | uniq -c | sort -rn
  echo "pylint-odoo: $count messages (pylint exit $rc)"
  exit 1
fi
echo "pylint-odoo: 0 messages"
