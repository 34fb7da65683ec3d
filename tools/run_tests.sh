#!/usr/bin/env bash
# The tests behind `make test` (which first runs tools/bootstrap.sh and passes PYTHON): the
# emulator package's tests (xero_emulator/tests) and the addon's Xero layer tests
# (account_xero_sync/xero_api/tests), then the Odoo tests in a fresh database on 127.0.0.1 with
# the addon from this checkout, then an install with demo data and an uninstall.
# Exits non-zero on any failure, on Odoo tests that did not run (Odoo missing included), on
# skipped browser tests, on warnings from the addon, and on a secret (client secret, token,
# webhook key: tools/check_secrets.py) in any log of the run. Last line: `total: N passed, N failed`.
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"
ODOO_ONLY=0
# A partial run for development: XERO_TEST_TAGS=/account_xero_sync:TestCreditNotes (Odoo's
# --test-tags syntax) runs only those tests and skips the demo-data install; CI never sets it.
TEST_TAGS=${XERO_TEST_TAGS:-/account_xero_sync}
[ "${1:-}" = "--odoo-only" ] && ODOO_ONLY=1
# XERO_TEST_LOGDIR: where the logs go (.tmp); two partial runs at once give each its own.
LOGDIR=${XERO_TEST_LOGDIR:-.tmp}
mkdir -p "$LOGDIR"
status=0
api_passed=0
api_failed=0
LOGS=("$LOGDIR/odoo-tests.log")  # the logs this run writes, scanned for secrets at the end

if [ "$ODOO_ONLY" = 0 ]; then
  for suite in xero_emulator account_xero_sync; do
    echo "== $suite: plain-Python tests (no Odoo needed)"
    log=$LOGDIR/api-tests-$suite.log
    LOGS+=("$log")
    if [ "$suite" = xero_emulator ]; then
      (cd xero_emulator && "$PY" -m pytest -p no:odoo -q) >"$log" 2>&1
    else
      "$PY" -m pytest -p no:odoo -q >"$log" 2>&1
    fi
    [ "$?" -eq 0 ] || status=1
    tail -n 15 "$log"
    last=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -n 1)
    [ -n "$last" ] || { echo "!!! $suite: no pytest result line: $log"; status=1; api_failed=$((api_failed + 1)); }
    api_passed=$((api_passed + $(grep -oE '[0-9]+ passed' <<<"$last" | grep -oE '[0-9]+' || echo 0)))
    api_failed=$((api_failed + $(grep -oE '[0-9]+ failed' <<<"$last" | grep -oE '[0-9]+' || echo 0) \
      + $(grep -oE '[0-9]+ errors?' <<<"$last" | grep -oE '[0-9]+' || echo 0) ))
  done
  echo "== pylint-odoo (OCA's mandatory checks for 18.0, .pylintrc-mandatory)"
  PYTHON="$PY" bash tools/check_pylint.sh 2>&1 | tail -n 30
  [ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; api_failed=$((api_failed + 1)); }
fi

if ! "$PY" -c 'import odoo' >/dev/null 2>&1; then
  echo
  echo "!!! THE ODOO TESTS DID NOT RUN: 'import odoo' fails in $PY."
  echo "!!! Run 'make test' (it installs Odoo 18.0 into .venv), or give PYTHON= an interpreter that has it."
  echo "total: $api_passed passed, $((api_failed + 1)) failed"
  exit 1
fi

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ADDONS=$(mktemp -d)  # the addon alone: Odoo scans every folder of an addons path
ln -s "$ROOT/account_xero_sync" "$ADDONS/account_xero_sync"
DB="xero_test_$(date +%s)_$$"
DB_DEMO="${DB}_demo"
cleanup() {
  for db in "$DB" "$DB_DEMO"; do
    dropdb -h "$DB_HOST" -U "$DB_USER" --if-exists "$db" >/dev/null 2>&1 || true
  done
  rm -rf "$ADDONS"
}
trap cleanup EXIT
odoo() {
  local sub=()
  if [ "${1:-}" = shell ]; then sub=(shell); shift; fi
  TZ=UTC "$PY" -m odoo "${sub[@]}" --db_host "$DB_HOST" --db_user "$DB_USER" --addons-path "$ADDONS" \
    --http-interface 127.0.0.1 --http-port "$(free_port)" --workers 0 --max-cron-threads 0 "$@"
}

echo "== Odoo tests: database $DB (no demo data), addon from $ADDONS"
odoo -d "$DB" -i account_xero_sync --without-demo=all --test-enable \
  --test-tags "$TEST_TAGS" --stop-after-init --log-level=info >$LOGDIR/odoo-tests.log 2>&1
