# Run inside `odoo shell` by `make bench` (tools/demo.py --script tools/bench_pdfs.py).
# Invoice PDFs (#25): what a PDF costs and the month with PDFs, against the bundled emulator
# with Xero's limits (60 calls a minute, 5,000 a day), on an accelerated clock (the throttle's
# waits are skipped and the emulator's windows moved on as much; the night is skipped when the
# PDFs wait for Xero's next day: the bench then makes the task due, as the night would).
#
# 1. The cost of a PDF (XERO_BENCH_PDF_SAMPLE invoices, default 120; 0: skip): rendering one,
#    rendering a step's PDFs, and Send Invoice PDFs run as the runner runs it, PDFs per minute
#    of Odoo's own time (wall time: Xero's limit off) and with Xero's minute limit counted
#    (wall time plus the throttle's waits), before (one wkhtmltopdf run for the step, failing
#    on an unpatched build, then one run after another: forced with XERO's previous path) and
#    after (one run per invoice, several at once).
# 2. The month with PDFs (XERO_BENCH_PDFS invoices, default 1,000): the invoices are sent, then
#    Send Invoice PDFs is queued; after its first step a payment arrives in Xero and Fetch New
#    Payments is queued; another when the PDFs first wait at the day's reserve. Printed: how
#    long each fetch waited behind the PDFs, the PDFs' days, Xero calls per day, PDFs per
#    minute. Each PDF is rendered for real up to 1,000 invoices; above, or with
#    XERO_BENCH_PDF_RENDER=0, each invoice gets one rendered PDF's bytes as the PDF Odoo
#    stored for it (as after Odoo's Send & Print), which the task sends as it is: the bench
#    says so, and the cost of rendering is part 1's.
# ruff: noqa: F821
import os
import statistics
import time
import traceback
from datetime import date, timezone

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command, fields

from odoo.addons.account_xero_sync.models import wkhtmltopdf_pool
from odoo.addons.account_xero_sync.xero_api import throttle as xero_throttle
from odoo.addons.account_xero_sync.xero_api.sdk_client import GatewayApiClient

DAY = 86400.0
N_PDFS = int(os.environ.get("XERO_BENCH_PDFS", 1000))
N_SAMPLE = int(os.environ.get("XERO_BENCH_PDF_SAMPLE", 120))
# Calls of the month's first day already used by other work (in the throttle's ledger).
DAY_USED = int(os.environ.get("XERO_BENCH_PDF_DAY_USED", 0))
RENDER = os.environ.get("XERO_BENCH_PDF_RENDER", "1" if N_PDFS <= 1000 else "0") == "1"
emulator = EmulatorControl(os.environ["XERO_EMULATOR_URL"], timeout=120)
CLOCK = cycle_common.accelerated_clock(emulator)
say = cycle_common.say


def start_of_next_day(tenant):
    """The bench starts at the first minute of Xero's next day (its clock and the emulator's
    moved on as much; the organisation's day in the emulator starts then too): a day of the
    bench is a whole day of Xero's budget."""
    skip = xero_throttle.day_start(CLOCK.time()) + DAY + 60 - CLOCK.time()
    CLOCK.skipped += skip
    emulator.advance(skip)
    emulator.advance_limits(tenant, DAY)


def make_invoices(company, count, prefix):
    tax = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    partners = env["res.partner"].create(
        [
            {"name": f"{prefix} {i:05d}", "customer_rank": 1, "company_id": company.id}
            for i in range(count)
        ]
    )
    lines = [("Line rental", 1, 29.95), ("Calls", 734, 0.04571), ("Data (GB)", 12.5, 3.99)]
    if not RENDER:  # the stored PDF is the same whatever the lines: one, made faster
        lines = lines[:1]
    taxes = [Command.set(tax.ids)]
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": p.id,
                "invoice_date": date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": n,
                            "quantity": q,
                            "price_unit": u,
                            "tax_ids": taxes,
                        }
                    )
                    for n, q, u in lines
                ],
            }
            for p in partners
        ]
    )
    moves.action_post()
    env.cr.commit()
    return moves


