import os
import time
from unittest.mock import patch

from xero_emulator.control import EmulatorControl
from xero_emulator.process import EmulatorProcess

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.account_xero_sync.handlers import org_index
from odoo.addons.account_xero_sync.xero_api.throttle import VirtualClock

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CLIENT_ID = "emulator-client"  # the custom connection of the emulator's first organisation
CLIENT_SECRET = "emulator-secret"
APP_CLIENT_ID = "emulator-app"  # the emulator's OAuth 2.0 app (authorization code)
APP_CLIENT_SECRET = "emulator-app-secret"
DEMO_TENANT = "00000000-0000-4000-8000-000000000001"
OTHER_TENANT = "00000000-0000-4000-8000-000000000002"  # a second dealer's organisation
INVOICE_DATE = "2026-10-31"
PAYMENT_DATE = "2026-11-05"


def client_for(tenant, auth_mode=None):
    """``(client id, secret)`` of a connection to the emulator's organisation ``tenant``: the
    OAuth app's for ``oauth2``, else that organisation's own custom connection (Xero sells one
    per organisation; the emulator names it ``emulator-client-<tenant id>``)."""
    if auth_mode == "oauth2":
        return APP_CLIENT_ID, APP_CLIENT_SECRET
    if not tenant or tenant == DEMO_TENANT:
        return CLIENT_ID, CLIENT_SECRET
    return "emulator-client-" + tenant, "emulator-secret-" + tenant


class WorkerKilled(BaseException):
    """Stands for the worker process dying (between two Xero calls, or after a commit)."""


class Emulator:
    """The bundled Xero emulator as a real process on 127.0.0.1, and its control API."""

    def __init__(self, *args):
        self.process = EmulatorProcess(
            "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, *args
        )
        self.port, self.url = self.process.port, self.process.url
        self.api = EmulatorControl(self.url)

    def stop(self):
        """Stop the emulator process."""
        self.process.stop()

    def control(self, method, path, body=None):
        """Call ``/_emulator/<path>``; return the decoded JSON answer (or None)."""
        return self.api.call(method, path, body)

    def reset(self, seed=None):
        """A new organisation under the same tenant ids: what Odoo's workers remember of the
        old one's contacts and invoices is dropped with it."""
        org_index.forget()
        return self.api.reset(seed)

    def requests(self, method=None, path=None):
        """The emulator's request log, optionally filtered by method and path prefix."""
        return [
            r
            for r in self.api.requests()
            if (not method or r["method"] == method) and (not path or r["path"].startswith(path))
        ]

    def clear_requests(self):
        self.api.clear_requests()

    def fault(self, **fault):
        self.control("POST", "faults", fault)

    def state(self, tenant=DEMO_TENANT):
        state = self.api.state()
        orgs = state.get("organisations", state)
        if isinstance(orgs, dict):
            return orgs[tenant]
        return next(o for o in orgs if o.get("tenant_id") == tenant)


