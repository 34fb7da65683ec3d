"""A cron worker for the tests: a separate OS process running Odoo's own cron machinery.

``python cron_worker.py OPTIONS_JSON`` loads the database's registry, says it is ready (a file
in ``barrier``), waits for the go (the file ``go`` there), then runs ``ir.cron._process_jobs``
(what Odoo's cron threads run: each ready job acquired ``FOR NO KEY UPDATE SKIP LOCKED``, its
server action run and committed) until none of the given crons is ready, or the deadline.
Only those crons: the test database's other scheduled actions are left alone.

Options: ``db``, ``addons_path``, ``db_host``, ``db_port``, ``db_user``, ``db_password``,
``crons`` (ids), ``barrier`` (a folder), ``name`` (of this worker), ``deadline`` (epoch);
``accelerate`` (``{"url": emulator, "tenant": id}``, for measures of time under Xero's
limits, ``make bench``): the throttle's waits are skipped, its clock moved on instead and
that organisation's rate-limit windows in the emulator as much; the seconds skipped are
printed at the end (``skipped N``).
"""

import json
import os
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
    barrier = opts["barrier"]
    with open(os.path.join(barrier, "ready-" + opts["name"]), "w"):
        pass
    while not os.path.exists(os.path.join(barrier, "go")):
        if time.time() > opts["deadline"]:
            return 2
        time.sleep(0.05)
    db = registry.db_name
    while time.time() < opts["deadline"]:
        IrCron._process_jobs(db)
        with registry.cursor() as cr:
            ready = ready_jobs(cr)
            if not ready:
                if skipped is not None:
                    # The worker's result, on its stdout: its parent reads it.
                    print("skipped %.3f" % skipped[0])  # pylint: disable=print-used
                return 0
        # Said in the worker's log (its stdout), which a test shows when the worker does not end.
        ready_at = [(j["id"], j.get("nextcall")) for j in ready]
        print("%.1f ready: %s" % (time.time(), ready_at))  # pylint: disable=print-used
        sys.stdout.flush()
        time.sleep(0.1)
    return 3


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