def send(company, task_type):
    task = env["xero.task"]._queue(company, task_type)
    task.with_context(xero_commit=False, xero_clock=CLOCK).action_run()
    env.cr.commit()
    return task


def runner_step(conn):
    """One run of the dealer's runner, as its cron makes it: one step, then a commit."""
    env["xero.task"].with_context(xero_clock=CLOCK)._cron_run_tasks(conn.id)
    env.cr.commit()
    env.invalidate_all()


def api_calls():
    calls = [r for r in emulator.requests() if r["path"].startswith("/api.xro")]
    emulator.clear_requests()
    return calls


# ------------------------------------------------------------------ 1. what a PDF costs


def cost_of_a_pdf(company, conn):
    start_of_next_day(conn.tenant_id)
    builds = "renders several invoices a run (patched Qt)"
    if not wkhtmltopdf_pool.renders_several_per_run():
        builds = "renders one invoice a run (unpatched Qt)"
    say(f"wkhtmltopdf: {builds}; up to {wkhtmltopdf_pool.PDF_PROCESSES} runs at once")
    binary = wkhtmltopdf_pool._get_wkhtmltopdf_bin()
    moves = sample(company, 10)
    one = []
    for move in moves[:3]:
        start = time.time()
        move._xero_render_each()
        one.append(time.time() - start)
    say(f"Render one PDF: {statistics.median(one):.2f} s (median of 3)")
    for label, batches in (("before", True), ("after", False)):
        previous_path(binary, batches)
        env.invalidate_all()
        start = time.time()
        contents = env["account.move"].browse(moves.ids)._xero_pdf_contents()
        seconds = time.time() - start
        made = sum(1 for c in contents.values() if isinstance(c, bytes) and c[:5] == b"%PDF-")
        say(f"Render a step's {len(moves)} PDFs, {label}: {seconds:.1f} s ({made} made)")
    for label, batches in (("before", True), ("after", False)):
        previous_path(binary, batches)
        pdfs_task(company, conn, sample(company, N_SAMPLE), label)
    previous_path(binary, False)
    # Upload alone: the PDFs Odoo stored (as after Send & Print), nothing to render.
    stored = sample(company, N_SAMPLE)
    attach_stored(stored, moves[0]._xero_render_each()[moves[0].id])
    pdfs_task(company, conn, stored, "stored PDFs, upload only")


def previous_path(binary, batches):
    """``batches``: take the installed wkhtmltopdf for one that renders a step's PDFs in one
    run, as the task did before #25 (on an unpatched build: that run fails, then one run
    after another); else ask it."""
    wkhtmltopdf_pool._BATCHES.pop(binary, None)
    if batches:
        wkhtmltopdf_pool._BATCHES[binary] = True


def sample(company, count):
    """``count`` new invoices of new customers, sent to Xero."""
    moves = make_invoices(company, count, "Sample %d" % time.time())
    send(company, "send_new_customers")
    send(company, "send_new_invoices")
    return moves


def pdfs_task(company, conn, moves, label):
    """Send Invoice PDFs for ``moves`` alone, step by step as the runner runs it."""
    others = (
        env["account.move"].search(
            [("company_id", "=", company.id), ("move_type", "=", "out_invoice")]
        )
        - moves
    )
    mark_sent(others)
    task = env["xero.task"]._queue(company, "send_invoice_pdfs")
    env.cr.commit()
    api_calls()
    start, http, waits = time.time(), GatewayApiClient.http_seconds, CLOCK.skipped
    while task.state in ("queued", "running"):
        runner_step(conn)
    wall = time.time() - start
    waited = CLOCK.skipped - waits
    sent = task.count_created + task.count_updated
    calls = len(api_calls())
    say(
        f"Send Invoice PDFs, {label}: {sent} PDFs, {calls} calls, {wall:.1f} s wall "
        f"({GatewayApiClient.http_seconds - http:.1f} s waiting for Xero's answers): "
        f"{sent / wall * 60:.0f} PDFs a minute with Xero's limit off; with its 60 a minute "
        f"({waited:.0f} s of waits skipped): {sent / (wall + waited) * 60:.0f} a minute"
    )
    return task