class XeroCommon:
    """Mixin for test classes: an emulator process and a connected connection per company."""

    emulator_args = ()

    def run_until_killed(self, run, after_commits=2):
        """Run ``run()`` as a worker that dies right after its ``after_commits``-th committed
        batch (the commits stay: not assertRaises, whose savepoint would undo them)."""
        task_class = type(self.env["xero.task"])
        original, commits = task_class._commit_batch, {"n": 0}

        def commit_then_die(this):
            original(this)
            commits["n"] += 1
            if commits["n"] == after_commits:
                raise WorkerKilled()

        with patch.object(task_class, "_commit_batch", commit_then_die):
            try:
                run()
            except WorkerKilled:
                return
        self.fail("the worker did not die")

    @classmethod
    def start_emulator(cls):
        cls.emulator = Emulator(*cls.emulator_args)
        cls.addClassCleanup(cls.emulator.stop)

    @classmethod
    def make_connection(cls, company, tenant=DEMO_TENANT, **vals):
        """A connection of ``company`` to ``tenant``, as production has it: a custom connection
        with that organisation's own client (one organisation each), or with ``auth_mode``
        ``oauth2`` the OAuth app's."""
        client_id, client_secret = client_for(tenant, vals.get("auth_mode"))
        return (
            cls.env["xero.connection"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "auth_mode": "client_credentials",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "api_url": cls.emulator.url,
                    "identity_url": cls.emulator.url,
                    "login_url": cls.emulator.url,
                    "tenant_id": tenant,
                    "tenant_name": "Demo Company",
                    **vals,
                }
            )
        )

    def seed_org(self, tenant=DEMO_TENANT, **records):
        """Add records (``contacts=[...]``, ``accounts=[...]``, ``tax_rates=[...]``...) to an
        organisation of the emulator, in Xero's shape."""
        self.emulator.control("POST", "seed", {"organisations": [{"tenant_id": tenant, **records}]})

    @classmethod
    def run_xero_task(cls, company, task_type, records=None):
        """Queue and run a task now; retries and throttle waits take no real time."""
        task = (
            cls.env["xero.task"]
            .with_context(xero_clock=VirtualClock(time.time()))
            ._queue(company, task_type, records)
        )
        task.action_run()
        return task

    def run_runner(self, connection, limit=100):
        """Run the dealer's task runner (what its cron calls) until it has nothing left to run;
        retries and throttle waits take no real time."""
        Task = self.env["xero.task"].with_context(xero_clock=VirtualClock(time.time()))
        company = connection.company_id
        for _i in range(limit):
            if not Task.search_count(Task._runnable_domain(company)):
                return
            Task._cron_run_tasks(connection.id)
        raise AssertionError("the runner of %s did not finish" % company.name)


class XeroTransactionCase(XeroCommon, TransactionCase):
    """A New Zealand dealer (the current company, in NZD) and the emulator's NZD organisation:
    an organisation in another base currency is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # In SQL: the ORM's write of a company's currency also writes res_partner rows, which
        # the second database connections of test_task then wait for until this test ends.
        nzd = cls.env.ref("base.NZD")
        cls.env.cr.execute("UPDATE res_currency SET active = TRUE WHERE id = %s", [nzd.id])
        cls.env.cr.execute(
            "UPDATE res_company SET currency_id = %s WHERE id = %s", [nzd.id, cls.env.company.id]
        )
        cls.env.invalidate_all()
        cls.start_emulator()

    def setUp(self):
        super().setUp()
        self.emulator.reset()


class XeroAccountingCommon(XeroCommon):
    """With ``AccountTestInvoicingCommon``: a dealer with a chart of accounts, connected to the
    emulator's organisation (same base currency) with its accounts, taxes and bank mapped.

    ``seed`` is loaded before each test; ``default_tax_mapping`` adds a default tax row (ticked
    "Default for unmapped", as a manager would on purpose).
    """

    default_tax_mapping = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The accountant of the test class also manages Xero.
        cls.env.user.groups_id |= cls.env.ref("account_xero_sync.group_xero_manager")
        cls.start_emulator()
        cls.company = cls.env.company
        cls.seed = {
            "organisations": [
                {
                    "tenant_id": DEMO_TENANT,
                    "name": "Demo Company",
                    "base_currency": cls.company.currency_id.name,
                }
            ]
        }
        mappings = [
            *cls.dealer_mappings(cls.company_data),
            Command.create({"kind": "tax", "tax_id": cls.tax_sale_a.id, "xero_code": "OUTPUT2"}),
        ]
        if cls.default_tax_mapping:
            mappings.append(
                Command.create({"kind": "tax", "is_default": True, "xero_code": "OUTPUT2"})
            )
        cls.connection = cls.make_connection(cls.company, mapping_ids=mappings)
        cls.connection.org_currency = cls.company.currency_id.name
        cls.partner_a.customer_rank = 1

    @classmethod
    def dealer_mappings(cls, company_data):
        """What a manager maps for a dealer: its sales income accounts to Xero's 200 Sales, its
        bank journal to Xero's 090 (``company_data`` of ``AccountTestInvoicingCommon``)."""
        income = company_data["default_account_revenue"] | (
            company_data["default_journal_sale"].default_account_id
        )
        return [
            *(
                Command.create({"kind": "account", "account_id": account.id, "xero_code": "200"})
                for account in income
            ),
            Command.create(
                {
                    "kind": "journal",
                    "journal_id": company_data["default_journal_bank"].id,
                    "xero_code": "090",
                }
            ),
        ]

    @classmethod
    def setup_dealer(cls, name, tenant, **vals):
        """A second dealer with its chart, its own organisation and a connection mapped as a
        manager would (its sales account, bank journal and sales tax): its ``company_data``."""
        dealer = cls.setup_other_company(name=name)
        company = dealer["company"]
        cls.env.user.company_ids |= company
        cls.seed["organisations"].append(
            {"tenant_id": tenant, "name": f"{name} Org", "base_currency": company.currency_id.name}
        )
        tax = dealer["default_tax_sale"]
        dealer["connection"] = cls.make_connection(
            company,
            tenant=tenant,
            tenant_name=f"{name} Org",
            mapping_ids=[
                *cls.dealer_mappings(dealer),
                Command.create({"kind": "tax", "tax_id": tax.id, "xero_code": "OUTPUT2"}),
            ],
            **vals,
        )
        return dealer

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.control("POST", "seed", self.seed)


