#!/usr/bin/env bash
# Upgrade test of account_xero_sync/migrations/18.0.1.1.0 (issue #26 item 5): a database of the
# released 18.0.1.0.0 (commit f497116, whose repository root is the addon) upgraded with the
# addon of this checkout must keep its connections' secrets, tokens and webhook URLs.
#
# 18.0.1.0.0 already stores the client secret with the tokens and gives every connection a
# webhook token: the migration converts the OLDER layouts that 18.0.1.0.0's init() converted on
# every update. So after installing 18.0.1.0.0 and putting in connections through the ORM
# (odoo shell), this script rewrites its tables by SQL into those older layouts, then upgrades:
#   - db "mid" (after webhooks, before the secret moved, commits 85d1510..4083274): the client
#     secret in a column xero_connection.client_secret, none on xero_connection_token; one
#     connection without a token row, one without a webhook token, two sharing one (what an
#     update to 18.0.1.0.0 from before webhooks left: Odoo filled the new column with one value);
#   - db "old" (before webhooks, before 85d1510): the same, and no webhook_token column and no
#     webhook_key column at all (each connection must get its own token, not one for all).
# Then it checks that both migration scripts ran, and through odoo shell that each secret, token
# and webhook key is where 18.0.1.1.0 reads it, that every connection has its own webhook token
# (the ones that worked unchanged), that the old column is gone, that the installed version is
# 18.0.1.1.0, and that the scripts run a second time change nothing.
# Usage, from the repository root: PYTHON=.venv/bin/python bash tools/check_upgrade.sh
# Exits non-zero with a message saying what failed; drops its databases in any case.
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"
OLD_COMMIT=f497116
NEW_VERSION=18.0.1.1.0
# The addon to upgrade with: this checkout's, unless XERO_UPGRADE_ADDON names another copy.
NEW_ADDON=$(cd "${XERO_UPGRADE_ADDON:-$ROOT/account_xero_sync}" && pwd)
LOGDIR=${XERO_TEST_LOGDIR:-.tmp}
mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)

