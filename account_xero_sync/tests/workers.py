"""Real cron workers for the tests: separate OS processes (``cron_worker.py``) running Odoo's
own ``ir.cron`` machinery on data the test commits for them, and the clean-up of that data."""

import json
import os
import subprocess
import sys
import tempfile
import time

from odoo import SUPERUSER_ID, api

from .common import client_for
from .cron_worker import base_options

WORKER = os.path.join(os.path.dirname(os.path.realpath(__file__)), "cron_worker.py")


class RealWorkers:
    """Mixin (with ``XeroCommon``: the emulator process is started for the class) for a
    ``TransactionCase`` whose own transaction writes nothing (the workers would
    wait for it): data is committed by :meth:`commit`, removed again after the test, and
    worked on by :meth:`run_workers`. ``tenants``: the organisations of the class, whose
    throttle ledger is cleared too."""

    tenants = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_emulator()

    def setUp(self):
        super().setUp()
        self.made = {}
        self.addCleanup(self.drop_committed)

    def dealer(self, env, name, tenant, customers=0, **vals):
        """A company with its connection to ``tenant`` (client credentials, USD: that
        organisation's own custom connection, or the OAuth app's client with ``auth_mode``
        ``oauth2``) and ``customers`` customers of its own: ``(company, connection)``."""
        company = env["res.company"].create({"name": name})
        client_id, client_secret = client_for(tenant, vals.get("auth_mode"))
        connection = env["xero.connection"].create(
            {
                "company_id": company.id,
                "auth_mode": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "api_url": self.emulator.url,
                "identity_url": self.emulator.url,
                "login_url": self.emulator.url,
                "tenant_id": tenant,
                "tenant_name": name,
                "org_currency": "USD",
                **vals,
            }
        )
        env["res.partner"].create(
            [
                {"name": f"{name} {i:03d}", "customer_rank": 1, "company_id": company.id}
                for i in range(customers)
            ]
        )
        return company, connection

    def commit(self, build):
        """Run ``build(env)`` in a transaction of its own, committed for the workers; what it
        returns (records) is remembered for the clean-up."""
        with self.registry.cursor() as cr:
            for record in build(api.Environment(cr, SUPERUSER_ID, {})):
                self.made.setdefault(record._name, []).extend(record.ids)

    def drop_committed(self):
        """Remove what :meth:`commit` made: the tasks and connections of its companies and
        connections, its invoices and partners (and its companies'), its crons, the ledger of
        ``tenants``, then its companies."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            companies = env["res.company"].browse(self.made.get("res.company", []))
            connections = env["xero.connection"].browse(self.made.get("xero.connection", []))
            dealers = companies | connections.exists().company_id
            env["xero.task"].search([("company_id", "in", dealers.ids)]).unlink()
            env["xero.connection"].search([("company_id", "in", dealers.ids)]).unlink()
            moves = env["account.move"].browse(self.made.get("account.move", [])).exists()
            if moves:  # an invoice in Xero cannot be deleted: forget the link first
                cr.execute(
                    "UPDATE account_move SET xero_invoice_id = NULL WHERE id IN %s",
                    [tuple(moves.ids)],
                )
                moves.invalidate_recordset(["xero_invoice_id"])
            moves.filtered(lambda m: m.state != "draft").button_draft()
            moves.with_context(force_delete=True).unlink()
            partners = env["res.partner"].browse(self.made.get("res.partner", [])).exists()
            (env["res.partner"].search([("company_id", "in", companies.ids)]) | partners).unlink()
            crons = env["ir.cron"].browse(self.made.get("ir.cron", [])).exists()
            actions = crons.ir_actions_server_id
            crons.unlink()
            actions.unlink()
            env["xero.rate.call"].search([("tenant_id", "in", list(self.tenants))]).unlink()
            companies.unlink()

    def read_back(self, model, ids):
        """``model`` records as committed by the workers: ``[{field: value}]``."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env[model].browse(ids).read()

    def start_workers(self, crons, count=2, timeout=180, barrier=None):
        """Start ``count`` cron workers on ``crons`` (ids; or one list of ids per worker) and
        release them together: ``[(process, log file)]``."""
        barrier = barrier or tempfile.mkdtemp()
        deadline = time.time() + timeout
        opts = base_options(self.env.cr.dbname, barrier, deadline)
        go = os.path.join(barrier, "go")
        if os.path.exists(go):
            os.unlink(go)
        first = len([n for n in os.listdir(barrier) if n.startswith("worker-")])
        per_worker = crons if isinstance(crons[0], list) else [crons] * count
        names = [str(first + n) for n in range(len(per_worker))]
        workers = []
        for name, own in zip(names, per_worker, strict=True):
            log = open(os.path.join(barrier, f"worker-{name}.log"), "w+")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, WORKER, json.dumps(dict(opts, name=name, crons=own))],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            workers.append((proc, log))
            self.addCleanup(lambda p=proc: p.poll() is None and p.kill())
        while not all(os.path.exists(os.path.join(barrier, f"ready-{n}")) for n in names):
            failed = [p for p, _log in workers if p.poll() is not None]
            if failed or time.time() > deadline:
                self.fail("a worker did not start: %s" % self.logs(workers))
            time.sleep(0.1)
        open(go, "w").close()
        self.barrier = barrier
        return workers

    def wait_workers(self, workers, timeout=180):
        """Wait for the workers to have nothing left to run; their logs (the last lines)."""
        for proc, _log in workers:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                for other, _other_log in workers:
                    other.kill()
                self.fail(
                    "a worker was still running after %s s: %s" % (timeout, self.logs(workers))
                )
        codes = [proc.returncode for proc, _log in workers]
        self.assertEqual(codes, [0] * len(workers), self.logs(workers))
        return self.logs(workers)

    def run_workers(self, crons, count=2, timeout=180):
        """Start ``count`` cron workers on ``crons``, release them together, wait for them."""
        return self.wait_workers(self.start_workers(crons, count, timeout), timeout + 10)

    def logs(self, workers):
        text = []
        for _proc, log in workers:
            log.seek(0)
            text.append(log.read()[-3000:])
        return "\n----\n".join(text)
