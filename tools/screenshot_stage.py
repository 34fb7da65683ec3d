"""What tools/screenshots.py stages on the kept demo database before it takes its pictures.

Every state is reached the way a user reaches it, through the addon's own actions over
JSON-RPC (as admin) and the bundled emulator's control API for what happens in Xero itself:
an invoice sent (in Xero, with Xero's status and amount due), one sent as a draft, one
cancelled and so voided in Xero, one not sent, one Xero refuses (an error with its message),
one paid in part in Xero and then compared (differs from Xero); a task blocked on a tax with no
Xero tax type (Map now) and one that failed on a wrong client secret (Run again, Open the
connection).
"""

import json
import time
import urllib.request

TENANT = "00000000-0000-4000-8000-000000000001"


def post_json(url, payload, timeout=120):
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Rpc:
    """Odoo's external API over JSON-RPC (``None`` answers are fine, unlike XML-RPC)."""

    def __init__(self, base, db, login="admin", password="admin"):
        self.base, self.db, self.password = base, db, password
        self.uid = self._call("common", "login", db, login, password)

    def _call(self, service, method, *args):
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
        }
        answer = post_json(f"{self.base}/jsonrpc", body)
        if answer.get("error"):
            data = answer["error"].get("data") or {}
            raise RuntimeError(f"{method}: {data.get('message') or answer['error']}")
        return answer.get("result")  # absent when the method returned None

    def __call__(self, model, method, *args, **kwargs):
        return self._call(
            "object", "execute_kw", self.db, self.uid, self.password, model, method, args, kwargs
        )


def new_invoice(rpc, partner_id, price, tax_ids, move_type="out_invoice", post=True):
    """A customer invoice of one line, posted."""
    [move_id] = rpc(
        "account.move",
        "create",
        [
            {
                "move_type": move_type,
                "partner_id": partner_id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Fibre broadband, December",
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [(6, 0, tax_ids)],
                        },
                    )
                ],
            }
        ],
    )
    if post:
        rpc("account.move", "action_post", [move_id])
    return move_id


def run_bulk_task(rpc, company_id, task_type):
    """Add bulk task > Queue, then run it to its end now; the task's id."""
    [wizard] = rpc(
        "xero.bulk.task.wizard", "create", [{"company_id": company_id, "task_type": task_type}]
    )
    action = rpc("xero.bulk.task.wizard", "action_queue", [wizard])
    rpc("xero.task", "action_run", [action["res_id"]])
    return action["res_id"]


def demo_refs(rpc):
    """The dealer, its connection, customer, sales tax and income account mapping."""
    [connection] = rpc("xero.connection", "search_read", [], ["company_id"])
    company_id = connection["company_id"][0]
    [partner] = rpc("res.partner", "search_read", [("name", "=", "Kiwi Fibre Ltd")], ["id"])
    [tax] = rpc("xero.mapping", "search_read", [("kind", "=", "tax")], ["tax_id"])
    [account] = rpc("xero.mapping", "search_read", [("kind", "=", "account")], ["xero_code"])
    return {
        "connection": connection["id"],
        "company": company_id,
        "partner": partner["id"],
        "tax": tax["tax_id"][0],
        "account_mapping": account,
    }


def stage_invoice_states(rpc, emulator_url):
    """One invoice in each Xero status a user meets; ``{state: move id}``."""
    refs = demo_refs(rpc)
    send = lambda move_id: rpc("account.move", "action_xero_send", [move_id])  # noqa: E731
    invoice = lambda price: new_invoice(rpc, refs["partner"], price, [refs["tax"]])  # noqa: E731
    moves = {"in_xero": invoice(460.0)}
    send(moves["in_xero"])
    # The connection sends invoices as drafts for a moment (Sending > Invoice status in Xero).
    rpc("xero.connection", "write", [refs["connection"]], {"invoice_status": "DRAFT"})
    moves["draft"] = invoice(89.5)
    send(moves["draft"])
    rpc("xero.connection", "write", [refs["connection"]], {"invoice_status": "AUTHORISED"})
    moves["voided"] = invoice(240.0)
    send(moves["voided"])
    rpc("account.move", "button_draft", [moves["voided"]])
    rpc("account.move", "button_cancel", [moves["voided"]])
    send(moves["voided"])
    moves["not_sent"] = invoice(315.0)
    # Xero refuses an account code it does not have (a mapping gone stale in Xero).
    mapping = refs["account_mapping"]
    rpc("xero.mapping", "write", [mapping["id"]], {"xero_code": "4999"})
    moves["error"] = invoice(1200.0)
    send(moves["error"])
    rpc("xero.mapping", "write", [mapping["id"]], {"xero_code": mapping["xero_code"]})
    # Paid in part in Xero only, then Compare with Xero: the amounts due differ.
    moves["differs"] = invoice(520.0)
    send(moves["differs"])
    pay_in_xero(rpc, emulator_url, moves["differs"], 200.0)
    run_bulk_task(rpc, refs["company"], "compare_with_xero")
    [refund] = rpc("account.move", "search", [("move_type", "=", "out_refund")], limit=1)
    moves["credit_note"] = refund
    return moves


def pay_in_xero(rpc, emulator_url, move_id, amount):
    """A payment entered in Xero itself (the bank account 090), not in Odoo."""
    [move] = rpc("account.move", "read", [move_id], ["xero_invoice_id"])
    payment = {
        "Invoice": {"InvoiceID": move["xero_invoice_id"]},
        "Account": {"Code": "090"},
        "Amount": amount,
        "Date": time.strftime("%Y-%m-%d"),
    }
    post_json(
        f"{emulator_url}/_emulator/bank_payments", {"tenant_id": TENANT, "payments": [payment]}
    )


def stage_guided_fixes(rpc):
    """A task blocked on a tax Xero has no type for (its line offers Map now), and a task that
    failed on a wrong client secret (Run again, Open the connection); their ids."""
    refs = demo_refs(rpc)
    [levy] = rpc(
        "account.tax",
        "create",
        [
            {
                "name": "5% Levy",
                "amount": 5.0,
                "type_tax_use": "sale",
                "company_id": refs["company"],
            }
        ],
    )
    new_invoice(rpc, refs["partner"], 99.0, [levy])
    blocked = run_bulk_task(rpc, refs["company"], "send_new_invoices")
    connection = refs["connection"]
    rpc("xero.connection", "write", [connection], {"client_secret": "not-the-secret"})
    # Compare with Xero reads Xero whatever a preview checked a moment ago: it meets the secret.
    failed = run_bulk_task(rpc, refs["company"], "compare_with_xero")
    rpc("xero.connection", "write", [connection], {"client_secret": "emulator-secret"})
    rpc("xero.connection", "action_test_connection", [connection])  # connected again
    return {"blocked": blocked, "failed": failed}
