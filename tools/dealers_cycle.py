# Run inside `odoo shell` by `make bench` (tools/demo.py --script tools/dealers_cycle.py),
# after tools/bench_cycle.py. Dealers at once under Xero's real limits (60 calls a minute per
# organisation), with real cron worker processes (tests/cron_worker.py), one per dealer, each
# running its dealer's runner: one dealer alone, then three at once, each with the same month
# (XERO_BENCH_DEALER_CUSTOMERS new customers and their three-line invoices). The throttle's
# waits are skipped on each worker's own accelerated clock, which moves its organisation's
# rate-limit windows in the emulator as much (not the others'): each dealer's time is its
# worker's wall time plus the waits it skipped. Xero takes its time to answer: the emulator
# answers each call after XERO_BENCH_XERO_SECONDS (1 s; 0 for as fast as this machine can,
# where the three workers, the emulator doing Xero's work and PostgreSQL share its cores).
# Prints each dealer's time, calls and rate-limit floor (calls / 60 a minute), and three
# dealers' time against one's.
# ruff: noqa: F821
import os
import random
import time
import traceback
from datetime import date

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

N = int(os.environ.get("XERO_BENCH_DEALER_CUSTOMERS", 1000))
XERO_SECONDS = float(os.environ.get("XERO_BENCH_XERO_SECONDS", 1.0))
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=60)
rng = random.Random(2026)


def dealer(n, tenant):
    """A company with a chart of accounts, its connection to ``tenant``, N customers and
    their posted three-line invoices, and its two tasks queued."""
    company, cenv, conn, sale, tax = cycle_common.mapped_dealer(env, f"Bench Dealer {n}", tenant)
    partners = cenv["res.partner"].create(
        [
            {"name": f"Dealer {n} Customer {i:05d}", "customer_rank": 1, "company_id": company.id}
            for i in range(N)
        ]
    )
    moves = cenv["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": p.id,
                "invoice_date": date.today(),
                "journal_id": sale.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": name,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for name, quantity, price in (
                        ("Line rental", 1, 29.95),
                        ("Calls", rng.randint(1, 1500), round(rng.uniform(0.001, 0.2), 5)),
                        (
                            "Data (GB)",
                            round(rng.uniform(0.5, 80), 3),
                            round(rng.uniform(0.5, 9), 5),
                        ),
                    )
                ],
            }
            for p in partners
        ]
    )
    moves.action_post()
    Task = cenv["xero.task"]
    Task._queue(company, "send_new_customers")
    Task._queue(company, "send_new_invoices")
    return conn


def run(connections):
    """One cron worker per dealer, released together: ``{tenant: (seconds, calls, waits)}``."""
    procs, start, logs = cycle_common.start_workers(
        env,
        [conn.runner_cron_id.ids for conn in connections],
        timeout=3600,
        accelerate=[conn.tenant_id for conn in connections],
    )
    procs = list(zip(connections, procs, logs, strict=True))
    ended = {}
    while len(ended) < len(procs):
        for conn, proc, _log in procs:
            if conn.tenant_id not in ended and proc.poll() is not None:
                ended[conn.tenant_id] = time.time() - start
        time.sleep(0.05)
    requests = [r for r in emulator.requests() if r["path"].startswith("/api.xro")]
    emulator.clear_requests()
    results = {}
    for conn, proc, log_path in procs:
        with open(log_path) as log:
            text = log.read()
        skipped = [float(x.split()[1]) for x in text.splitlines() if x.startswith("skipped ")]
        if proc.returncode or not skipped:
            raise RuntimeError(f"worker of {conn.tenant_name} failed: {text[-2000:]}")
        calls = sum(1 for r in requests if r.get("tenant") == conn.tenant_id)
        results[conn.tenant_id] = (ended[conn.tenant_id] + skipped[0], calls, skipped[0])
    return results


try:
    tenants = [f"00000000-0000-4000-8000-00000000d0{n}0" for n in range(4)]
    emulator.seed(
        {
            "organisations": [
                {"tenant_id": t, "name": f"Bench Dealer {n}", "base_currency": "USD"}
                for n, t in enumerate(tenants)
            ]
        }
    )
    connections = [dealer(n, t) for n, t in enumerate(tenants)]
    for conn in connections:
        conn.runner_cron_id._trigger()
    env.cr.commit()
    if XERO_SECONDS:
        emulator.add_fault("delay", fraction=1.0, delay=XERO_SECONDS, path="/api.xro/2.0")
    print(
        f"Dealers at once, Xero's limits, {N} customers and {N} invoices each, Xero answering "
        f"in {XERO_SECONDS:g} s a call ({date.today()}):"
    )

    def report(label, results):
        for conn in connections:
            if conn.tenant_id in results:
                seconds, calls, skipped = results[conn.tenant_id]
                print(
                    f"    {label}: {conn.tenant_name}: {seconds / 60:.2f} min ({skipped:.0f} s of "
                    f"it waiting for Xero's minute limit), {calls} calls, rate-limit floor "
                    f"{calls / 60:.2f} min: {seconds / (calls or 1):.2f} s a call"
                )
        return max(seconds for seconds, _c, _s in results.values())

    emulator.clear_requests()
    one = report("one dealer", run(connections[:1]))
    three = report("three at once", run(connections[1:]))
    env.cr.commit()  # a new snapshot: what the workers committed
    env.invalidate_all()
    tasks = env["xero.task"].search([("company_id", "in", [c.company_id.id for c in connections])])
    print(
        f"Three dealers at once: {three / 60:.2f} min, one alone {one / 60:.2f} min: "
        f"{three / one:.2f}x; tasks {sorted(set(tasks.mapped('state')))}"
    )
    ok = set(tasks.mapped("state")) == {"done"}
    print("DEMO OK" if ok else "DEMO FAILED: a task did not finish")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
