# The two commands that matter on a new machine: `make demo` and `make test`.
# Both first run tools/bootstrap.sh: a project virtualenv .venv with requirements-test.txt, Odoo 18.0
# (from ODOO_SRC, ../shared/odoo/odoo-18.0.tar.gz, or Odoo's nightly tarball) and wkhtmltopdf.
# PYTHON=/path/to/python uses an interpreter that already has Odoo 18.0 instead of .venv.

.PHONY: demo serve test test-api test-odoo env lint emulator bench bench-workers reliability

# The interpreter bootstrap.sh set up (it prints it); evaluated when a target runs.
PY = $$(bash tools/bootstrap.sh)

demo:  ## throwaway database + addon + bundled emulator + the monthly cycle (KEEP=1: keep them for `make serve`)
	@py=$(PY) && "$$py" tools/demo.py $(if $(KEEP),--keep)

serve:  ## Odoo on http://127.0.0.1:8069 (PORT=) and the emulator, on the last database `make demo KEEP=1` kept (DB=)
	@py=$(PY) && "$$py" tools/serve.py $(if $(DB),--db $(DB)) $(if $(PORT),--port $(PORT))

bench:  ## a dealer's month: Xero calls, Odoo's time, SQL, memory per record; dealers at once; cost per record at 1,000 and 10,000 (XERO_BENCH_SIZES); the month with PDFs at 1,000 and 10,000 (XERO_BENCH_PDF_SIZES)
	@py=$(PY) && "$$py" tools/demo.py --script tools/bench_cycle.py \
		&& "$$py" tools/demo.py --script tools/dealers_cycle.py \
		&& "$$py" tools/demo.py --script tools/bench_scale.py \
		&& for n in $${XERO_BENCH_PDF_SIZES:-1000 10000}; do \
			XERO_BENCH_PDFS=$$n XERO_BENCH_PDF_SAMPLE=$$([ $$n -gt 1000 ] && echo 0 || echo 120) \
				"$$py" tools/demo.py --script tools/bench_pdfs.py || exit 1; done

bench-workers:  ## many dealers, few workers: 20 dealers' PDFs on two cron worker processes, Xero's minute on an accelerated clock (about 12 minutes; XERO_BENCH_DEALERS, XERO_BENCH_PDFS, XERO_BENCH_CLOCK)
	@py=$(PY) && "$$py" tools/demo.py --script tools/workers_cycle.py

reliability:  ## docs/reliability.md's "Reliability, measured": real worker processes, kill -9, races, a fault storm
	@py=$(PY) && "$$py" tools/demo.py --script tools/reliability_cycle.py

test:  ## the emulator's and the Xero layer's pytest suites, then the Odoo tests (fails when they did not run)
	@py=$(PY) && PYTHON="$$py" bash tools/run_tests.sh

test-api:
	@py=$(PY) && (cd xero_emulator && "$$py" -m pytest -p no:odoo -q) && "$$py" -m pytest -p no:odoo -q

test-odoo:
	@py=$(PY) && PYTHON="$$py" bash tools/run_tests.sh --odoo-only

env:  ## only the set-up: .venv, Odoo 18.0, wkhtmltopdf
	@bash tools/bootstrap.sh

lint:
	ruff check . && ruff format --check .

emulator:
	@py=$(PY) && "$$py" -m xero_emulator --host 127.0.0.1 --port 8765
