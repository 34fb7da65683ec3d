# Run inside `odoo shell` by `make bench` (tools/demo.py --script tools/bench_cycle.py).
# Measures, against the bundled emulator with Xero's limits (60 calls a minute), a dealer's
# month: 1,000 new customers (XERO_BENCH_CUSTOMERS), their 1,000 invoices, 200 credit notes,
# 600 payments sent and 400 fetched, then 1,000 new customers and invoices of which a tenth
# are already in Xero: Xero calls, Odoo's own time and SQL queries per record,
# the Odoo worker's memory, and how long the month takes against Xero's rate-limit floor (the
# throttle's waits are skipped on an accelerated clock, the emulator's moved on as much); and
# the SQL queries needed to build a batch of 10 and of 50 payloads (constant in batch size).
# ruff: noqa: F821
import os
import random
import time
import traceback
from datetime import date

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

from odoo.addons.account_xero_sync.xero_api import payloads
from odoo.addons.account_xero_sync.xero_api.sdk_client import GatewayApiClient

N_CUSTOMERS = int(os.environ.get("XERO_BENCH_CUSTOMERS", 1000))
N_PAYMENTS = int(os.environ.get("XERO_BENCH_PAYMENTS", N_CUSTOMERS * 6 // 10))
# The other invoices (XERO_BENCH_FETCHED of them) are paid in Xero (a bank feed).
N_FETCHED = int(os.environ.get("XERO_BENCH_FETCHED", N_CUSTOMERS - N_PAYMENTS))
N_CREDIT_NOTES = N_CUSTOMERS // 5
N_KNOWN = int(os.environ.get("XERO_BENCH_KNOWN", 1000))  # new customers, a tenth in Xero
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=30)


CLOCK = cycle_common.accelerated_clock(emulator)
MONTH = {"seconds": 0.0, "calls": 0}  # the month so far: wall time plus skipped waits, calls


def rss_mb(field="VmRSS"):
    """This process's resident memory (``VmRSS``), or its peak since reset (``VmHWM``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak():
    """Start ``VmHWM`` again from the current memory (Linux: ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


BASELINE = {}  # label -> Odoo's own seconds per record to make what the task sends


def baseline(label, records, func):
    """Time Odoo itself takes to make ``records`` records (the yardstick of the ratios)."""
    start = time.time()
    result = func()
    BASELINE[label] = (time.time() - start) / max(records, 1)
    return result


def measure(label, records, func, yardstick=None):
    emulator.clear_requests()
    cr = env.cr
    queries = cr.sql_log_count
    memory = rss_mb()
    reset_peak()
    start, http, waits = time.time(), GatewayApiClient.http_seconds, CLOCK.skipped
    result = func()
    seconds = time.time() - start
    waited = CLOCK.skipped - waits
    odoo = seconds - (GatewayApiClient.http_seconds - http)
    queries = cr.sql_log_count - queries
    log = emulator.requests()
    api = [r for r in log if r["path"].startswith("/api.xro")]
    by_kind = {}
    for r in api:
        key = "%s %s" % (r["method"], r["path"].split("/")[3] if r["path"].count("/") > 2 else "")
        by_kind[key] = by_kind.get(key, 0) + 1
    per_k = 1000.0 / records if records else 0
    MONTH["seconds"] += seconds + waited
    MONTH["calls"] += len(api)
    print(
        f"{label:<28} {records:>6} records  {len(api):>4} API calls "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))})  "
        f"{queries:>7} SQL queries ({queries * per_k:,.0f} per 1,000)  "
        f"{seconds:7.1f} s ({seconds * per_k:.1f} s per 1,000)"
    )
    if records:
        line = (
            f"    {len(api) * per_k:.0f} Xero calls per 1,000; Odoo's own time "
            f"{odoo * 1000 / records:.1f} ms per record (wall {seconds:.1f} s less "
            f"{seconds - odoo:.1f} s waiting for Xero); {queries / records:.1f} SQL per record"
        )
        if yardstick in BASELINE:
            ratio = odoo / records / BASELINE[yardstick]
            line += f"; {ratio:.0%} of Odoo's {BASELINE[yardstick] * 1000:.1f} ms to {yardstick}"
        print(line)
    print(
        f"    memory {rss_mb():,.0f} MB after ({rss_mb() - memory:+,.0f} MB; peak "
        f"{rss_mb('VmHWM') - memory:+,.0f} MB over the {memory:,.0f} MB before); Xero's "
        f"minute limit waited {waited:.1f} s (skipped)"
    )
    return result


def build_queries(records, build):
    env.invalidate_all()
    before = env.cr.sql_log_count
    build(records)
    return env.cr.sql_log_count - before