TMP=$(mktemp -d)
DB="xero_upgrade_$(date +%s)_$$"
DBS=("$DB" "${DB}_mid" "${DB}_old")
cleanup() {
  for db in "${DBS[@]}"; do
    dropdb -h "$DB_HOST" -U "$DB_USER" --if-exists "$db" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "!!! check_upgrade: $*"; exit 1; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
odoo() {  # odoo [shell] ADDONS_PATH args...
  local sub=()
  if [ "${1:-}" = shell ]; then sub=(shell); shift; fi
  local addons=$1
  shift
  TZ=UTC "$PY" -m odoo "${sub[@]}" --db_host "$DB_HOST" --db_user "$DB_USER" --addons-path "$addons" \
    --http-interface 127.0.0.1 --http-port "$(free_port)" --workers 0 --max-cron-threads 0 "$@"
}
psql_db() { psql -h "$DB_HOST" -U "$DB_USER" -d "$1" -v ON_ERROR_STOP=1 -q; }

"$PY" -c 'import odoo' >/dev/null 2>&1 || fail "'import odoo' fails in $PY"

# The released addon, and this checkout's, each alone in an addons path.
mkdir -p "$TMP/old_src" "$TMP/addons_old" "$TMP/addons_new"
git -C "$ROOT" archive "$OLD_COMMIT" | tar -x -C "$TMP/old_src" || fail "git archive $OLD_COMMIT failed"
ln -s "$TMP/old_src" "$TMP/addons_old/account_xero_sync"
ln -s "$NEW_ADDON" "$TMP/addons_new/account_xero_sync"
grep -q '"version": "18.0.1.0.0"' "$TMP/old_src/__manifest__.py" || fail "$OLD_COMMIT is not 18.0.1.0.0"

echo "== Install 18.0.1.0.0 ($OLD_COMMIT) in $DB"
odoo "$TMP/addons_old" -d "$DB" -i account_xero_sync --without-demo=all --stop-after-init \
  --log-level=warn >"$LOGDIR/upgrade-install.log" 2>&1 \
  || { tail -n 30 "$LOGDIR/upgrade-install.log"; fail "install of 18.0.1.0.0 failed: $LOGDIR/upgrade-install.log"; }

echo "== Connections with secrets, tokens and a webhook key, through 18.0.1.0.0's ORM"
odoo shell "$TMP/addons_old" -d "$DB" --log-level=warn >"$LOGDIR/upgrade-seed.log" 2>&1 <<'EOF'
import json
Company = env["res.company"]
companies = env.ref("base.main_company") + Company.create(
    [{"name": "Dealer %s" % n} for n in ("Two", "Three", "Four")]
)
Conn = env["xero.connection"]
one, two, three, four = (
    Conn.create({"company_id": c.id, "client_id": "cid-%s" % i})
    for i, c in enumerate(companies, 1)
)
one.write({"auth_mode": "client_credentials", "tenant_id": "tenant-one"})
one.client_secret = "secret-one"
two.client_secret = "secret-two"
one.webhook_key = "whkey-one"
one._token_record().write(
    {"access_token": "at-one", "refresh_token": "rt-one", "expires_at": 4102444800.0}
)
env.cr.commit()
print("SEED " + json.dumps({
    "ids": [one.id, two.id, three.id, four.id],
    "webhook_tokens": [c.webhook_token for c in (one, two, three, four)],
}))
EOF
SEED=$(grep -oE '^SEED .*' "$LOGDIR/upgrade-seed.log" | sed 's/^SEED //')
[ -n "$SEED" ] || { tail -n 30 "$LOGDIR/upgrade-seed.log"; fail "seeding the 18.0.1.0.0 database failed: $LOGDIR/upgrade-seed.log"; }
read -r ONE TWO THREE FOUR < <("$PY" -c 'import json,sys; print(*json.loads(sys.argv[1])["ids"])' "$SEED")

echo "== The older layouts, by SQL: ${DB}_mid (secret on the connection), ${DB}_old (and no webhooks)"
for copy in "${DB}_mid" "${DB}_old"; do
  createdb -h "$DB_HOST" -U "$DB_USER" -T "$DB" "$copy" || fail "createdb $copy failed"
done
LAYOUT_MID="
ALTER TABLE xero_connection ADD COLUMN client_secret varchar;
UPDATE xero_connection c SET client_secret = t.client_secret
  FROM xero_connection_token t WHERE t.connection_id = c.id;
ALTER TABLE xero_connection_token DROP COLUMN client_secret;
DELETE FROM xero_connection_token WHERE connection_id = $TWO;
"
psql_db "${DB}_mid" <<EOF || fail "SQL of the mid layout failed"
$LAYOUT_MID
UPDATE xero_connection SET webhook_token = NULL WHERE id = $TWO;
UPDATE xero_connection SET webhook_token = (SELECT webhook_token FROM xero_connection
                                             WHERE id = $THREE) WHERE id = $FOUR;
EOF
psql_db "${DB}_old" <<EOF || fail "SQL of the old layout failed"
$LAYOUT_MID
ALTER TABLE xero_connection DROP COLUMN webhook_token;
ALTER TABLE xero_connection_token DROP COLUMN webhook_key;
EOF

check() {  # check DB LAYOUT
  local db=$1 layout=$2 log="$LOGDIR/upgrade-$2.log"
  echo "== Upgrade $db ($layout layout) with the addon in $NEW_ADDON"
  odoo "$TMP/addons_new" -d "$db" -u account_xero_sync --stop-after-init --log-level=info \
    >"$log" 2>&1 || { tail -n 30 "$log"; fail "upgrade of $db failed: $log"; }
  if grep -E ' (ERROR|CRITICAL) |^Traceback' "$log" | head -n 20 | grep -q .; then
    grep -E ' (ERROR|CRITICAL) |^Traceback' "$log" | head -n 20
    fail "the upgrade of $db logged errors: $log"
  fi
  for stage in "\[>$NEW_VERSION\] pre-migrate" "\[$NEW_VERSION>\] post-migrate"; do
    grep -qE "Running migration $stage" "$log" || fail "$db: migration $stage did not run: $log"
  done
  if [ "$layout" = old ] && grep -q 'shared the webhook URL' "$log"; then
    fail "$db: the connections made before webhooks were given one webhook token for all: $log"
  fi
  SEED="$SEED" LAYOUT="$layout" NEW_VERSION="$NEW_VERSION" \
    odoo shell "$TMP/addons_new" -d "$db" --log-level=warn >"$log.check" 2>&1 <<'EOF'
import json
import os
from odoo.tools.sql import column_exists
seed = json.loads(os.environ["SEED"])
layout = os.environ["LAYOUT"]
problems = []
def expect(ok, what):
    if not ok:
        problems.append(what)
module = env["ir.module.module"].search([("name", "=", "account_xero_sync")])
expect(module.state == "installed", "module state %s" % module.state)
expect(module.latest_version == os.environ["NEW_VERSION"],
       "installed version %s, not %s" % (module.latest_version, os.environ["NEW_VERSION"]))
expect(not column_exists(env.cr, "xero_connection", "client_secret"),
       "xero_connection.client_secret is still a column")
Conn = env["xero.connection"]
one, two, three, four = Conn.browse(seed["ids"])
Token = env["xero.connection.token"]
token = {c: Token.search([("connection_id", "=", c.id)]) for c in (one, two, three, four)}
expect(len(token[one]) == 1 and (token[one].client_secret, token[one].access_token,
       token[one].refresh_token, token[one].expires_at)
       == ("secret-one", "at-one", "rt-one", 4102444800.0),
       "connection one's secret and tokens not kept")
expect(len(token[two]) == 1 and token[two].client_secret == "secret-two",
       "connection two (no token row before) has no token row with its secret")
expect(not token[three] or not token[three].client_secret, "connection three got a secret")
expect(one.client_secret_set and two.client_secret_set and not three.client_secret_set,
       "client_secret_set wrong: %s" % [c.client_secret_set for c in (one, two, three)])
if layout == "mid":
    expect(token[one].webhook_key == "whkey-one" and one.webhook_key_set,
           "connection one's webhook key not kept")
    old_tokens = seed["webhook_tokens"]
    expect(one.webhook_token == old_tokens[0], "connection one's webhook URL changed")
    # Three and four shared three's token: the connection the controller finds keeps it.
    first = Conn.search([("webhook_token", "=", old_tokens[2])])
    expect(len(first) == 1 and first == Conn.search([("id", "in", (three + four).ids)], limit=1),
           "the shared webhook token is not kept by the connection deliveries reached")
webhook_tokens = [c.webhook_token for c in (one, two, three, four)]
expect(all(webhook_tokens) and len(set(webhook_tokens)) == 4,
       "webhook tokens not all set and distinct: %s" % ["set" if t else t for t in webhook_tokens])
# Idempotent: the scripts run again on the migrated database change nothing.
from odoo.modules.migration import load_script
from odoo.modules.module import get_module_path
before = [(c.webhook_token, token[c].client_secret) for c in (one, two, three, four)]
folder = get_module_path("account_xero_sync") + "/migrations/" + os.environ["NEW_VERSION"]
for stage in ("pre", "post"):
    load_script("%s/%s-migrate.py" % (folder, stage), "%s-migrate" % stage).migrate(
        env.cr, "18.0.1.0.0"
    )
env.invalidate_all()
after = [(c.webhook_token, token[c].client_secret) for c in (one, two, three, four)]
expect(before == after, "the migration scripts run a second time changed the data")
env.cr.rollback()
print("CHECK FAILED: " + "; ".join(problems) if problems else "CHECK OK")
EOF
  grep -q '^CHECK OK' "$log.check" || {
    grep -E '^CHECK FAILED' "$log.check" || tail -n 30 "$log.check"
    fail "$db ($layout layout): the data did not survive the upgrade as 18.0.1.1.0 expects"
  }
  echo "$layout layout: secrets, tokens, webhook key and webhook URLs kept; version $NEW_VERSION"
}
check "${DB}_mid" mid
check "${DB}_old" old
echo "upgrade 18.0.1.0.0 -> $NEW_VERSION: OK"
