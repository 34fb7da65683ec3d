# Run inside `odoo shell` by tools/demo.py (`env` is the shell's): a dealer's month with Xero.
# ruff: noqa: F821
import os
import traceback
from datetime import date

import cycle_common
from xero_emulator.control import EmulatorControl

from odoo import Command

try:
    url = os.environ["XERO_EMULATOR_URL"]
    company = env.company
    print(f"Dealer: {company.name} ({company.currency_id.name})")
    conn = cycle_common.emulator_connection(env, company)
    result = conn.action_test_connection()["params"]
    print(f"Test connection: {result['title']}: {result['message']}")
    print(f"Connection state: {conn.state}")
    if conn.state != "connected":
        raise SystemExit("not connected")
    result = conn.action_load_mappings_from_xero()["params"]
    print(f"Load from Xero: {result['message']}")
    # What the manager then maps by hand: the sales income account (its code is not one of
    # Xero's) to 200 Sales, and the bank journal to Xero's 090. No catch-all default.
    bank = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
    )
    sales = (
        env["account.journal"]
        .search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        .default_account_id
    )
    if sales not in conn.mapping_ids.account_id:
        conn.mapping_ids = [
            Command.create({"kind": "account", "account_id": sales.id, "xero_code": "200"})
        ]
    conn.mapping_ids = [
        Command.create({"kind": "journal", "journal_id": bank.id, "xero_code": "090"})
    ]
    print(
        "Mappings: "
        + ", ".join(
            f"{m.kind} {m.account_id.code or m.tax_id.name or m.journal_id.name} -> {m.xero_code}"
            if not m.is_default
            else f"{m.kind} default for unmapped -> {m.xero_code}"
            for m in conn.mapping_ids
        )
    )

    nz = env.ref("base.nz")
    customers = env["res.partner"].create(
        [
            {
                "name": "Kiwi Fibre Ltd",
                "is_company": True,
                "email": "accounts@kiwifibre.example",
                "phone": "09 123 4567",
                "country_id": nz.id,
                "customer_rank": 1,
            },
            {
                "name": "Aroha Ngata",
                "email": "aroha@example.nz",
                "mobile": "021 123 4567",
                "country_id": nz.id,
                "ref": "C0007",
                "customer_rank": 1,
            },
            {
                "name": "Tui Telecom Reseller",
                "is_company": True,
                "email": "billing@tui.example",
                "customer_rank": 1,
            },
        ]
    )
    tax = env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale")], limit=1
    )
    invoices = env["account.move"]
    for partner, amounts in zip(
        customers, ([49.95, 12.5], [89.0], [120.0, 30.0, 0.99]), strict=True
    ):
        invoices |= env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": f"Monthly service {i + 1}",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                    for i, amount in enumerate(amounts)
                ],
            }
        )
    invoices.action_post()
    print(f"Billing run: {len(invoices)} invoices, {sum(invoices.mapped('amount_total')):.2f}")

    def run(task_type):
        task = env["xero.task"]._queue(company, task_type)
        task.action_run()
        print(f"[{task.state}] {task.summary}")
        for line in task.line_ids.filtered(lambda ln: ln.outcome in ("error", "blocked")):
            print(f"    {line.outcome}: {line.res_name}: {line.message}")
        return task

    run("send_new_customers")
    run("send_new_invoices")
    run("send_invoice_pdfs")
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoices[0].ids
    ).create({"payment_date": date.today(), "journal_id": bank.id})._create_payments()
    # A credit for dropped calls on the third invoice: posted, Odoo allocates it to the invoice.
    credit = invoices[2]._reverse_moves([{"date": date.today(), "ref": "Dropped calls"}])
    credit.invoice_line_ids[1:].unlink()
    credit.invoice_line_ids.price_unit = 20.0
    credit.action_post()
    run("send_new_credit_notes")
    run("send_new_payments")
    state = EmulatorControl(url).state()["organisations"]
    orgs = state.values() if isinstance(state, dict) else state
    xero_invoice = next(
        i for org in orgs for i in org["invoices"] if i["InvoiceID"] == invoices[2].xero_invoice_id
    )
    print(
        f"{invoices[2].name} after the credit note {credit.name}: amount due in Odoo "
        f"{invoices[2].amount_residual:.2f}, in Xero {float(xero_invoice['AmountDue']):.2f}"
    )
    # A payment entered in Xero, as a bank feed would.
    EmulatorControl(url).bank_payments(
        [
            {
                "Invoice": {"InvoiceID": invoices[1].xero_invoice_id},
                "Account": {"Code": "090"},
                "Date": date.today().isoformat(),
                "Amount": invoices[1].amount_total,
                "Reference": "Bank feed",
            }
        ],
        tenant_id=conn.tenant_id,
    )
    run("fetch_new_payments")
    print(f"{invoices[1].name}: payment state in Odoo after the fetch: {invoices[1].payment_state}")
    env.cr.commit()
    print("DEMO OK")
except BaseException:
    traceback.print_exc()
    print("DEMO FAILED")
