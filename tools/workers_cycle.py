# Run inside `odoo shell` by `make bench-workers` (tools/demo.py --script
# tools/workers_cycle.py). Many dealers, few workers (#25): XERO_BENCH_DEALERS dealers (20),
# each with its own organisation in the emulator and XERO_BENCH_PDFS invoices (120) already in
# Xero whose PDFs Odoo has stored (as an invoice sent from Odoo has) and Xero has not: each
# dealer's Send Invoice PDFs costs one call per invoice, minutes of Xero's 60 calls a minute.
# Exactly two cron worker processes (tests/cron_worker.py: Odoo's own ir.cron._process_jobs)
# serve every dealer's runner. The clock is accelerated XERO_BENCH_CLOCK (3) times, for Xero's
# minute only: it lasts 60 / XERO_BENCH_CLOCK seconds in the emulator (minute_seconds) and in
# the workers' throttle, whose waits are real (a worker sleeping in the throttle is idle), and
# the runner's give-back threshold shrinks as much. Odoo's work is not accelerated: on this
# clock it looks XERO_BENCH_CLOCK times slower, so the measure is harder on the workers than
# real time is.
# Prints, in minutes of that clock: the time to finish all dealers against the floor (the
# largest organisation's calls at 60 a minute; the workers' CPU seconds shared by the two
# workers), each dealer's wait for its first batch (goal: at most one minute) and end, its calls
# and 429s, and the seconds a worker slept in the throttle while another dealer's task waited
# for a worker (goal: none beyond the give-back threshold).
# ruff: noqa: F821
import os
import time
import traceback
from datetime import date

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

DEALERS = int(os.environ.get("XERO_BENCH_DEALERS", 20))
PDFS = int(os.environ.get("XERO_BENCH_PDFS", 120))
SPEED = float(os.environ.get("XERO_BENCH_CLOCK", 3))
WORKERS = 2
MINUTE = 60.0 / SPEED  # seconds of Xero's minute on the accelerated clock
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=120)
TIMES = {}  # seconds of the set-up, per part


def tenant_of(n):
    return f"00000000-0000-4000-8000-0000000{n:05d}"


def dealer(n, pdf):
    """A company, its connection to its organisation, one customer and PDFS posted invoices
    sent to Xero (Send New Customers and Send New Invoices, run here), each with a stored PDF
    (``invoice_pdf_report_file``, made from ``pdf``) that Xero does not have yet."""
    started = time.time()
    company, cenv, conn, sale, tax = cycle_common.mapped_dealer(
        env, f"Workers Dealer {n:02d}", tenant_of(n)
    )
    TIMES["chart"] = TIMES.get("chart", 0) + time.time() - started
    started = time.time()
    partner = cenv["res.partner"].create(
        {"name": f"Dealer {n} Customer", "customer_rank": 1, "company_id": company.id}
    )
    moves = cenv["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date.today(),
                "journal_id": sale.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Line rental",
                            "quantity": 1,
                            "price_unit": 29.95 + i,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                ],
            }
            for i in range(PDFS)
        ]
    )
    moves.action_post()
    TIMES["invoices"] = TIMES.get("invoices", 0) + time.time() - started
    started = time.time()
    for task_type in ("send_new_customers", "send_new_invoices"):
        task = cenv["xero.task"]._queue(company, task_type)
        task.with_context(xero_commit=False).action_run()
        assert task.state == "done", task.summary
    TIMES["sends"] = TIMES.get("sends", 0) + time.time() - started
    cenv["ir.attachment"].create(
        [
            {
                "name": f"{move.name.replace('/', '_')}.pdf",
                "res_model": "account.move",
                "res_id": move.id,
                "res_field": "invoice_pdf_report_file",
                "raw": pdf + f"\n% {move.name}\n".encode(),
                "mimetype": "application/pdf",
            }
            for move in moves
        ]
    )
    env.cr.commit()
    return conn


