"""A real Odoo HTTP server for the tests: a separate OS process on the test database, so each
request is a transaction of its own, committed or rolled back as in production (the test
server of ``HttpCase`` shares the test's cursor, and so hides what two transactions do)."""

import os
import subprocess
import sys
import tempfile
import time

import requests
from xero_emulator.process import free_port

from odoo.tools import config


class OdooServer:
    """``odoo`` serving ``dbname`` on a free loopback port; :meth:`call_button` and
    :meth:`call_kw` as the web client makes them, for the user who :meth:`login`."""

    def __init__(self, dbname):
        port = free_port()
        self.dbname = dbname
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open for the process)
            "w+", prefix="odoo-server-", suffix=".log"
        )
        args = [sys.executable, "-m", "odoo", "-d", dbname, "--addons-path", config["addons_path"]]
        for key in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(key):
                args += ["--" + key, str(config[key])]
        args += [
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(port),
            "--workers",
            "0",
            "--max-cron-threads",
            "0",
            "--log-level",
            "info",
        ]
        self.proc = subprocess.Popen(
            args, stdout=self.log, stderr=subprocess.STDOUT, env=dict(os.environ, TZ="UTC")
        )
        self.session = requests.Session()
        deadline = time.time() + 120
        while True:
            try:
                self.session.get(self.url + "/web/login", timeout=5)
                break
            except requests.ConnectionError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the Odoo server did not start:\n" + self.output()) from None
                time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def output(self):
        """What the server logged so far."""
        self.log.flush()
        with open(self.log.name) as log:
            return log.read()

    def errors(self):
        """The server's log lines at ERROR or CRITICAL (a failed request's is one)."""
        return [
            line for line in self.output().splitlines() if " ERROR " in line or " CRITICAL " in line
        ]

    def json(self, path, params, timeout=60):
        answer = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=timeout,
        ).json()
        if "error" in answer:
            raise AssertionError("%s failed: %s" % (path, answer["error"]))
        return answer["result"]

    def login(self, login, password):
        return self.json(
            "/web/session/authenticate",
            {"db": self.dbname, "login": login, "password": password},
        )

    def call_button(self, model, method, ids, context=None):
        return self.json(
            "/web/dataset/call_button",
            {"model": model, "method": method, "args": [ids], "kwargs": {"context": context or {}}},
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.json(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )
