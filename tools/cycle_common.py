"""What the `odoo shell` scripts of tools/ share (demo, bench, dealers, reliability): a dealer's
connection to the bundled emulator, and real cron worker processes (tests/cron_worker.py).

The scripts are run by tools/demo.py, which puts this folder on ``sys.path``.
"""

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date

WORKER = os.path.join(
    os.path.dirname(
        os.path.realpath(importlib.import_module("odoo.addons.account_xero_sync").__file__)
    ),
    "tests",
    "cron_worker.py",
)


def _worker_module():
    """tests/cron_worker.py as a module (loaded from its file: importing the tests package
    would import every test module)."""
    spec = importlib.util.spec_from_file_location("xero_cron_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emulator_connection(env, company, **vals):
    """``company``'s connection to the bundled emulator: the custom connection (client
    credentials) of its organisation (``tenant_id``, else the emulator's first), one per
    organisation as Xero sells them."""
    url = os.environ["XERO_EMULATOR_URL"]
    tenant = vals.get("tenant_id")
    return env["xero.connection"].create(
        {
            "company_id": company.id,
            "auth_mode": "client_credentials",
            "client_id": "emulator-client-" + tenant if tenant else "emulator-client",
            "client_secret": "emulator-secret-" + tenant if tenant else "emulator-secret",
            "api_url": url,
            "identity_url": url,
            "login_url": url,
            **vals,
        }
    )


def start_workers(env, crons_per_worker, timeout=900, accelerate=(), **options):
    """Cron worker processes, one per list of cron ids, released together once all are
    ready: ``(processes, time of the release, their log files)``. ``accelerate``: per worker,
    the tenant whose throttle waits it skips (see cron_worker.py), or None; ``options``: more
    of cron_worker.py's options (``minute``, ``until_stopped``), for every worker."""
    barrier = tempfile.mkdtemp()
    opts = dict(
        _worker_module().base_options(env.cr.dbname, barrier, time.time() + timeout), **options
    )
    procs, logs = [], []
    accelerate = list(accelerate) or [None] * len(crons_per_worker)
    for n, (crons, tenant) in enumerate(zip(crons_per_worker, accelerate, strict=True)):
        options = dict(opts, name=str(n), crons=crons)
        if tenant:
            options["accelerate"] = {"url": os.environ["XERO_EMULATOR_URL"], "tenant": tenant}
        logs.append(os.path.join(barrier, f"worker-{n}.log"))
        with open(logs[-1], "w") as log:
            command = [sys.executable, WORKER, json.dumps(options)]
            procs.append(subprocess.Popen(command, stdout=log, stderr=log))
    while not all(os.path.exists(os.path.join(barrier, f"ready-{n}")) for n in range(len(procs))):
        time.sleep(0.1)
    released = time.time()
    open(os.path.join(barrier, "go"), "w").close()
    return procs, released, logs


def accelerated_clock(emulator):
    """A throttle clock for the bench: real time, plus the throttle's waits, which are skipped
    while the emulator's clock (``emulator``: its control API) is moved on as much, so Xero's
    minute windows pass as they would have. A runner on it waits (for free) rather than give
    its worker back."""
    from odoo.addons.account_xero_sync.xero_api.throttle import RealClock

    class AcceleratedClock(RealClock):
        real_waits = False

        def __init__(self):
            self.skipped = 0.0

        def time(self):
            return time.time() + self.skipped

        def sleep(self, seconds):
            if seconds > 0:
                self.skipped += seconds
                emulator.advance(seconds)

    return AcceleratedClock()


def pay_in_xero(emulator, tenant_id, invoices):
    """Pay ``invoices`` in full in Xero, as its bank feed would (one emulator call)."""
    emulator.bank_payments(
        [
            {
                "Invoice": {"InvoiceID": inv.xero_invoice_id},
                "Account": {"Code": "090"},
                "Date": date.today().isoformat(),
                "Amount": inv.amount_total,
                "Reference": "Bank feed",
            }
            for inv in invoices
        ],
        tenant_id=tenant_id,
    )


def mapped_connection(env, company):
    """The company's connection to the emulator, tested, its codes loaded, and mapped by hand as
    a manager would: the sales journal's income account to 200, the bank journal to 090.
    Returns ``(connection, bank journal)``."""
    from odoo import Command

    conn = emulator_connection(env, company)
    conn.action_test_connection()
    conn.action_load_mappings_from_xero()
    journals = env["account.journal"].search([("company_id", "=", company.id)])
    sales = journals.filtered(lambda j: j.type == "sale")[:1].default_account_id
    bank = journals.filtered(lambda j: j.type == "bank")[:1]
    conn.mapping_ids = [
        *(
            [Command.create({"kind": "account", "account_id": sales.id, "xero_code": "200"})]
            if sales not in conn.mapping_ids.account_id
            else []
        ),
        Command.create({"kind": "journal", "journal_id": bank.id, "xero_code": "090"}),
    ]
    return conn, bank


def say(line):
    """Print ``line``, and add it to the progress file ``XERO_BENCH_PROGRESS`` when set (the
    shell's output is shown only at the end)."""
    print(line, flush=True)
    progress = os.environ.get("XERO_BENCH_PROGRESS")
    if progress:
        with open(progress, "a") as out:
            out.write(line + "\n")


def mapped_dealer(env, name, tenant):
    """A new company ``name`` with the generic chart of accounts, in the user's companies, and
    its connection to the emulator's organisation ``tenant`` (named after the company) with
    its sales journal's income account mapped to 200 and its first sales tax to OUTPUT2.
    Returns ``(company, its environment, connection, sales journal, sales tax)``."""
    from odoo import Command

    company = env["res.company"].create({"name": name})
    env["account.chart.template"].try_loading("generic_coa", company=company)
    env.user.company_ids |= company
    cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))
    tax = cenv["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    sale = cenv["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
    )
    conn = emulator_connection(
        cenv,
        company,
        tenant_id=tenant,
        tenant_name=name,
        org_currency=company.currency_id.name,
        mapping_ids=[
            Command.create(
                {"kind": "account", "account_id": sale.default_account_id.id, "xero_code": "200"}
            ),
            Command.create({"kind": "tax", "tax_id": tax.id, "xero_code": "OUTPUT2"}),
        ],
    )
    return company, cenv, conn, sale, tax
