# Run inside `odoo shell` by `make bench` (tools/demo.py --script tools/bench_scale.py).
# Cost per record as the work grows: the same month (new customers, their invoices, credit
# notes for a fifth of them, payments for 60% sent and 40% paid in Xero and fetched) at each
# size of XERO_BENCH_SIZES (default 1,000 and 10,000), one after the other in one
# organisation. Each task is run step by step as the runner's cron runs it: one batch per
# ``_cron_run_tasks`` call, a commit and a fresh cache between steps. Printed side by side:
# Xero calls per 1,000 records and Odoo's own time per record (wall time less the time spent
# waiting for Xero), and the ratio of the largest size to the smallest.
# XERO_BENCH_PROFILE=<dir>: a cProfile file per task and size in <dir>.
# ruff: noqa: F821
import cProfile
import os
import random
import time
import traceback
from datetime import date

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

from odoo.addons.account_xero_sync.xero_api.sdk_client import GatewayApiClient

SIZES = [int(s) for s in os.environ.get("XERO_BENCH_SIZES", "1000,10000").split(",") if s]
PROFILE = os.environ.get("XERO_BENCH_PROFILE")
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=120)
TASKS = [
    ("Send New Customers", "send_new_customers"),
    ("Send New Invoices", "send_new_invoices"),
    ("Send New Credit Notes", "send_new_credit_notes"),
    ("Send New Payments", "send_new_payments"),
    ("Fetch New Payments", "fetch_new_payments"),
]


CLOCK = cycle_common.accelerated_clock(emulator)
SQL = {}  # with XERO_BENCH_PROFILE: query text (its first 300 characters) -> [count, seconds]


def _timed_execute(execute):
    def timed(self, query, params=None, log_exceptions=True):
        start = time.time()
        try:
            return execute(self, query, params, log_exceptions)
        finally:
            entry = SQL.setdefault(str(query)[:300], [0, 0.0])
            entry[0] += 1
            entry[1] += time.time() - start

    return timed


if PROFILE:
    from odoo import sql_db

    sql_db.Cursor.execute = _timed_execute(sql_db.Cursor.execute)
say = cycle_common.say


RESULTS = {}  # (label, size) -> (records, calls, Odoo's own seconds, steps)


def run_steps(label, size, task_type, records):
    """Queue ``task_type`` and run it as the runner's cron does, one step per call, with a
    commit and a fresh cache between steps; record its calls and Odoo's own time."""
    task = env["xero.task"]._queue(env.company, task_type)
    env.cr.commit()
    emulator.clear_requests()
    runner = env["xero.task"].with_context(xero_clock=CLOCK)
    profile = cProfile.Profile() if PROFILE else None
    SQL.clear()
    start, http, steps = time.time(), GatewayApiClient.http_seconds, 0
    while True:
        env.invalidate_all()
        if profile:
            profile.enable()
        runner._cron_run_tasks(task.connection_id.id)
        env.cr.commit()
        if profile:
            profile.disable()
        steps += 1
        if task.state not in ("queued", "running"):
            break
    odoo = time.time() - start - (GatewayApiClient.http_seconds - http)
    calls = len([r for r in emulator.requests() if r["path"].startswith("/api.xro")])
    if profile:
        os.makedirs(PROFILE, exist_ok=True)
        profile.dump_stats(os.path.join(PROFILE, f"{task_type}-{size}.prof"))
        with open(os.path.join(PROFILE, f"{task_type}-{size}.sql"), "w") as out:
            for query, (count, seconds) in sorted(SQL.items(), key=lambda i: -i[1][1])[:40]:
                out.write(f"{seconds:8.3f} s {count:6} x  {' '.join(query.split())}\n")
        SQL.clear()
    RESULTS[label, size] = (records, calls, odoo, steps)
    say(
        f"  {label:<24} {records:>6} records {steps:>4} steps {calls:>5} calls "
        f"({calls * 1000 / max(records, 1):.0f} per 1,000), Odoo {odoo:7.1f} s "
        f"({odoo * 1000 / max(records, 1):.1f} ms per record) -> {task.summary}"
    )