def sample(cr, task_ids):
    """The tasks' states and counts, and how many dealers' tasks may run now but no worker
    runs (their dealer's lock free): ``(time, {task id: (state, sent)}, waiting)``."""
    cr.execute("SELECT id, state, count_created FROM xero_task WHERE id IN %s", [tuple(task_ids)])
    tasks = {row[0]: (row[1], row[2]) for row in cr.fetchall()}
    cr.execute(
        "SELECT count(DISTINCT t.company_id) FROM xero_task t "
        "WHERE t.state IN ('queued', 'running') "
        "AND (t.resume_at IS NULL OR t.resume_at <= (now() at time zone 'UTC')) "
        "AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' "
        "AND l.classid = %s AND l.objid = t.company_id AND l.objsubid = 2)",
        [ADVISORY_NS],
    )
    waiting = cr.fetchone()[0]
    cr.rollback()  # a new snapshot next time
    return time.time(), tasks, waiting


def run(connections, tasks):
    """Two cron workers on every dealer's runner, released together; polls the tasks until
    all have ended: ``(release, samples, worker logs)``."""
    crons = connections.runner_cron_id.ids
    procs, released, logs = cycle_common.start_workers(
        env,
        [crons] * WORKERS,
        timeout=3600,
        minute=MINUTE,
        until_stopped=True,
    )
    samples = []
    with env.registry.cursor() as cr:
        while True:
            samples.append(sample(cr, tasks.ids))
            if all(state not in ("queued", "running") for state, _n in samples[-1][1].values()):
                break
            if any(proc.poll() is not None for proc in procs):
                with open(logs[0]) as log:
                    raise RuntimeError("a worker ended early: %s" % log.read()[-2000:])
            time.sleep(0.2)
    open(os.path.join(os.path.dirname(logs[0]), "stop"), "w").close()
    texts = []
    for proc, log in zip(procs, logs, strict=True):
        proc.wait(120)
        with open(log) as f:
            texts.append(f.read())
        if proc.returncode:
            raise RuntimeError(f"a worker failed: {texts[-1][-2000:]}")
    return released, samples, texts


def idle_on_a_limit(samples, texts):
    """Seconds a worker slept in the throttle while another dealer's task waited for a
    worker, and the longest such sleep: the sleeps each worker noted, against the samples."""
    total, longest = 0.0, 0.0
    for text in texts:
        for line in text.splitlines():
            if not line.startswith("slept "):
                continue
            start, seconds = (float(x) for x in line.split()[1:])
            overlap = sum(
                min(t1, start + seconds) - max(t0, start)
                for (t0, _t, waiting), (t1, _t1, _w) in zip(samples, samples[1:], strict=False)
                if waiting and t1 > start and t0 < start + seconds
            )
            total += overlap
            longest = max(longest, overlap)
    return total, longest


def clock_minutes(seconds):
    return seconds / MINUTE


