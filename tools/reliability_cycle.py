# Run inside `odoo shell` by `make reliability` (tools/demo.py --script tools/reliability_cycle.py).
# The heavy versions of tests/test_reliability.py, with real cron worker processes
# (tests/cron_worker.py) against the bundled emulator, printing the figures of docs/reliability.md's
# "Reliability, measured":
# - three runners (processes) on one dealer, two tasks: items sent per customer;
# - a task of 1,000 invoices whose worker is killed with SIGKILL at random moments, then
#   restarted: duplicates in Xero, invoices linked, totals that differ;
# - a fault storm over 500 customers, invoices, credit notes and payments: runs needed,
#   faults met by kind, duplicates in Xero, records linked, amounts due that differ.
# XERO_RELIABILITY_FIGURES=storm (a comma-separated list of runners, kill, storm) runs some.
# ruff: noqa: F821
import os
import random
import time
import traceback
from datetime import date, datetime

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

from odoo.addons.account_xero_sync.tasks.xero_task_types import TASK_TYPES

N_CUSTOMERS = int(os.environ.get("XERO_RELIABILITY_CUSTOMERS", 500))
N_INVOICES = int(os.environ.get("XERO_RELIABILITY_INVOICES", 1000))
KILLS = int(os.environ.get("XERO_RELIABILITY_KILLS", 8))
N_STORM = int(os.environ.get("XERO_RELIABILITY_STORM", 500))
FIGURES = os.environ.get("XERO_RELIABILITY_FIGURES", "runners,kill,storm").split(",")
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=30)
TASK_LABELS = {code: t.label for code, t in TASK_TYPES.items()}
rng = random.Random(int(os.environ.get("XERO_RELIABILITY_SEED", 15)))


def start_workers(crons_per_worker, timeout=900):
    """Cron worker processes, one per list of cron ids, released together."""
    return cycle_common.start_workers(env, crons_per_worker, timeout)[0]


def org_state(tenant):
    """The organisation's records in Xero (the emulator's SEED shape)."""
    orgs = emulator.state(tenant).get("organisations")
    orgs = orgs.values() if isinstance(orgs, dict) else orgs
    return next(o for o in orgs if o.get("tenant_id") == tenant)


def fresh(records):
    """``records`` as the workers left them: a new transaction first (the shell's snapshot
    may predate a worker's commits: the storm counted each task's worker runs one too many)."""
    env.cr.commit()
    env.invalidate_all()
    return records.exists()


def run_until_done(conn, task_type):
    """Queue ``task_type`` and run the dealer's runner (a worker process) until the task ends;
    while the last task ends with errors, *Retry failed records*, and when it fails, queue the
    task again, as a user would: ``(tasks, worker runs)``."""
    Task = env["xero.task"]
    tasks = Task._queue(conn.company_id, task_type)
    env.cr.commit()
    runs = 0
    while runs < 100:
        task = fresh(tasks)[-1:]
        if task.state in ("queued", "running"):
            if task.resume_at:  # a rate limit: the runner is triggered for then
                time.sleep(max(0, (task.resume_at - datetime.utcnow()).total_seconds()))
            Task._wake_runners()  # the sweeper, every 5 minutes
            env.cr.commit()
            (proc,) = start_workers([conn.runner_cron_id.ids])
            proc.wait()
            runs += 1
        elif task.state == "done":
            return tasks, runs
        elif task.state in ("done_with_errors", "done_blocked"):
            tasks |= Task.browse(task.action_retry_failed()["res_id"])
            env.cr.commit()
        else:
            tasks |= Task._queue(conn.company_id, task_type)
            env.cr.commit()
    raise RuntimeError(f"{task_type} did not end done: {fresh(tasks).mapped('summary')}")


def storm_records(company, journals):
    """N_STORM customers, each with a posted invoice, a credit note and a payment of the
    invoice (Register Payment over the invoices, one payment each)."""
    sale, bank, tax = journals
    partners = env["res.partner"].create(
        [
            {"name": f"Storm Customer {i:05d}", "customer_rank": 1, "company_id": company.id}
            for i in range(N_STORM)
        ]
    )

    def move(move_type, partner, top):
        line = {
            "name": "Calls",
            "quantity": rng.randint(1, 900),
            "price_unit": round(rng.uniform(0.01, top), 2),
            "tax_ids": [Command.set(tax.ids)],
        }
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": date.today(),
            "journal_id": sale.id,
            "invoice_line_ids": [Command.create(line)],
        }

    invoices = env["account.move"].create([move("out_invoice", p, 2.0) for p in partners])
    notes = env["account.move"].create([move("out_refund", p, 0.05) for p in partners])
    (invoices | notes).action_post()
    payments = (
        env["account.payment.register"]
        .with_context(active_model="account.move", active_ids=invoices.ids)
        .create({"payment_date": date.today(), "journal_id": bank.id, "group_payment": False})
        ._create_payments()
    )
    env.cr.commit()
    return partners, invoices, notes, payments


