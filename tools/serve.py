#!/usr/bin/env python3
"""`make serve`: browse a database `make demo KEEP=1` kept, with the emulator it points at.

Starts the bundled Xero emulator with the state file and on the port the demo recorded in
.tmp/demo/ (so the database's links to Xero records still resolve), and Odoo on
http://127.0.0.1:PORT (8069) serving that database only; prints the URL and the login. Ctrl-C
stops both. `--db NAME` (make serve DB=NAME) opens another kept database than the last one; a
database kept before the demo recorded its emulator gets an empty emulator, with a new state file.
When the recorded port is taken, a free one is used and the database's connections to the
emulator (URLs on 127.0.0.1) are pointed at it.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "xero_emulator"))  # the package, installed or not
from demo import (  # noqa: E402
    EMULATOR_ARGS,
    KEPT,
    KEPT_EMULATOR_PORT,
    LOGIN,
    check_prerequisites,
    kept_record,
    save_kept_record,
)
from xero_emulator.process import EmulatorProcess, free_port, port_free  # noqa: E402


def fail_serve(message):
    print(f"serve: {message}", file=sys.stderr)
    sys.exit(1)


def sql(dbname, db_host, db_user, query, params):
    """Run one statement in ``dbname`` and commit; the cursor's row count and first row."""
    import psycopg2

    conn = psycopg2.connect(host=db_host, user=db_user, dbname=dbname, connect_timeout=5)
    try:
        with conn, conn.cursor() as cr:
            cr.execute(query, params)
            return cr.rowcount, (cr.fetchone() if cr.description else None)
    finally:
        conn.close()


def database_exists(db, db_host, db_user):
    query = "SELECT 1 FROM pg_database WHERE datname = %s"
    return sql("postgres", db_host, db_user, query, (db,))[1] is not None


def point_connections_at(db, db_host, db_user, url):
    """Point the database's connections to an emulator on 127.0.0.1 at ``url``; how many."""
    query = (
        "UPDATE xero_connection SET api_url = %s, identity_url = %s, login_url = %s"
        " WHERE api_url LIKE 'http://127.0.0.1:%%' AND api_url != %s"
    )
    return sql(db, db_host, db_user, query, (url, url, url, url))[0]


def wait_http(url, proc, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the kept database (default: the last one `make demo` kept)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8069), help="Odoo's HTTP port"
    )
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "root"))
    args = parser.parse_args()
    # Ctrl-C (also when started with SIGINT ignored, as a background job) and SIGTERM: stop both.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    check_prerequisites(args.db_host, args.db_user)
    record = kept_record(args.db)
    db = args.db or (record and record["database"])
    if not db:
        fail_serve("no kept demo database: run `make demo KEEP=1` first, or give DB=NAME")
    if not database_exists(db, args.db_host, args.db_user):
        fail_serve(f"database {db} does not exist (dropped?): `make demo KEEP=1` keeps a new one")
    if record is None:
        print(f"serve: {db} has no recorded emulator state: the emulator starts empty")
        record = {
            "database": db,
            "emulator_port": KEPT_EMULATOR_PORT,
            "emulator_args": list(EMULATOR_ARGS),
            "emulator_state": os.path.join(KEPT, db + ".emulator.json"),
        }
    if not port_free(args.port):
        fail_serve(f"port {args.port} is in use (another `make serve`?): PORT=N picks another")
    env = dict(os.environ, TZ="UTC")
    port = record["emulator_port"]
    if not port_free(port):
        port = free_port()
        print(f"serve: port {record['emulator_port']} is in use: the emulator takes {port}")
    try:
        emulator = EmulatorProcess(
            *record["emulator_args"], "--state", record["emulator_state"], port=port, env=env
        )
    except RuntimeError as exc:
        fail_serve(f"{exc} (is the state file {record['emulator_state']} readable?)")
    addons = tempfile.mkdtemp(prefix="xero_serve_addons_")
    os.symlink(os.path.join(ROOT, "account_xero_sync"), os.path.join(addons, "account_xero_sync"))
    odoo = None
    try:
        moved = point_connections_at(db, args.db_host, args.db_user, emulator.url)
        if moved:
            print(f"serve: {moved} connection(s) pointed at {emulator.url}")
        save_kept_record(dict(record, emulator_port=emulator.port), last=not args.db)
        odoo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "odoo",
                "-d",
                db,
                "--db-filter",
                f"^{db}$",
                "--db_host",
                args.db_host,
                "--db_user",
                args.db_user,
                "--addons-path",
                addons,
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(args.port),
                "--log-level",
                "warn",
            ],
            env=env,
            start_new_session=True,  # Ctrl-C reaches this script, which stops Odoo once
        )
        base = f"http://127.0.0.1:{args.port}"
        if not wait_http(f"{base}/web/login", odoo):
            fail_serve("Odoo did not start (see its log above)")
        print(f"\nOdoo:          {base}/odoo   database {db}, login {LOGIN[0]} / {LOGIN[1]}")
        print(f"Xero emulator: {emulator.url}   state in {record['emulator_state']}")
        print("Ctrl-C stops both.", flush=True)
        while odoo.poll() is None and emulator.proc.poll() is None:
            time.sleep(0.5)
        fail_serve("Odoo stopped" if odoo.poll() is not None else "the emulator stopped")
    except KeyboardInterrupt:
        print("\nserve: stopping Odoo and the emulator")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop short
        if odoo is not None and odoo.poll() is None:
            odoo.send_signal(signal.SIGTERM)
            try:
                odoo.wait(30)
            except subprocess.TimeoutExpired:
                odoo.kill()
        emulator.stop()  # a clean stop: the state file is written last
        shutil.rmtree(addons, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C before the servers started
        sys.exit(130)