try:
    company = env.company
    conn, _bank = cycle_common.mapped_connection(env, company)
    env.cr.commit()
    nz = env.ref("base.nz")
    partners = baseline(
        "create a customer",
        N_CUSTOMERS,
        lambda: env["res.partner"].create(
            [
                {
                    "name": f"Bench Customer {i:05d}",
                    "email": f"c{i}@bench.example",
                    "phone": f"09 {100 + i % 800} {1000 + i % 9000}",
                    "country_id": nz.id,
                    "street": f"{i} Queen Street",
                    "city": "Auckland",
                    "customer_rank": 1,
                    "company_id": company.id,  # the dealer's own customers, not yet invoiced
                }
                for i in range(N_CUSTOMERS)
            ]
        ),
    )
    env.cr.commit()

    def run(task_type):
        task = env["xero.task"]._queue(company, task_type)
        task.with_context(xero_commit=False, xero_clock=CLOCK).action_run()
        return task

    print(f"Benchmark against the bundled emulator ({date.today()}), one dealer:")
    task = measure(
        "Send New Customers", N_CUSTOMERS, lambda: run("send_new_customers"), "create a customer"
    )
    print(f"    -> {task.summary}")
    tax = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    # Per-minute rates with 5 decimals, as resellers bill them; a fixed seed keeps runs alike.
    env.ref("product.decimal_price").digits = 5
    rng = random.Random(2026)

    def make_invoices(customers=None):
        moves = env["account.move"].create([invoice_values(p) for p in customers or partners])
        moves.action_post()
        return moves

    def invoice_values(p):
        return {
            "move_type": "out_invoice",
            "partner_id": p.id,
            "invoice_date": date.today(),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Line rental",
                        "quantity": 1,
                        "price_unit": 29.95,
                        "tax_ids": [Command.set(tax.ids)],
                    }
                ),
                Command.create(
                    {
                        "name": "Calls",
                        "quantity": rng.randint(1, 1500),
                        "price_unit": round(rng.uniform(0.001, 0.2), 5),
                        "discount": rng.choice((0, 0, 7.5)),
                        "tax_ids": [Command.set(tax.ids)],
                    }
                ),
                Command.create(
                    {
                        "name": "Data (GB)",
                        "quantity": round(rng.uniform(0.5, 80), 3),
                        "price_unit": round(rng.uniform(0.5, 9), 5),
                        "tax_ids": [Command.set(tax.ids)],
                    }
                ),
            ],
        }

    invoices = baseline("create and post an invoice", len(partners), make_invoices)
    env.cr.commit()
    task = measure(
        "Send New Invoices",
        len(invoices),
        lambda: run("send_new_invoices"),
        "create and post an invoice",
    )
    print(f"    -> {task.summary}")

    def make_credit_notes():
        moves = env["account.move"].create(
            [
                dict(invoice_values(p), move_type="out_refund")
                for p in partners[N_CUSTOMERS - N_CREDIT_NOTES :]
            ]
        )
        moves.action_post()
        return moves

    notes = baseline("create and post a credit note", N_CREDIT_NOTES, make_credit_notes)
    env.cr.commit()
    task = measure(
        "Send New Credit Notes",
        len(notes),
        lambda: run("send_new_credit_notes"),
        "create and post a credit note",
    )
    print(f"    -> {task.summary}")
    bank = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
    )
    baseline(
        "register a payment",
        N_PAYMENTS,
        lambda: (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices[:N_PAYMENTS].ids)
            .create({"payment_date": date.today(), "journal_id": bank.id, "group_payment": False})
            ._create_payments()
        ),
    )
    env.cr.commit()
    task = measure(
        "Send New Payments", N_PAYMENTS, lambda: run("send_new_payments"), "register a payment"
    )
    print(f"    -> {task.summary}")
    cycle_common.pay_in_xero(
        emulator, conn.tenant_id, invoices[N_PAYMENTS : N_PAYMENTS + N_FETCHED]
    )
    task = measure(
        "Fetch New Payments",
        N_FETCHED,
        lambda: run("fetch_new_payments"),
        "create and post an invoice",
    )
    print(f"    -> {task.summary}")
    task = measure("Fetch New Payments again", 0, lambda: run("fetch_new_payments"))
    floor = MONTH["calls"] / 60.0 * 60.0  # seconds: 60 calls a minute
    print(
        f"The month: {MONTH['calls']} Xero calls, {MONTH['seconds'] / 60:.1f} min with Xero's "
        f"limits (wall time plus the throttle's waits); the rate-limit floor "
        f"{floor / 60:.1f} min (calls / 60 a minute): {MONTH['seconds'] / floor:.2f}x"
    )

    # A tenth of a new month's customers and invoices already in Xero (a dealer's history,
    # typed there): matched and linked, not created twice.
    known = env["res.partner"].create(
        [
            {"name": f"Bench Known {i:05d}", "customer_rank": 1, "company_id": company.id}
            for i in range(N_KNOWN)
        ]
    )
    emulator.seed(
        {
            "organisations": [
                {"tenant_id": conn.tenant_id, "contacts": [{"Name": p.name} for p in known[::10]]}
            ]
        }
    )
    env.cr.commit()
    task = measure("Send New Customers, 10% in Xero", N_KNOWN, lambda: run("send_new_customers"))
    print(f"    -> {task.summary}")
    known_invoices = make_invoices(known)
    maps = env["xero.mapping"]._maps(conn)
    typed = [
        payloads.invoice_payload(m._xero_invoice_values(conn, maps))[0]
        for m in known_invoices[::10]
    ]
    # Typed in Xero, on the bench's clock (the throttle's ledger is in its time).
    env["xero.handler.invoices"].with_context(xero_clock=CLOCK)._put(conn, "create_invoices", typed)
    env.cr.commit()
    task = measure("Send New Invoices, 10% in Xero", N_KNOWN, lambda: run("send_new_invoices"))
    print(f"    -> {task.summary}")

    for size in (10, 50):
        # Fresh recordsets: their prefetch set is the batch, as in a task's batch.
        batch = env["res.partner"].browse(partners[:size].ids)
        q = build_queries(batch, lambda recs: [p._xero_contact_values() for p in recs])
        moves = env["account.move"].browse(invoices[:size].ids)
        maps = env["xero.mapping"]._maps(conn)  # read once per batch, as a task does
        qi = build_queries(
            moves, lambda recs, maps=maps: [m._xero_invoice_values(conn, maps) for m in recs]
        )
        print(f"Building a batch of {size:>2}: {q} SQL queries for customers, {qi} for invoices")
    env.cr.commit()
    print("DEMO OK")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
