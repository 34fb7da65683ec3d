# Run inside `odoo shell` by `make reliability` (tools/demo.py --script tools/reliability_cycle.py).
# The heavy versions of tests/test_reliability.py, with real cron worker processes
# (tests/cron_worker.py) against the bundled emulator, printing the figures of README's
# "Reliability, measured":
# - three runners (processes) on one dealer, two tasks: items sent per customer;
# - a task of 1,000 invoices whose worker is killed with SIGKILL at random moments, then
#   restarted: duplicates in Xero, invoices linked, totals that differ.
# ruff: noqa: F821
import importlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import date

from odoo import Command
from odoo.tools import config

from odoo.addons.account_xero_sync.xero_api.emulator.control import EmulatorControl

N_CUSTOMERS = int(os.environ.get("XERO_RELIABILITY_CUSTOMERS", 500))
N_INVOICES = int(os.environ.get("XERO_RELIABILITY_INVOICES", 1000))
KILLS = int(os.environ.get("XERO_RELIABILITY_KILLS", 8))
# Run by exec() in the shell: no __file__; the addon's folder gives the path.
WORKER = os.path.join(
    os.path.dirname(
        os.path.realpath(importlib.import_module("odoo.addons.account_xero_sync").__file__)
    ),
    "tests",
    "cron_worker.py",
)
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=30)
rng = random.Random(int(os.environ.get("XERO_RELIABILITY_SEED", 15)))


def start_workers(crons_per_worker, timeout=900):
    """Cron worker processes, one per list of cron ids, released together."""
    barrier = tempfile.mkdtemp()
    opts = {
        "db": env.cr.dbname,
        "addons_path": config["addons_path"],
        "db_host": config["db_host"],
        "db_port": config["db_port"],
        "db_user": config["db_user"],
        "db_password": config["db_password"],
        "barrier": barrier,
        "deadline": time.time() + timeout,
    }
    procs = []
    for n, crons in enumerate(crons_per_worker):
        log = open(os.path.join(barrier, f"worker-{n}.log"), "w")  # noqa: SIM115
        options = json.dumps(dict(opts, name=str(n), crons=crons))
        procs.append(subprocess.Popen([sys.executable, WORKER, options], stdout=log, stderr=log))
    while not all(os.path.exists(os.path.join(barrier, f"ready-{n}")) for n in range(len(procs))):
        time.sleep(0.1)
    open(os.path.join(barrier, "go"), "w").close()
    return procs


def org_state(tenant):
    """The organisation's records in Xero (the emulator's SEED shape)."""
    orgs = emulator.state(tenant).get("organisations")
    orgs = orgs.values() if isinstance(orgs, dict) else orgs
    return next(o for o in orgs if o.get("tenant_id") == tenant)


def fresh(records):
    env.invalidate_all()
    return records.exists()


try:
    url = os.environ["XERO_EMULATOR_URL"]
    company = env.company
    tax = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    sale = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
    )
    income = sale.default_account_id
    conn = env["xero.connection"].create(
        {
            "company_id": company.id,
            "auth_mode": "client_credentials",
            "client_id": "emulator-client",
            "client_secret": "emulator-secret",
            "api_url": url,
            "identity_url": url,
            "login_url": url,
            "mapping_ids": [
                Command.create({"kind": "account", "account_id": income.id, "xero_code": "200"}),
                Command.create({"kind": "tax", "tax_id": tax.id, "xero_code": "OUTPUT2"}),
            ],
        }
    )
    conn.action_test_connection()
    tenant = conn.tenant_id
    partners = env["res.partner"].create(
        [
            {"name": f"Reliability Customer {i:05d}", "customer_rank": 1, "company_id": company.id}
            for i in range(N_CUSTOMERS)
        ]
    )
    env.cr.commit()
    print(f"Reliability against the bundled emulator ({date.today()}), one dealer:")

    # 1. Three runners (processes) on one dealer: its runner cron and two copies, two tasks.
    emulator.add_fault("delay", fraction=1.0, delay=0.2, path="/api.xro/2.0/Contacts")
    Task = env["xero.task"]
    tasks = Task._queue(company, "send_new_customers") | Task._queue(company, "send_new_customers")
    crons = conn.runner_cron_id
    for n in (1, 2):
        crons |= conn.runner_cron_id.copy({"name": f"Xero: copy {n} of the runner"})
    for cron in crons:
        cron._trigger()
    env.cr.commit()
    emulator.clear_requests()
    start = time.time()
    for proc in start_workers([crons.ids] * 3):
        proc.wait()
    writes = [
        r
        for r in emulator.requests()
        if r["path"].startswith("/api.xro/2.0/Contacts") and r["method"] in ("PUT", "POST")
    ]
    sent = sum(r["items"] for r in writes)
    contacts = org_state(tenant)["contacts"]
    tasks = fresh(tasks)
    print(
        f"Three runners, one dealer: {N_CUSTOMERS} customers, tasks {tasks.mapped('state')}, "
        f"{sent} items sent, {len(contacts)} contacts in Xero, "
        f"{sent - N_CUSTOMERS} double sends ({time.time() - start:.0f} s)"
    )
    (crons - conn.runner_cron_id).unlink()
    emulator.clear_faults()

    # 2. kill -9 of the worker at random moments during a task of many invoices.
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partners[i % N_CUSTOMERS].id,
                "invoice_date": date.today(),
                "journal_id": sale.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Calls",
                            "quantity": rng.randint(1, 900),
                            "price_unit": round(rng.uniform(0.01, 2), 2),
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                ],
            }
            for i in range(N_INVOICES)
        ]
    )
    moves.action_post()
    task = Task._queue(company, "send_new_invoices")
    env.cr.commit()
    emulator.add_fault("delay", fraction=1.0, delay=0.2, path="/api.xro/2.0/Invoices", method="PUT")
    kills, rounds, start = 0, 0, time.time()
    while rounds < 200:
        rounds += 1
        (proc,) = start_workers([conn.runner_cron_id.ids])
        if kills < KILLS:
            time.sleep(rng.uniform(0.2, 1.0))  # a batch of 50 takes about 0.4 s here
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.wait()
        else:
            proc.wait()
        if fresh(task).state not in ("queued", "running"):
            break
        Task._wake_runners()  # the sweeper, every 5 minutes
        env.cr.commit()
    invoices = org_state(tenant)["invoices"]
    numbers = [i["InvoiceNumber"] for i in invoices]
    by_id = {i["InvoiceID"]: i for i in invoices}
    moves = fresh(moves)
    linked = [m for m in moves if m.xero_invoice_id in by_id]
    differ = [m for m in linked if abs(by_id[m.xero_invoice_id]["Total"] - m.amount_total) > 0.001]
    print(
        f"kill -9 of the worker {kills} times at random moments: {N_INVOICES} invoices, task "
        f"{task.state} ({task.summary}), {len(numbers) - len(set(numbers))} duplicates in Xero, "
        f"{len(invoices)} invoices in Xero, {len(linked)} linked, {len(differ)} totals differ "
        f"({rounds} worker runs, {time.time() - start:.0f} s)"
    )
    ok = (
        sent == N_CUSTOMERS
        and len(contacts) == N_CUSTOMERS
        and kills == KILLS
        and task.state == "done"
        and len(numbers) == len(set(numbers)) == N_INVOICES
        and len(linked) == N_INVOICES
        and not differ
    )
    print("DEMO OK" if ok else "DEMO FAILED: a figure is not what it must be")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
