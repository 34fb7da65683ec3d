#!/usr/bin/env python3
"""`make demo`: the monthly Xero cycle of a dealer, end to end, on the built-in defaults.

Creates a throwaway Odoo 18 database on 127.0.0.1 (PostgreSQL, role of the current user or
$PGUSER), installs the addon from a temporary addons folder linked to this checkout, starts the
bundled Xero emulator on a free loopback port, connects the company to it, and runs the tasks
of a month (tools/demo_cycle.py), printing each one's summary. The database is dropped at the
end unless --keep is given; then the emulator runs on a stable port (8765 when free) with a state
file, both recorded in .tmp/demo/, so that `make serve` (tools/serve.py) opens the database with
the emulator its connection points at, holding the records the month made.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "xero_emulator"))  # the package, installed or not
from xero_emulator.process import EmulatorProcess, free_port, port_free  # noqa: E402

#: What --keep leaves: ``<db>.json`` (the emulator's port, options and state file),
#: ``<db>.emulator.json`` (that state) and ``last`` (the name of the last kept database).
KEPT = os.path.join(ROOT, ".tmp", "demo")
KEPT_EMULATOR_PORT = 8765
EMULATOR_ARGS = ("--base-currency", "USD", "--org-name", "Demo Company (Dealer North)")
LOGIN = ("admin", "admin")  # a database made by `odoo -i` without demo data


def kept_record(db=None):
    """What --keep recorded for ``db`` (the last kept database by default), or None."""
    try:
        if db is None:
            with open(os.path.join(KEPT, "last"), encoding="utf-8") as handle:
                db = handle.read().strip()
        with open(os.path.join(KEPT, db + ".json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def save_kept_record(record, last=True):
    """Record a kept database (and make it the last one, unless ``last`` is False)."""
    os.makedirs(KEPT, exist_ok=True)
    with open(os.path.join(KEPT, record["database"] + ".json"), "w", encoding="utf-8") as out:
        json.dump(record, out, indent=1)
    if last:
        with open(os.path.join(KEPT, "last"), "w", encoding="utf-8") as out:
            out.write(record["database"] + "\n")


def fail(message):
    print(f"demo: {message}", file=sys.stderr)
    sys.exit(1)


def check_prerequisites(db_host, db_user):
    try:
        import odoo  # noqa: F401
    except ImportError:
        fail(
            "Odoo 18.0 is not importable in this Python (%s).\n"
            "Run `make demo`: it installs Odoo 18.0 into .venv (tools/bootstrap.sh), or give\n"
            "PYTHON=/path/to/python an interpreter that has it." % sys.executable
        )
    try:
        import psycopg2

        psycopg2.connect(host=db_host, user=db_user, dbname="postgres", connect_timeout=5).close()
    except Exception as exc:
        fail(f"PostgreSQL is not reachable at {db_host} as {db_user}: {exc}")


def odoo_cmd(db, addons, db_host, db_user, *args, command=()):
    return [
        sys.executable,
        "-m",
        "odoo",
        *command,
        "-d",
        db,
        "--db_host",
        db_host,
        "--db_user",
        db_user,
        "--addons-path",
        addons,
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(free_port()),
        *args,
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--script",
        default=os.path.join(ROOT, "tools", "demo_cycle.py"),
        help="the script run in `odoo shell` (tools/bench_cycle.py: benchmark)",
    )
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "root"))
    args = parser.parse_args()
    check_prerequisites(args.db_host, args.db_user)
    env = dict(os.environ, TZ="UTC")
    db = f"xero_demo_{int(time.time())}"
    addons = tempfile.mkdtemp(prefix="xero_demo_addons_")
    os.symlink(os.path.join(ROOT, "account_xero_sync"), os.path.join(addons, "account_xero_sync"))
    emulator = None
    try:
        print(f"== database {db}: installing account_xero_sync (about a minute)")
        subprocess.run(
            odoo_cmd(
                db,
                addons,
                args.db_host,
                args.db_user,
                "-i",
                "account_xero_sync",
                "--without-demo=all",
                "--stop-after-init",
                "--log-level=warn",
            ),
            check=True,
            env=env,
        )
        options, port = list(EMULATOR_ARGS), None
        if args.keep:  # a port and a state that `make serve` finds again
            os.makedirs(KEPT, exist_ok=True)
            options += ["--state", os.path.join(KEPT, db + ".emulator.json")]
            port = KEPT_EMULATOR_PORT if port_free(KEPT_EMULATOR_PORT) else free_port()
        try:
            emulator = EmulatorProcess(*options, port=port, env=env)
        except RuntimeError as exc:
            fail(str(exc))
        if args.keep:
            save_kept_record(
                {
                    "database": db,
                    "emulator_port": emulator.port,
                    "emulator_args": list(EMULATOR_ARGS),
                    "emulator_state": options[-1],
                }
            )
        print(f"== Xero emulator on {emulator.url}")
        # The shell runs one line: the cycle script, with the shell's `env`.
        script = os.path.abspath(args.script)
        shell = subprocess.run(
            odoo_cmd(
                db, addons, args.db_host, args.db_user, "--log-level=warn", command=("shell",)
            ),
            input=f"exec(open({script!r}).read())\n".encode(),
            capture_output=True,
            env=dict(
                env,
                XERO_EMULATOR_URL=emulator.url,
                PYTHONPATH=os.pathsep.join(filter(None, [ROOT + "/tools", env.get("PYTHONPATH")])),
            ),
            check=False,
        )
        output = shell.stdout.decode()
        print(output)
        if "DEMO OK" not in output:
            print(shell.stderr.decode()[-4000:], file=sys.stderr)
            fail("the demo cycle failed")
    except subprocess.CalledProcessError as exc:
        fail(f"{' '.join(exc.cmd[:4])} failed with exit code {exc.returncode}")
    finally:
        if emulator:
            emulator.stop()
        shutil.rmtree(addons, ignore_errors=True)
        if not args.keep:
            subprocess.run(
                ["dropdb", "-h", args.db_host, "-U", args.db_user, "--if-exists", db], check=False
            )
        else:
            print(f"== kept database {db}: `make serve` opens it with its emulator (login")
            print(f"   {LOGIN[0]} / {LOGIN[1]}); `make serve DB={db}` once another one is kept")


if __name__ == "__main__":
    main()