try:
    from odoo.addons.account_xero_sync.tasks.common import ADVISORY_NS
    from odoo.addons.account_xero_sync.tasks.xero_connection_runner import GIVE_BACK_AFTER

    emulator.seed(
        {
            "organisations": [
                {"tenant_id": tenant_of(n), "name": f"Dealer {n:02d}", "base_currency": "USD"}
                for n in range(DEALERS)
            ]
        }
    )
    made = time.time()
    pdf = None
    connections = env["xero.connection"]
    for n in range(DEALERS):
        if pdf is None:  # one invoice PDF rendered by Odoo, as every invoice's stored copy
            conn = dealer(n, b"")
            move = env["account.move"].search([("company_id", "=", conn.company_id.id)], limit=1)
            pdf, _kind = env["ir.actions.report"]._render_qweb_pdf(
                "account.account_invoices", move.ids
            )
            attachments = env["ir.attachment"].search(
                [("res_model", "=", "account.move"), ("res_field", "=", "invoice_pdf_report_file")]
            )
            for attachment in attachments:
                attachment.raw = pdf + f"\n% {attachment.name}\n".encode()
            env.cr.commit()
        else:
            conn = dealer(n, pdf)
        connections |= conn
    print(
        f"Many dealers, few workers ({date.today()}): {DEALERS} dealers, each {PDFS} invoices "
        f"in Xero whose stored PDF ({len(pdf) // 1024} KB) Xero has not; {WORKERS} cron "
        f"workers; Xero's minute of 60 calls per organisation lasts {MINUTE:g} s (a clock "
        f"{SPEED:g} times faster); set up in {time.time() - made:.0f} s "
        f"({', '.join(f'{part} {seconds:.0f} s' for part, seconds in TIMES.items())})."
    )
    # A fresh minute for everyone: the set-up's calls forgotten by the throttle and Xero.
    env["xero.rate.call"].search([]).unlink()
    emulator.limits(minute_seconds=MINUTE)
    emulator.advance(60)
    emulator.clear_requests()
    env["ir.cron.trigger"].search([("cron_id", "in", connections.runner_cron_id.ids)]).unlink()
    tasks = env["xero.task"]
    for conn in connections:
        tasks |= env["xero.task"]._queue(conn.company_id, "send_invoice_pdfs")
    env.cr.commit()
    offset = emulator.now() - time.time()  # the emulator's clock, moved on a minute

    released, samples, texts = run(connections, tasks)
    requests = [r for r in emulator.requests() if r["path"].startswith("/api.xro")]

    def summed(word):  # the last figure of the workers' lines starting with word
        return sum(
            float(line.split()[-1])
            for text in texts
            for line in text.splitlines()
            if line.startswith(word + " ")
        )

    cpu, busy, slept = summed("cpu"), summed("busy"), summed("slept")
    rows, first_batches, ends, largest = [], [], [], 0
    for conn, task in zip(connections, tasks, strict=True):
        mine = [r for r in requests if r.get("tenant") == conn.tenant_id]
        calls, refused = len(mine), sum(1 for r in mine if r["status"] == 429)
        first_call = min(r["time"] for r in mine) - offset - released
        first = next(t for t, states, _w in samples if (states[task.id][1] or 0) > 0) - released
        end = next(
            t for t, states, _w in samples if states[task.id][0] not in ("queued", "running")
        )
        end -= released
        first_batches.append(first)
        ends.append(end)
        largest = max(largest, calls)
        rows.append((conn.tenant_name, calls, refused, first_call, first, end))
    total = max(ends)
    rate_floor = largest / 60 * MINUTE
    work_floor = (busy - slept) / WORKERS
    floor = max(rate_floor, work_floor)
    idle, longest = idle_on_a_limit(samples, texts)
    for name, calls, refused, first_call, first, end in rows:
        print(
            f"    {name}: {calls} calls ({refused} refused 429), first call after "
            f"{clock_minutes(first_call):.2f} min, first batch done after "
            f"{clock_minutes(first):.2f} min, done after {clock_minutes(end):.2f} min"
        )
    print(
        f"All {DEALERS} dealers done in {clock_minutes(total):.2f} min ({total:.0f} s of wall "
        f"time) against a floor of {clock_minutes(floor):.2f} min: {total / floor:.2f}x "
        f"(rate limit: {largest} calls at 60 a minute, {clock_minutes(rate_floor):.2f} min; "
        f"the workers' work, {busy - slept:.0f} s running jobs less the throttle's waits, of "
        f"which {cpu:.0f} s CPU, over {WORKERS} workers: {clock_minutes(work_floor):.2f} min)"
    )
    print(
        f"First batch: the longest wait {clock_minutes(max(first_batches)):.2f} min "
        f"(goal at most 1), the mean {clock_minutes(sum(first_batches) / DEALERS):.2f} min"
    )
    print(
        f"A worker asleep in the throttle while another dealer waited for one: {idle:.1f} s "
        f"in all, {longest:.1f} s at most ({clock_minutes(idle):.2f} min of clock); give-back "
        f"after a wait of {GIVE_BACK_AFTER / SPEED:.1f} s"
    )
    env.cr.commit()
    env.invalidate_all()
    states = sorted(set(tasks.mapped("state")))
    sent = sum(tasks.mapped("count_created"))
    print(f"Tasks {states}, {sent} PDFs sent of {DEALERS * PDFS}")
    puts = [r for r in requests if r["status"] == 200 and "/Attachments/" in r["path"]]
    ok = states == ["done"] and sent == DEALERS * PDFS == len(puts)
    print("DEMO OK" if ok else "DEMO FAILED: a task did not finish, or a PDF was not sent once")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
