# The two commands that matter on a new machine: `make demo` and `make test`.
PYTHON ?= python3

.PHONY: demo test test-api test-odoo deps lint emulator bench

demo:  ## throwaway database + addon + bundled emulator + the monthly cycle
	$(PYTHON) tools/demo.py

bench:  ## API calls, SQL queries and seconds per 1,000 customers / invoices / payments
	$(PYTHON) tools/demo.py --script tools/bench_cycle.py

test: deps  ## both suites: xero_api (always) and Odoo (whenever `import odoo` works)
	bash tools/run_tests.sh

test-api:
	$(PYTHON) -m pytest -p no:odoo xero_api/tests -q

test-odoo:
	bash tools/run_tests.sh --odoo-only

deps:
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements.txt

lint:
	ruff check . && ruff format --check .

emulator:
	$(PYTHON) -m xero_api.emulator --host 127.0.0.1 --port 8765