def fault_storm(conn, tenant, journals):
    """Send New Customers, Invoices, Credit Notes, Payments of N_STORM each under the storm;
    print the figure; whether it is what it must be."""
    partners, invoices, notes, payments = storm_records(conn.company_id, journals)
    emulator.clear_faults()
    emulator.seed_faults(int(os.environ.get("XERO_RELIABILITY_SEED", 15)))
    # The first write of each kind is done by Xero and answered 500 or lost; then the storm.
    for path, kind in (
        ("Contacts", "drop_after_write"),
        ("Invoices", "500_after_write"),
        ("CreditNotes", "drop_after_write"),
        ("Payments", "500_after_write"),
    ):
        emulator.add_fault(kind, count=1, method="PUT", path="/api.xro/2.0/" + path)
    emulator.storm(retry_after=1)
    emulator.clear_requests()
    start, runs = time.time(), {}
    for task_type in (
        "send_new_customers",
        "send_new_invoices",
        "send_new_credit_notes",
        "send_new_payments",
    ):
        runs[task_type] = run_until_done(conn, task_type)
    seconds = time.time() - start
    log = emulator.requests()
    emulator.clear_faults()
    faults = [r["fault"] for r in log if r["fault"]]
    org = org_state(tenant)
    partners, invoices, notes, payments = (fresh(r) for r in (partners, invoices, notes, payments))
    contacts = [c for c in org["contacts"] if c["Name"].startswith("Storm Customer")]
    xero_invoices = [i for i in org["invoices"] if i["InvoiceNumber"] in invoices.mapped("name")]
    xero_notes = [n for n in org["credit_notes"] if n["CreditNoteNumber"] in notes.mapped("name")]
    invoice_ids = {i["InvoiceID"] for i in xero_invoices}
    paid = [
        p
        for p in org["payments"]
        if p["Status"] == "AUTHORISED" and p["Invoice"]["InvoiceID"] in invoice_ids
    ]
    doubles = {
        "contacts": len(contacts) - len({c["ContactNumber"] for c in contacts}),
        "invoices": len(xero_invoices) - len({i["InvoiceNumber"] for i in xero_invoices}),
        "credit notes": len(xero_notes) - len({n["CreditNoteNumber"] for n in xero_notes}),
        "payments": len(paid) - len({p["Invoice"]["InvoiceID"] for p in paid}),
    }
    by_id = {c["ContactID"]: c for c in contacts}
    by_id.update({i["InvoiceID"]: i for i in xero_invoices})
    by_id.update({n["CreditNoteID"]: n for n in xero_notes})
    by_id.update({p["PaymentID"]: p for p in paid})
    allocations = payments._xero_allocations()
    linked = {
        "customers": len(partners.filtered(lambda p: p.xero_contact_id in by_id)),
        "invoices": len(invoices.filtered(lambda m: m.xero_invoice_id in by_id)),
        "credit notes": len(notes.filtered(lambda m: m.xero_invoice_id in by_id)),
        "payments": len(allocations.filtered(lambda a: a.xero_payment_id in by_id)),
    }

    def agrees(move):
        xero = by_id.get(move.xero_invoice_id) or {}
        due = xero.get("AmountDue", xero.get("RemainingCredit"))
        return (
            abs(xero.get("Total", -1) - move.amount_total) < 0.001
            and abs(due - move.amount_residual) < 0.001
        )

    differ = (invoices | notes).filtered(lambda m: not agrees(m))
    tasks = "; ".join(
        f"{TASK_LABELS[t]}: {len(tasks)} task(s) {', '.join(tasks.mapped('state'))}, "
        f"{count} worker runs"
        for t, (tasks, count) in runs.items()
    )
    print(
        f"Fault storm, {N_STORM} each of customers, invoices, credit notes and payments: "
        f"{len(log)} calls, faults { ({k: faults.count(k) for k in sorted(set(faults))}) }; "
        f"{tasks}; duplicates in Xero {doubles}; linked {linked} "
        f"(of {N_STORM}, {len(allocations)} allocations); {len(differ)} totals or amounts due "
        f"differ ({seconds:.0f} s)"
    )
    return (
        not any(doubles.values())
        and set(linked.values()) == {N_STORM}
        and len(allocations) == N_STORM
        and not differ
        and all(tasks[-1:].state == "done" for tasks, _count in runs.values())
    )


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
    conn = cycle_common.emulator_connection(
        env,
        company,
        mapping_ids=[
            Command.create({"kind": "account", "account_id": income.id, "xero_code": "200"}),
            Command.create({"kind": "tax", "tax_id": tax.id, "xero_code": "OUTPUT2"}),
        ],
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

    Task = env["xero.task"]
    ok = True
    if "runners" in FIGURES:
        # 1. Three runners (processes) on one dealer: its runner cron and two copies, two tasks.
        emulator.add_fault("delay", fraction=1.0, delay=0.2, path="/api.xro/2.0/Contacts")
        tasks = Task._queue(company, "send_new_customers") | Task._queue(
            company, "send_new_customers"
        )
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

        ok = ok and sent == N_CUSTOMERS and len(contacts) == N_CUSTOMERS

    if "kill" in FIGURES:
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
        emulator.add_fault(
            "delay", fraction=1.0, delay=0.2, path="/api.xro/2.0/Invoices", method="PUT"
        )
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
        differ = [
            m for m in linked if abs(by_id[m.xero_invoice_id]["Total"] - m.amount_total) > 0.001
        ]
        print(
            f"kill -9 of the worker {kills} times at random moments: {N_INVOICES} invoices, task "
            f"{task.state} ({task.summary}), {len(numbers) - len(set(numbers))} duplicates in "
            f"Xero, {len(invoices)} invoices in Xero, {len(linked)} linked, {len(differ)} totals "
            f"differ ({rounds} worker runs, {time.time() - start:.0f} s)"
        )
        ok = (
            ok
            and kills == KILLS
            and task.state == "done"
            and len(numbers) == len(set(numbers)) == N_INVOICES
            and len(linked) == N_INVOICES
            and not differ
        )
    if "storm" in FIGURES:
        bank = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        conn.mapping_ids = [
            Command.create({"kind": "journal", "journal_id": bank.id, "xero_code": "090"})
        ]
        ok = fault_storm(conn, tenant, (sale, bank, tax)) and ok
    print("DEMO OK" if ok else "DEMO FAILED: a figure is not what it must be")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