def mark_sent(moves):
    """The PDFs of ``moves`` (part 1's) count as sent: not part of what is measured next."""
    for move in moves.filtered(lambda m: m.xero_invoice_id):
        if move._xero_pdf_version() != move.xero_pdf_checksum:
            move.xero_pdf_checksum = move._xero_pdf_version()
    env.cr.commit()


def attach_stored(moves, pdf):
    """Each invoice's PDF as Odoo stores it at Send & Print (``invoice_pdf_report_file``)."""
    env["ir.attachment"].create(
        [
            {
                "name": "%s.pdf" % move.name.replace("/", "_"),
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": move.id,
                "res_field": "invoice_pdf_report_file",
            }
            for move in moves
        ]
    )
    env.cr.commit()
    env.invalidate_all()


# ------------------------------------------------------------------ 2. the month with PDFs


def month_with_pdfs(company, conn):
    start_of_next_day(conn.tenant_id)
    start = time.time()
    moves = make_invoices(company, N_PDFS, "Month")
    made = time.time() - start
    send(company, "send_new_customers")
    send(company, "send_new_invoices")
    say(f"The month: {N_PDFS} invoices made ({made:.0f} s) and sent to Xero")
    if RENDER:
        say("Each PDF is rendered by the task (wkhtmltopdf).")
    else:
        pdf = moves[0]._xero_render_each()[moves[0].id]
        attach_stored(moves, pdf)
        say(
            "Each invoice's PDF is one rendered PDF's bytes, stored as Odoo stores it at "
            "Send & Print: the task sends it as it is, rendering nothing (render cost: part 1)."
        )
    mark_sent(env["account.move"].search([("company_id", "=", company.id)]) - moves)
    if DAY_USED:
        at = max(xero_throttle.day_start(CLOCK.time()), CLOCK.time() - 61)  # not this minute
        env.cr.executemany(
            "INSERT INTO xero_rate_call (tenant_id, started_at, finished_at, backend_pid) "
            "VALUES (%s, %s, %s, pg_backend_pid())",
            [(conn.tenant_id, at, at)] * DAY_USED,
        )
        say(f"{DAY_USED} calls of the first day already used by other work")
    run_month(company, conn, moves)


def run_month(company, conn, moves):
    Task = env["xero.task"].with_context(xero_clock=CLOCK)
    pdfs = Task._queue(company, "send_invoice_pdfs")
    env.cr.commit()
    api_calls()
    day = xero_throttle.day_start(CLOCK.time())
    first_day, per_day, totals, fetches, durations = day, {day: 0}, {}, [], []
    walls = []  # each step's wall time; ``durations``: plus the minute's waits, nights skipped
    steps = 0
    payers = iter(moves[::7])
    while pdfs.state in ("queued", "running") or any(
        f["task"].state in ("queued", "running") for f in fetches
    ):
        resume = waits_until(pdfs)
        if resume and CLOCK.time() < resume:
            if len(fetches) < 2:  # the PDFs wait at the reserve: a payment comes in
                fetches.append(queue_fetch(Task, company, conn, next(payers), steps))
            else:
                totals[day] = day_used(conn)
                skip_to(pdfs, resume)
                day = xero_throttle.day_start(CLOCK.time())
                per_day.setdefault(day, 0)
                continue
        if steps > 10 * N_PDFS // 50 + 100:
            say("The bench stops: far more runner steps than the PDFs need.")
            break
        start, waits, at = time.time(), CLOCK.skipped, CLOCK.time()
        runner_step(conn)
        steps += 1
        durations.append(time.time() - start + CLOCK.skipped - waits)
        walls.append(time.time() - start)
        per_day[day] = per_day.get(day, 0) + len(api_calls())
        for fetch in fetches:
            if fetch["started"] is None and fetch["task"].state != "queued":
                fetch["started"], fetch["steps"] = at, steps - fetch["steps"]
        if not fetches and pdfs.count_done:  # a payment comes in while the PDFs go out (or
            # after, when they all went in one step)
            fetches.append(queue_fetch(Task, company, conn, next(payers), steps))
    totals[day] = day_used(conn)
    report_month(pdfs, fetches, (per_day, totals), first_day, (durations, walls))


