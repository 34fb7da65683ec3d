# What the test scripts share (sourced by run_tests.sh, check_upgrade.sh, check_i18n.sh): strict
# mode, the repository root as the working folder, the Python to run, the database server.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[1]}")/.."
ROOT=$PWD
PY=${PYTHON:-$(if [ -x .venv/bin/python ]; then echo .venv/bin/python; else echo python3; fi)}
DB_HOST=${XERO_TEST_DB_HOST:-127.0.0.1}
DB_USER=${XERO_TEST_DB_USER:-root}