def month(size, conn, tax, bank, rng):
    """One month of ``size`` new customers, run step by step (see the header)."""
    company = env.company
    nz = env.ref("base.nz")
    partners = env["res.partner"].create(
        [
            {
                "name": f"Scale {size} Customer {i:05d}",
                "email": f"s{size}.{i}@bench.example",
                "phone": f"09 {100 + i % 800} {1000 + i % 9000}",
                "country_id": nz.id,
                "street": f"{i} Queen Street",
                "city": "Auckland",
                "customer_rank": 1,
                "company_id": company.id,
            }
            for i in range(size)
        ]
    )
    env.cr.commit()
    run_steps("Send New Customers", size, "send_new_customers", size)

    def values(partner, move_type="out_invoice"):
        line = {"quantity": 1, "tax_ids": [Command.set(tax.ids)]}
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": date.today(),
            "invoice_line_ids": [
                Command.create(dict(line, name="Line rental", price_unit=29.95)),
                Command.create(
                    dict(
                        line,
                        name="Calls",
                        quantity=rng.randint(1, 1500),
                        price_unit=round(rng.uniform(0.001, 0.2), 5),
                    )
                ),
            ],
        }

    invoices = env["account.move"]
    for start in range(0, size, 1000):  # in slices: one create of 10,000 moves is slow
        moves = env["account.move"].create([values(p) for p in partners[start : start + 1000]])
        moves.action_post()
        invoices |= moves
        env.cr.commit()
    run_steps("Send New Invoices", size, "send_new_invoices", size)
    notes = env["account.move"].create(
        [values(p, "out_refund") for p in partners[size - size // 5 :]]
    )
    notes.action_post()
    env.cr.commit()
    run_steps("Send New Credit Notes", size, "send_new_credit_notes", len(notes))
    paid, fetched = size * 6 // 10, size * 4 // 10
    invoices = env["account.move"].browse(invoices.ids)
    for start in range(0, paid, 1000):
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices[start : min(start + 1000, paid)].ids
        ).create(
            {"payment_date": date.today(), "journal_id": bank.id, "group_payment": False}
        )._create_payments()
        env.cr.commit()
    run_steps("Send New Payments", size, "send_new_payments", paid)
    invoices = env["account.move"].browse(invoices.ids)
    for start in range(paid, paid + fetched, 1000):
        cycle_common.pay_in_xero(
            emulator, conn.tenant_id, invoices[start : min(start + 1000, paid + fetched)]
        )
    run_steps("Fetch New Payments", size, "fetch_new_payments", fetched)


try:
    company = env.company
    conn, bank = cycle_common.mapped_connection(env, company)
    env.ref("product.decimal_price").digits = 5
    tax = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    env.cr.commit()
    rng = random.Random(2026)
    print(f"Cost per record as the work grows ({date.today()}), step by step as the cron runs:")
    for size in SIZES:
        say(f"{size:,} new customers:")
        month(size, conn, tax, bank, rng)
    small, large = min(SIZES), max(SIZES)
    print()
    print(
        f"{'':<24} {'calls per 1,000':>22} {'Odoo ms per record':>22}  ratio\n"
        f"{'':<24} {small:>10,} {large:>10,}  {small:>10,} {large:>10,}  {large:,}/{small:,}"
    )
    for label, _type in TASKS:
        (n1, c1, o1, _s1), (n2, c2, o2, _s2) = RESULTS[label, small], RESULTS[label, large]
        ms1, ms2 = o1 * 1000 / max(n1, 1), o2 * 1000 / max(n2, 1)
        print(
            f"{label:<24} {c1 * 1000 / max(n1, 1):>10.0f} {c2 * 1000 / max(n2, 1):>10.0f}  "
            f"{ms1:>10.1f} {ms2:>10.1f}  {ms2 / ms1 if ms1 else 0:>5.2f}x"
        )
    print("DEMO OK")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