def day_used(conn):
    """The organisation's calls of the bench's current day, in the throttle's ledger."""
    throttle = conn.with_context(xero_clock=CLOCK)._xero_throttle()
    return throttle.day_used(conn.tenant_id)


def waits_until(task):
    """When ``task``, still to run, resumes (epoch seconds on the bench's clock), or None."""
    if task.state in ("queued", "running") and task.resume_at:
        return task.resume_at.replace(tzinfo=timezone.utc).timestamp()
    return None


def queue_fetch(Task, company, conn, invoice, steps):
    cycle_common.pay_in_xero(emulator, conn.tenant_id, invoice)
    task = Task._queue(company, "fetch_new_payments")
    env.cr.commit()
    return {
        "task": task,
        "when": "at the reserve" if pdfs_wait(Task, company) else "while the PDFs go out",
        "queued": CLOCK.time(),
        "started": None,
        "steps": steps,
        "invoice": invoice,
    }


def pdfs_wait(Task, company):
    task = Task.search(
        [("company_id", "=", company.id), ("task_type", "=", "send_invoice_pdfs")],
        order="id desc",
        limit=1,
    )
    return bool(task.resume_at)


def skip_to(task, resume):
    """Skip to ``resume``, when ``task`` waits for Xero's next day: the clock, the emulator's
    as much and the organisation's day window there (counted from its first call: a day on);
    and the task's due time, which the runner compares with the real time, is now."""
    new_day = xero_throttle.day_start(resume) > xero_throttle.day_start(CLOCK.time())
    skip = resume - CLOCK.time()
    CLOCK.skipped += skip
    emulator.advance(skip)
    if new_day:
        emulator.advance_limits(task.connection_id.tenant_id, DAY)
    task.resume_at = fields.Datetime.now()
    env.cr.commit()


def report_month(pdfs, fetches, calls, first_day, times):
    per_day, totals = calls
    durations, walls = times
    sending = sum(durations)
    days = sorted(d for d, n in per_day.items() if n)
    say(
        f"Send Invoice PDFs: {pdfs.state}, {pdfs.count_created + pdfs.count_updated} PDFs in "
        f"{len(durations)} runner steps over {len(days)} Xero day(s); "
        f"{pdfs.count_done / (sending / 60):.0f} PDFs a minute of sending time "
        f"({sending / 60:.1f} min: wall time plus the minute's waits, nights skipped); "
        f"{pdfs.count_done / (sum(walls) / 60):.0f} a minute of wall time ({sum(walls) / 60:.1f} "
        "min, Xero's limit not counted); a step "
        f"{statistics.mean(durations):.1f} s on average, {max(durations):.1f} s at most "
        "(the longest a fetch queued during a step waits)"
    )
    budget = xero_throttle.DAY_LIMIT - pdfs.connection_id._xero_day_reserve()
    for d in days:
        say(
            f"    day {int((d - first_day) / DAY) + 1}: {per_day[d]} Xero calls in the PDFs' "
            f"run; {totals.get(d, 0)} in the day with the other work (background tasks stop "
            f"at {budget}, urgent ones at {xero_throttle.DAY_LIMIT})"
        )
    for fetch in fetches:
        task = fetch["task"]
        paid = task.company_id.currency_id.is_zero(fetch["invoice"].amount_residual)
        waited = fetch["started"] - fetch["queued"] if fetch["started"] else float("nan")
        say(
            f"Fetch New Payments queued {fetch['when']}: {task.state}; it ran "
            f"{fetch['steps']} runner step(s) after it was queued, {waited:.1f} s after; "
            f"the invoice paid in Xero is paid in Odoo: {paid}"
        )


try:
    company = env.company
    conn, _bank = cycle_common.mapped_connection(env, company)
    env.cr.commit()
    say(f"Invoice PDFs against the bundled emulator ({date.today()}), Xero's limits on:")
    if N_SAMPLE:
        cost_of_a_pdf(company, conn)
    if N_PDFS:
        month_with_pdfs(company, conn)
    print("DEMO OK")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
