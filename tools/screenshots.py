#!/usr/bin/env python3
"""README screenshots from a real Odoo in headless Chromium (Playwright, Debian's chromium).

Usage: python3 tools/screenshots.py DATABASE [--out docs/screenshots]
DATABASE is one `make demo KEEP=1` left (its tasks fill the pages; the script changes it). The
script starts the bundled emulator (with the state the demo kept, see tools/serve.py) and an
Odoo server on loopback ports, points the database's Xero connection at that emulator, logs in
as admin and takes: the Tasks list, Customers to Send, the "Add bulk task" wizard with its
preview and a task form with its log lines; then stages (tools/screenshot_stage.py) and takes
the dealer dashboard at 1440 and 390 px, an invoice's Xero tab in each state (in Xero, draft
in Xero, voided, not in Xero, a Xero error, differs from Xero), a credit note's Xero tab, and
two guided fixes (a blocked line's Map now, a failed task's Run again and connection link).
With --journey, only a new connection's OAuth 2.0 journey instead (a company "Journey Dealer"
is added): the new form, the organisation to choose back from Xero's consent, Test connection.
Playwright comes with the set-up (requirements-test.txt); it drives Debian's /usr/bin/chromium,
nothing is downloaded.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "xero_emulator"))  # the package, installed or not
from demo import kept_record, save_kept_record  # noqa: E402
from screenshot_stage import Rpc, stage_guided_fixes, stage_invoice_states  # noqa: E402
from xero_emulator.process import EmulatorProcess, free_port, port_free  # noqa: E402


def wait_http(url, seconds=600):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def stage_customers(base, emulator_url):
    """Two new customers in Odoo; one of them is already a contact in Xero (same email)."""
    import json
    import xmlrpc.client

    body = json.dumps(
        {
            "organisations": [
                {
                    "tenant_id": "00000000-0000-4000-8000-000000000001",
                    "contacts": [
                        {"Name": "Harbour Telecom (Xero)", "EmailAddress": "ap@harbour.example"}
                    ],
                }
            ]
        }
    ).encode()
    urllib.request.urlopen(
        urllib.request.Request(
            f"{emulator_url}/_emulator/seed",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        ),
        timeout=10,
    )
    common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common")
    db = common.version() and xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/db").list()[0]
    uid = common.authenticate(db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object")
    # The dealer's own customers (a shared partner waits until the dealer has invoiced it).
    [user] = models.execute_kw(db, uid, "admin", "res.users", "read", [[uid], ["company_id"]])
    company_id = user["company_id"][0]
    models.execute_kw(
        db,
        uid,
        "admin",
        "res.partner",
        "create",
        [
            [
                {"customer_rank": 1, "company_id": company_id, **vals}
                for vals in (
                    {"name": "Harbour Telecom Ltd", "email": "ap@harbour.example"},
                    {"name": "Pukeko Power Co", "email": "billing@pukeko.example"},
                    {"name": " "},
                )
            ]
        ],
    )


JOURNEY_TENANT = "00000000-0000-4000-8000-0000000000a9"


def journey(page, base, emulator_url, out):
    """A Xero Manager's OAuth 2.0 journey (as admin, who also sets the Servers): a new
    connection (only Save until saved), Connect to Xero, the emulator's consent, back in Odoo
    with the organisation to choose, Test connection."""
    import json
    import xmlrpc.client

    body = {
        "organisations": [
            {"tenant_id": JOURNEY_TENANT, "name": "Journey Org", "base_currency": "USD"}
        ]
    }
    urllib.request.urlopen(
        urllib.request.Request(
            f"{emulator_url}/_emulator/seed",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        ),
        timeout=10,
    )
    common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common")
    db = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/db").list()[0]
    uid = common.authenticate(db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object")
    company = models.execute_kw(
        db, uid, "admin", "res.company", "create", [{"name": "Journey Dealer"}]
    )
    models.execute_kw(
        db, uid, "admin", "res.users", "write", [[uid], {"company_ids": [(4, company)]}]
    )
    page.goto(f"{base}/odoo/action-account_xero_sync.action_xero_connection?cids={company}")
    page.wait_for_selector(".o_list_view")
    page.click(".o_list_button_add")
    page.wait_for_selector(".o_form_view .o_field_widget[name='client_id'] input")
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "connection-new.png"))
    # The emulator's OAuth 2.0 app (its custom connections authorise nobody, as Xero's).
    page.fill(".o_field_widget[name='client_id'] input", "emulator-app")
    page.fill(".o_field_widget[name='client_secret'] input", "emulator-app-secret")
    page.click(".o_notebook a:has-text('Servers')")
    for name in ("api_url", "identity_url", "login_url"):
        page.fill(f".o_field_widget[name='{name}'] input", emulator_url)
    page.click(".o_form_button_save")
    page.click(".o_form_statusbar button[name='action_connect']")
    choice = ".o_field_widget[name='tenant_choice_ids'] .o_data_row:has-text('Journey Org')"
    page.wait_for_selector(choice)
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "connection-choose-organisation.png"))
    page.click(choice + " button[name='action_choose']")
    page.wait_for_selector(".o_field_widget[name='state']:has-text('Connected')")
    page.click(".o_form_statusbar button[name='action_test_connection']")
    page.wait_for_selector(".o_notification:has-text('Connected to Xero')")
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "connection-tested.png"))


def start_servers(args):
    """The emulator the demo kept (with the records the database links to) and an Odoo on
    loopback ports; ``(emulator, server, odoo_url)``."""
    odoo_port = free_port()
    addons = tempfile.mkdtemp(prefix="xero_shots_")
    os.symlink(os.path.join(ROOT, "account_xero_sync"), os.path.join(addons, "account_xero_sync"))
    env = dict(os.environ, TZ="UTC")
    record = kept_record(args.database)
    if record:
        port = record["emulator_port"] if port_free(record["emulator_port"]) else None
        emulator = EmulatorProcess(
            *record["emulator_args"], "--state", record["emulator_state"], port=port, env=env
        )
        save_kept_record(dict(record, emulator_port=emulator.port), last=False)
    else:
        emulator = EmulatorProcess("--base-currency", "USD", env=env)
    url = emulator.url
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", args.db_user, "-d", args.database, "-qc"]
        + [
            f"UPDATE xero_connection SET api_url='{url}', identity_url='{url}', "
            f"login_url='{url}'; UPDATE xero_connection_token SET expires_at=0"
        ],
        check=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "odoo", "-d", args.database, "--db_host", "127.0.0.1"]
        + ["--db_user", args.db_user, "--addons-path", addons, "--http-interface", "127.0.0.1"]
        + ["--http-port", str(odoo_port), "--workers", "0", "--max-cron-threads", "0"]
        # This checkout's views and assets, whatever checkout made the kept database.
        + ["--log-level", "warn", "-u", "account_xero_sync"],
        env=env,
    )
    return emulator, server, f"http://127.0.0.1:{odoo_port}"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def logged_in_page(browser, base, **context):
    """A page of a new browser context (1440x900 unless told), logged in as admin."""
    context.setdefault("viewport", {"width": 1440, "height": 900})
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(180_000)  # the first page builds Odoo's asset bundles
    page.goto(f"{base}/web/login")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "admin")
    page.click("button[type=submit]")
    page.wait_for_selector(".o_main_navbar")
    return page


def settle(page):
    """Let the view finish drawing, the mouse off any column border or tooltip."""
    page.mouse.move(5, 5)
    page.wait_for_selector(".o_action_manager .o_view_controller")
    time.sleep(1.0)
    page.wait_for_function("!document.querySelector('.o_loading_indicator')")
    page.evaluate("document.activeElement && document.activeElement.blur()")


def task_screens(page, base, emulator_url, out):
    """The Tasks list, Customers to Send, the bulk task wizard's preview and a task's log."""
    page.goto(f"{base}/odoo/action-account_xero_sync.action_xero_task")
    page.wait_for_selector(".o_list_view .o_data_row")
    page.screenshot(path=os.path.join(out, "tasks-list.png"))
    # The wizard, with a preview: new customers, one already in Xero.
    stage_customers(base, emulator_url)
    page.goto(f"{base}/odoo/action-account_xero_sync.action_xero_customers_to_send")
    page.wait_for_selector(".o_list_view .o_data_row")
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "customers-to-send.png"))
    page.goto(f"{base}/odoo/action-account_xero_sync.action_xero_task")
    page.wait_for_selector(".o_list_view .o_data_row")
    page.click("button:has-text('Add bulk task')")
    page.wait_for_selector(".modal .o_form_view")
    page.select_option(".modal div[name=task_type] select", label="Send New Customers")
    page.click(".modal button:has-text('Preview')")
    page.wait_for_selector(".modal .o_field_one2many .o_data_row")
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "bulk-task-wizard.png"))
    # Run it now: the task form with its log (created, linked, blocked).
    page.click(".modal button:has-text('Run now')")
    page.wait_for_selector(".o_form_view .o_field_xero_task_state")  # the task, not the wizard
    page.wait_for_selector(".o_form_view .o_field_one2many .o_data_row")
    page.mouse.move(5, 300)  # off the log's column borders (a resize handle fades it)
    time.sleep(0.5)
    page.screenshot(path=os.path.join(out, "task-form.png"), full_page=True)


def dashboard_screens(browser, page, base, out):
    """The dealer dashboard on a desktop (1440 px) and on a phone (390 px)."""
    url = f"{base}/odoo/action-account_xero_sync.action_xero_dashboard"
    page.goto(url)
    page.wait_for_selector(".o_xero_dashboard .o_kanban_record .o_xero_dash_counts")
    settle(page)
    page.screenshot(path=os.path.join(out, "dashboard.png"))
    phone = logged_in_page(
        browser, base, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone.goto(url)
    phone.wait_for_selector(".o_xero_dashboard .o_kanban_record .o_xero_dash_counts")
    settle(phone)
    phone.screenshot(path=os.path.join(out, "dashboard-phone.png"))
    phone.context.close()


#: The Xero tab of a document in each state: (file, state staged, Odoo action of the form).
XERO_TABS = (
    ("invoice-in-xero.png", "in_xero", "account.action_move_out_invoice_type"),
    ("invoice-draft-in-xero.png", "draft", "account.action_move_out_invoice_type"),
    ("invoice-voided.png", "voided", "account.action_move_out_invoice_type"),
    ("invoice-not-in-xero.png", "not_sent", "account.action_move_out_invoice_type"),
    ("invoice-error.png", "error", "account.action_move_out_invoice_type"),
    ("invoice-differs.png", "differs", "account.action_move_out_invoice_type"),
    ("credit-note-xero-tab.png", "credit_note", "account.action_move_out_refund_type"),
)


def xero_tab_screens(page, base, out, moves):
    """Each document's form on its Xero tab (the form's sheet only)."""
    for name, state, action in XERO_TABS:
        page.goto(f"{base}/odoo/action-{action}/{moves[state]}")
        page.click(".o_notebook .nav-link:has-text('Xero')")
        page.wait_for_selector(".o_notebook .tab-pane.active .o_field_widget[name=xero_sync_state]")
        settle(page)
        page.locator(".o_form_view .o_form_sheet_bg").screenshot(path=os.path.join(out, name))


def guided_fix_screens(page, base, out, tasks):
    """A blocked line's Map now, and a failed task's Run again with its connection link."""
    for name, task in (
        ("fix-map-now.png", tasks["blocked"]),
        ("fix-run-again.png", tasks["failed"]),
    ):
        page.goto(f"{base}/odoo/action-account_xero_sync.action_xero_task/{task}")
        page.wait_for_selector(".o_form_view .o_field_xero_task_state")
        settle(page)
        page.screenshot(path=os.path.join(out, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "root"))
    parser.add_argument(
        "--journey",
        action="store_true",
        help="only the OAuth 2.0 journey of a new connection (three pictures)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    os.makedirs(args.out, exist_ok=True)
    emulator, server, base = start_servers(args)
    try:
        wait_http(f"{base}/web/login")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = logged_in_page(browser, base)
            if args.journey:
                journey(page, base, emulator.url, args.out)
            else:
                task_screens(page, base, emulator.url, args.out)
                rpc = Rpc(base, args.database)
                tasks = stage_guided_fixes(rpc)
                moves = stage_invoice_states(rpc, emulator.url)
                dashboard_screens(browser, page, base, args.out)
                xero_tab_screens(page, base, args.out, moves)
                guided_fix_screens(page, base, args.out, tasks)
            browser.close()
    finally:
        server.terminate()
        emulator.stop()
        server.wait(20)
    print("screenshots in", args.out)


if __name__ == "__main__":
    main()
