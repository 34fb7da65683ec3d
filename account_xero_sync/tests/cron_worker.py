"""A cron worker for the tests: a separate OS process running Odoo's own cron machinery.

``python cron_worker.py OPTIONS_JSON`` loads the database's registry, says it is ready (a file
in ``barrier``), waits for the go (the file ``go`` there), then runs ``ir.cron._process_jobs``
(what Odoo's cron threads run: each ready job acquired ``FOR NO KEY UPDATE SKIP LOCKED``, its
server action run and committed) until none of the given crons is ready or triggered for the
next two seconds, or the deadline.
Only those crons: the test database's other scheduled actions are left alone.

Options: ``db``, ``addons_path``, ``db_host``, ``db_port``, ``db_user``, ``db_password``,
``crons`` (ids), ``barrier`` (a folder), ``name`` (of this worker), ``deadline`` (epoch);
``accelerate`` (``{"url": emulator, "tenant": id}``, for measures of time under Xero's
limits, ``make bench``): the throttle's waits are skipped, its clock moved on instead and
that organisation's rate-limit windows in the emulator as much; the seconds skipped are
printed at the end (``skipped N``); ``minute`` (seconds): Xero's minute lasts that long, in
the throttle (and in the emulator, ``minute_seconds``), for measures of many dealers on an
accelerated clock (``make bench-workers``): waits are real, so a worker that sleeps in the
throttle is idle, and the runner's give-back threshold shrinks as much; ``until_stopped``: the
worker goes on polling, with nothing ready, until the file ``stop`` is in ``barrier``. At the
end the worker prints its CPU seconds (``cpu N``), the seconds it spent running jobs (``busy
N``) and each throttle wait it slept (``slept START SECONDS``).
"""

import json
import os
import resource
import sys
import time


def main():
    opts = json.loads(sys.argv[1])
    from odoo.tools import config

    args = ["-d", opts["db"], "--addons-path", opts["addons_path"], "--log-level", "warn"]
    for key in ("db_host", "db_port", "db_user", "db_password"):
        if opts.get(key):
            args += ["--" + key, str(opts[key])]
    config.parse_config(args)
    from odoo.modules.registry import Registry

    registry = Registry(opts["db"])
    IrCron = registry["ir.cron"]
    crons = set(opts["crons"])
    all_ready = IrCron._get_all_ready_jobs

    def ready_jobs(cr):
        return [job for job in all_ready(cr) if job["id"] in crons]

    IrCron._get_all_ready_jobs = staticmethod(ready_jobs)
    skipped = accelerate(opts["accelerate"]) if opts.get("accelerate") else None
    if opts.get("minute"):
        short_minute(float(opts["minute"]))
    slept = record_sleeps()
    busy = record_jobs(IrCron)
    barrier = opts["barrier"]
    with open(os.path.join(barrier, "ready-" + opts["name"]), "w"):
        pass
    while not os.path.exists(os.path.join(barrier, "go")):
        if time.time() > opts["deadline"]:
            return 2
        time.sleep(0.05)
    db = registry.db_name
    stop = os.path.join(barrier, "stop")
    while time.time() < opts["deadline"]:
        IrCron._process_jobs(db)
        with registry.cursor() as cr:
            ready = ready_jobs(cr)
            soon = not ready and due_soon(cr, crons)
        if soon or (not ready and opts.get("until_stopped") and not os.path.exists(stop)):
            time.sleep(0.05)
            continue
        if not ready:
            # The worker's results, on its stdout: its parent reads them.
            if skipped is not None:
                print("skipped %.3f" % skipped[0])  # pylint: disable=print-used
            usage = resource.getrusage(resource.RUSAGE_SELF)
            print("cpu %.3f" % (usage.ru_utime + usage.ru_stime))  # pylint: disable=print-used
            print("busy %.3f" % busy[0])  # pylint: disable=print-used
            for start, seconds in slept:
                print("slept %.3f %.3f" % (start, seconds))  # pylint: disable=print-used
            return 0
        # Said in the worker's log (its stdout), which a test shows when the worker does not end.
        ready_at = [(j["id"], j.get("nextcall")) for j in ready]
        print("%.1f ready: %s" % (time.time(), ready_at))  # pylint: disable=print-used
        sys.stdout.flush()
        time.sleep(0.1)
    return 3


def due_soon(cr, crons):
    """Whether one of ``crons`` is triggered for the next two seconds (a runner that ended its
    turn, see ``_cron_run_tasks``): such a worker is not done yet."""
    cr.execute(
        "SELECT 1 FROM ir_cron_trigger WHERE cron_id IN %s "
        "AND call_at <= (now() at time zone 'UTC') + interval '2 seconds' LIMIT 1",
        [tuple(crons)],
    )
    return bool(cr.fetchone())


def base_options(dbname, barrier, deadline):
    """The options every worker of ``dbname`` takes (this process's database settings), for
    the starters of workers (tests/workers.py, tools/cycle_common.py); each adds its own
    ``name`` and ``crons``."""
    from odoo.tools import config

    return {
        "db": dbname,
        "addons_path": config["addons_path"],
        "db_host": config["db_host"],
        "db_port": config["db_port"],
        "db_user": config["db_user"],
        "db_password": config["db_password"],
        "barrier": barrier,
        "deadline": deadline,
    }


def short_minute(seconds):
    """Xero's minute lasts ``seconds`` in the throttle, and the runner gives its worker back
    after a wait shorter in proportion (see the module docstring)."""
    # Absolute imports (W8150 aside): this file also runs as a script.
    from odoo.addons.account_xero_sync.tasks import xero_connection_runner  # pylint: disable=W8150
    from odoo.addons.account_xero_sync.xero_api import throttle  # pylint: disable=W8150

    xero_connection_runner.GIVE_BACK_AFTER *= seconds / throttle.MINUTE
    throttle.MINUTE = seconds


def record_sleeps():
    """Note each wait the throttle's clock sleeps: ``[(start, seconds)]``."""
    from odoo.addons.account_xero_sync.xero_api import throttle  # pylint: disable=W8150

    slept = []
    sleep = throttle.RealClock.sleep

    def recorded(clock, seconds):
        start = time.time()
        sleep(clock, seconds)
        if seconds > 0:
            slept.append((start, time.time() - start))

    throttle.RealClock.sleep = recorded
    return slept


def record_jobs(cron_model):
    """Add up the seconds the worker spends running jobs: ``[seconds]``."""
    busy = [0.0]
    run_job = cron_model._run_job.__func__

    def timed(cls, job):
        start = time.time()
        try:
            return run_job(cls, job)
        finally:
            busy[0] += time.time() - start

    cron_model._run_job = classmethod(timed)
    return busy


def accelerate(options):
    """Skip the throttle's waits (see the module docstring); returns ``[seconds skipped]``."""
    from xero_emulator.control import EmulatorControl

    # Absolute, W8150 (odoo-addons-relative-import) aside: this file also runs as a script,
    # where there is no package for a relative import.
    from odoo.addons.account_xero_sync.xero_api import throttle  # pylint: disable=W8150

    emulator = EmulatorControl(options["url"], timeout=30)
    skipped = [0.0]

    def now(_clock):
        return time.time() + skipped[0]

    def sleep(_clock, seconds):
        if seconds > 0:
            skipped[0] += seconds
            emulator.advance_limits(options["tenant"], seconds)

    throttle.RealClock.time = now
    throttle.RealClock.sleep = sleep
    throttle.RealClock.real_waits = False  # a runner waits (for free) rather than give back
    return skipped


if __name__ == "__main__":
    sys.exit(main())
