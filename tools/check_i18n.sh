#!/usr/bin/env bash
# Is account_xero_sync/i18n/account_xero_sync.pot current? Odoo's own export
# (--i18n-export, TranslationModuleReader: the addon's _()/_lt() calls, xero_api's _lt marks
# included, fields, selections, views, data) of the addon installed in a database, compared
# with the checked-in file, the header's dates aside.
#   PYTHON=.venv/bin/python bash tools/check_i18n.sh [--write] [DB]
# --write: rewrite the checked-in .pot. DB: a database with the addon installed (else a
# temporary one is made and dropped). Exits 1 when the .pot is out of date.
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"
POT=account_xero_sync/i18n/account_xero_sync.pot
WRITE=0
DB=
for arg in "$@"; do
  case "$arg" in
    --write) WRITE=1 ;;
    *) DB=$arg ;;
  esac
done
TMP=$(mktemp -d)
ADDONS=$TMP/addons  # the addon alone: Odoo scans every folder of an addons path
mkdir -p "$ADDONS"
ln -s "$ROOT/account_xero_sync" "$ADDONS/account_xero_sync"
OWN_DB=0
if [ -z "$DB" ]; then
  DB="xero_i18n_$(date +%s)_$$"
  OWN_DB=1
fi
cleanup() {
  [ "$OWN_DB" = 1 ] && dropdb -h "$DB_HOST" -U "$DB_USER" --if-exists "$DB" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
odoo() {
  TZ=UTC "$PY" -m odoo --db_host "$DB_HOST" --db_user "$DB_USER" --addons-path "$ADDONS" \
    --http-interface 127.0.0.1 --workers 0 --max-cron-threads 0 -d "$DB" "$@"
}
if [ "$OWN_DB" = 1 ]; then
  echo "== installing account_xero_sync in $DB"
  if ! odoo -i account_xero_sync --without-demo=all --stop-after-init --log-level=warn \
    >"$TMP/install.log" 2>&1; then
    echo "!!! the install failed:"; tail -n 30 "$TMP/install.log"; exit 1
  fi
fi
# No --language: a template (.pot), msgstr empty.
if ! odoo --i18n-export="$TMP/new.pot" --modules=account_xero_sync --log-level=warn \
  >"$TMP/export.log" 2>&1 || [ ! -s "$TMP/new.pot" ]; then
  echo "!!! the export failed:"; tail -n 30 "$TMP/export.log"; exit 1
fi
if grep -q "Failed to extract terms" "$TMP/export.log"; then
  echo "!!! Odoo could not read some files:"; grep -A3 "Failed to extract" "$TMP/export.log"; exit 1
fi
strip_dates() { grep -vE '^"(POT-Creation-Date|PO-Revision-Date): ' "$1"; }
if [ "$WRITE" = 1 ]; then
  mkdir -p "$(dirname "$POT")"
  cp "$TMP/new.pot" "$POT"
  echo "wrote $POT ($(grep -c '^msgid ' "$POT") terms, $(wc -l <"$POT") lines)"
  exit 0
fi
if [ ! -f "$POT" ]; then
  echo "!!! $POT is missing: run tools/check_i18n.sh --write"; exit 1
fi
if ! diff -u <(strip_dates "$POT") <(strip_dates "$TMP/new.pot") >"$TMP/diff"; then
  echo "!!! $POT is out of date (a translatable string was added, changed or removed):"
  head -n 60 "$TMP/diff"
  echo "!!! run tools/check_i18n.sh --write (PYTHON=.venv/bin/python bash tools/check_i18n.sh --write) and commit the .pot"
  exit 1
fi
echo "$POT is current ($(grep -c '^msgid ' "$POT") terms)"