class XeroSecondDealerMixin:
    """Before a class based on :class:`XeroAccountingCommon` (and ``AccountTestInvoicingCommon``):
    dealer A (``company``) and dealer B (``dealer_b``, its ``company_data``; ``company_b``,
    ``connection_b``), with its own chart and organisation (``OTHER_TENANT``), mapped as a
    manager would; ``dealer_b_values``: more values of B's connection."""

    dealer_b_values = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dealer_b = cls.setup_dealer("Dealer B", OTHER_TENANT, **cls.dealer_b_values)
        cls.company_b = cls.dealer_b["company"]
        cls.connection_b = cls.dealer_b["connection"]

    def sell(self, partner, company=None, move_type="out_invoice"):
        """A posted invoice (or credit note) of 100 of ``company`` (default: dealer A) with
        its mapped sales tax, dated ``INVOICE_DATE``."""
        data = self.dealer_b if company == self.company_b else self.company_data
        return self.init_invoice(
            move_type,
            partner=partner,
            amounts=[100.0],
            taxes=self.tax_sale_a if data is self.company_data else data["default_tax_sale"],
            post=True,
            invoice_date=fields.Date.from_string(INVOICE_DATE),
            company=data["company"],
        )


class XeroListsMixin:
    """Before a class based on :class:`XeroAccountingCommon` (and ``AccountTestInvoicingCommon``)
    that opens the to-send lists and the bulk wizard: ``accountant``, an accountant who is a Xero
    User (login ``accountant_login``); ``Wizard``, the bulk wizard whose retries and waits take
    no real time."""

    accountant_login = "xero_lists_accountant"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            cls.accountant_login,
            groups="account.group_account_invoice,account_xero_sync.group_xero_user",
            company_ids=[cls.company.id],
            company_id=cls.company.id,
        )

    def setUp(self):
        super().setUp()
        self.Wizard = self.env["xero.bulk.task.wizard"].with_context(
            xero_clock=VirtualClock(time.time())
        )

    def xero_calls(self):
        """The calls the emulator has logged on Xero's API since it was last cleared."""
        return self.emulator.requests(path="/api.xro")

    def sale(self, partner=None, taxes=None, currency=None):
        """A posted invoice of 100 (default: ``partner_a``, the mapped sales tax)."""
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.partner_a,
            amounts=[100.0],
            taxes=taxes or self.tax_sale_a,
            currency=currency,
            post=True,
        )