odoo_rc=$?
summary=$(grep -E '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' $LOGDIR/odoo-tests.log | tail -n 1)
grep -E ' (ERROR|CRITICAL) |^(FAIL|ERROR):|Traceback' $LOGDIR/odoo-tests.log | head -n 60
odoo_failed=0
odoo_total=0
if [ -z "$summary" ]; then
  echo "!!! THE ODOO TESTS DID NOT RUN (no result line; exit code $odoo_rc): see $LOGDIR/odoo-tests.log"
  tail -n 40 $LOGDIR/odoo-tests.log
  status=1
else
  echo "$summary"
  read -r f e t < <(sed -E 's/.* ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$summary")
  odoo_failed=$((f + e))
  odoo_total=$t
  [ "$odoo_failed" -eq 0 ] || status=1
fi
if grep -qE ' (ERROR|CRITICAL) ' $LOGDIR/odoo-tests.log; then
  echo "!!! Odoo logged errors (above)."; status=1
  [ "$odoo_failed" -gt 0 ] || odoo_failed=1
fi
if grep -qE 'websocket-client module is not installed|Chrome executable not found' $LOGDIR/odoo-tests.log; then
  echo "!!! Browser tests were skipped (websocket-client or Chromium missing)."; status=1
fi
# The addon's own warnings, and Odoo's checks of views at install (only ours are installed here).
warnings=$(grep -E ' WARNING .*(account_xero_sync|xero\.|odoo\.addons\.base\.models\.ir_ui_view:)' $LOGDIR/odoo-tests.log | grep -v 'Xero OAuth callback rejected' || true)
if [ -n "$warnings" ]; then
  echo "!!! The addon caused warnings:"; echo "$warnings" | head -n 20; status=1
fi

echo "== Install with demo data, then uninstall: database $DB_DEMO"
if [ -n "${XERO_TEST_TAGS:-}" ]; then
  echo "(skipped: a partial run, XERO_TEST_TAGS=$XERO_TEST_TAGS)"
elif LOGS+=($LOGDIR/odoo-demo.log) && odoo -d "$DB_DEMO" -i account_xero_sync --stop-after-init --log-level=warn >$LOGDIR/odoo-demo.log 2>&1 \
  && echo "env['ir.module.module'].search([('name', '=', 'account_xero_sync')]).button_immediate_uninstall(); env.cr.commit(); print('UNINSTALLED', env['ir.module.module'].search([('name', '=', 'account_xero_sync')]).state)" \
    | odoo shell -d "$DB_DEMO" --log-level=warn >>$LOGDIR/odoo-demo.log 2>&1 \
  && grep -q 'UNINSTALLED uninstalled' $LOGDIR/odoo-demo.log \
  && ! grep -qE ' (ERROR|CRITICAL) ' $LOGDIR/odoo-demo.log; then
  echo "installed with demo data and uninstalled cleanly"
else
  echo "!!! install with demo data / uninstall failed: $LOGDIR/odoo-demo.log"; tail -n 30 $LOGDIR/odoo-demo.log
  status=1; odoo_failed=$((odoo_failed + 1))
fi

echo "== Upgrade of an 18.0.1.0.0 database through migrations/ (tools/check_upgrade.sh)"
if [ -n "${XERO_TEST_TAGS:-}" ]; then
  echo "(skipped: a partial run, XERO_TEST_TAGS=$XERO_TEST_TAGS)"
elif ! PYTHON="$PY" XERO_TEST_LOGDIR="$LOGDIR" bash tools/check_upgrade.sh; then
  status=1; odoo_failed=$((odoo_failed + 1))
fi
for log in "$LOGDIR"/upgrade-*.log; do [ -f "$log" ] && LOGS+=("$log"); done

echo "== i18n/account_xero_sync.pot is current (tools/check_i18n.sh; --write regenerates it)"
if [ -n "${XERO_TEST_TAGS:-}" ]; then
  echo "(skipped: a partial run, XERO_TEST_TAGS=$XERO_TEST_TAGS)"
elif ! PYTHON="$PY" bash tools/check_i18n.sh; then
  status=1; odoo_failed=$((odoo_failed + 1))
fi

echo "== No secret in any log of the run (tools/check_secrets.py)"
if ! "$PY" tools/check_secrets.py "${LOGS[@]}"; then
  status=1; odoo_failed=$((odoo_failed + 1))
fi

echo "total: $((api_passed + odoo_total - odoo_failed)) passed, $((api_failed + odoo_failed)) failed"
exit $status
