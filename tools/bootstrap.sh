#!/usr/bin/env bash
# Sets up what `make test` and `make demo` need, then prints the Python to run them with.
#
#   - a project virtualenv `.venv` (git-ignored) with requirements-test.txt (the addon's
#     requirements.txt, the test tools and the emulator package xero_emulator/, editable), unless
#     PYTHON is given: then that interpreter is used as it is and only those are installed into it;
#   - Odoo 18.0 into `.venv` when `import odoo` fails there, from ODOO_SRC (a source tarball, a
#     source folder or a URL of a tarball); default: ../shared/odoo/odoo-18.0.tar.gz when it
#     exists, else Odoo's official 18.0 nightly source tarball;
#   - the system packages the tests and the demo need (SYSTEM_PACKAGES), with apt-get when run
#     as root, else it stops naming the exact packages to install.
# A stamp keyed on what was installed (interpreter, requirements, Odoo source) makes a second
# run check and return in a second or two.
#
# Everything it says goes to stderr; stdout is the interpreter's path alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ODOO_NIGHTLY_URL=https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz
SHARED_TARBALL=$ROOT/../shared/odoo/odoo-18.0.tar.gz
# Debian packages: the PDF renderer Odoo's reports use, PostgreSQL's client tools, and the
# headless browser of the Odoo tours (Odoo finds /usr/bin/chromium on PATH).
SYSTEM_PACKAGES=${SYSTEM_PACKAGES:-"wkhtmltopdf:wkhtmltopdf dropdb:postgresql-client chromium:chromium"}

say() { echo "bootstrap: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# -- system packages (command:package pairs) -----------------------------------------------------
missing=()
for pair in $SYSTEM_PACKAGES; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]} (apt-get; log in .tmp/apt.log)"
    mkdir -p .tmp
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >.tmp/apt.log 2>&1 || die "apt-get update failed (.tmp/apt.log)"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>.tmp/apt.log 2>&1 \
      || die "apt-get install ${missing[*]} failed (.tmp/apt.log)"
  else
    die "missing system packages; install them, then run again: sudo apt-get install ${missing[*]}"
  fi
fi

# -- the interpreter --------------------------------------------------------------------------------
if [ -n "${PYTHON:-}" ]; then
  PY=$(command -v "$PYTHON") || die "PYTHON=$PYTHON is not an executable"
  OWN_VENV=0
else
  BASE_PYTHON=${BASE_PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    say "creating the project virtualenv .venv ($("$BASE_PYTHON" --version 2>&1))"
    "$BASE_PYTHON" -m venv .venv >&2 || die "'$BASE_PYTHON -m venv' failed (Debian: apt-get install python3-venv)"
  fi
  PY=$ROOT/.venv/bin/python
  OWN_VENV=1
fi

# -- where Odoo comes from, and the stamp ------------------------------------------------------------
if [ -n "${ODOO_SRC:-}" ]; then
  SRC=$ODOO_SRC
elif [ -f "$SHARED_TARBALL" ]; then
  SRC=$(cd "$(dirname "$SHARED_TARBALL")" && pwd)/$(basename "$SHARED_TARBALL")
else
  SRC=$ODOO_NIGHTLY_URL
fi
src_id() {  # what identifies the source: a file's size and time, a folder's path, a URL
  if [ -f "$SRC" ]; then stat -c '%n %s %Y' "$SRC"; else echo "$SRC"; fi
}
key=$({
  echo "$PY"
  "$PY" -c 'import sys; print(sys.version)'
  cat requirements.txt requirements-test.txt xero_emulator/pyproject.toml
  if [ "$OWN_VENV" = 1 ]; then src_id; fi  # not `&&`: a false test would fail the pipeline
} | sha256sum | cut -c1-16)
STAMP_DIR=$ROOT/.tmp/stamps
mkdir -p "$STAMP_DIR"
stamp=$STAMP_DIR/$key
if [ -f "$stamp" ] && "$PY" -c 'import odoo.release, xero_emulator' >/dev/null 2>&1; then
  echo "$PY"
  exit 0
fi

# -- Python dependencies -----------------------------------------------------------------------------
mkdir -p .tmp
pip_install() {  # quiet; its output (the machine's index warnings included) in .tmp/pip.log
  "$PY" -m pip install -q --disable-pip-version-check "$@" >>.tmp/pip.log 2>&1 \
    || { tail -n 30 .tmp/pip.log >&2; return 1; }
}
say "installing requirements-test.txt (with requirements.txt and xero_emulator/) into $PY"
pip_install 'setuptools>=75.1,<80' || die "pip could not install setuptools"
pip_install -r requirements-test.txt || die "pip could not install requirements-test.txt"

# -- Odoo ---------------------------------------------------------------------------------------------
if ! "$PY" -c 'import odoo.release' >/dev/null 2>&1; then
  [ "$OWN_VENV" = 1 ] || die "'import odoo' fails in PYTHON=$PY: give an interpreter that has Odoo 18.0, or leave PYTHON unset to let .venv get it"
  started=$(date +%s)
  case "$SRC" in
    http://* | https://*)
      mkdir -p .venv/odoo-download
      tarball=.venv/odoo-download/odoo-18.0.tar.gz
      say "downloading Odoo 18.0 from $SRC"
      "$PY" -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
        "$SRC" "$tarball" || die "could not download $SRC (set ODOO_SRC to a tarball or folder)"
      ;;
    *)
      [ -e "$SRC" ] || die "ODOO_SRC=$SRC does not exist"
      tarball=$SRC
      ;;
  esac
  if [ -d "$tarball" ]; then
    odoo_dir=$(cd "$tarball" && pwd)
  else
    say "unpacking $tarball into .venv/odoo-src"
    rm -rf .venv/odoo-src
    mkdir -p .venv/odoo-src
    tar -xzf "$tarball" -C .venv/odoo-src || die "could not unpack $tarball"
    odoo_dir=$(dirname "$(find .venv/odoo-src -maxdepth 2 -name setup.py | head -n 1)")
    odoo_dir=$ROOT/$odoo_dir
  fi
  [ -f "$odoo_dir/setup.py" ] && [ -f "$odoo_dir/requirements.txt" ] \
    || die "$SRC is not an Odoo source tree (no setup.py and requirements.txt)"
  # Odoo's requirements as pinned for this Python, but cbor2 5.6.2 (5.4.2 does not build on
  # Python 3.11) and no python-ldap (needs libldap headers; nothing here uses LDAP).
  sed -E -e 's/^cbor2==5\.4\.2/cbor2==5.6.2/' -e '/^python-ldap/d' \
    "$odoo_dir/requirements.txt" >.venv/odoo-requirements.txt
  say "installing Odoo's requirements (a few minutes the first time)"
  pip_install -r .venv/odoo-requirements.txt 'setuptools>=75.1,<80' \
    || die "pip could not install Odoo's requirements (.venv/odoo-requirements.txt)"
  say "installing Odoo 18.0 from $odoo_dir"
  pip_install --no-deps --no-build-isolation -e "$odoo_dir" || die "pip could not install Odoo from $odoo_dir"
  "$PY" -c 'import odoo.release as r; assert r.version_info[0] == 18, r.version' >&2 \
    || die "the Odoo installed from $SRC is not 18.0"
  say "Odoo installed in $(($(date +%s) - started)) s"
fi
"$PY" -c 'import odoo.release' >/dev/null 2>&1 || die "'import odoo' still fails in $PY"
rm -f "$STAMP_DIR"/*
date -u +%FT%TZ >"$stamp"
echo "$PY"
