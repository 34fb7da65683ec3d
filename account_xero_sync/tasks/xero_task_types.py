"""The one place task types are registered.

A task type is a code (``xero.task.task_type``), its label, the handler model that does its
work (``xero.task.handler`` and its three entry points), the mode the handler is given, whether
it is a bulk task (offered in *Add bulk task*), the type a *Retry failed records* of it
queues, and whether it is urgent. Adding a task type: a handler file in ``handlers/``, a line
here, its view entry.

**Urgent before background.** A dealer's runner serves its urgent tasks first (sends, one-off
sends, Fetch New Payments: what the accountant waits for, and the payments coming back), in the
order they were queued, so sends that depend on each other keep their order (customers before
their invoices, invoices before their payments). Background tasks (Send Invoice PDFs, Compare
with Xero, Link Existing Xero Records: long, and nobody waits on them) run when no urgent task
waits: the runner works a step at a time, so a background task gives way at its next step to
an urgent task queued meanwhile, and goes on where it was once that one is done.
"""

from typing import NamedTuple


class TaskType(NamedTuple):
    label: str
    handler: str
    mode: str
    bulk: bool = False
    retry: str | None = None
    urgent: bool = True


TASK_TYPES = {
    "send_new_customers": TaskType(
        "Send New Customers", "xero.handler.customers", "new", True, "send_customer"
    ),
    "send_all_customers": TaskType(
        "Send All Customers", "xero.handler.customers", "all", True, "send_customer"
    ),
    "send_customer": TaskType("Send Customer", "xero.handler.customers", "one_off"),
    "send_new_invoices": TaskType(
        "Send New Invoices", "xero.handler.invoices", "new", True, "send_invoice"
    ),
    "send_invoice": TaskType("Send Invoice", "xero.handler.invoices", "one_off"),
    "send_new_credit_notes": TaskType(
        "Send New Credit Notes", "xero.handler.credit_notes", "new", True, "send_credit_note"
    ),
    "send_credit_note": TaskType("Send Credit Note", "xero.handler.credit_notes", "one_off"),
    "send_new_payments": TaskType(
        "Send New Payments", "xero.handler.payments", "new", True, "send_payment"
    ),
    "send_payment": TaskType("Send Payment", "xero.handler.payments", "one_off"),
    "fetch_new_payments": TaskType(
        "Fetch New Payments", "xero.handler.payment.fetch", "fetch", True, "fetch_new_payments"
    ),
    "send_invoice_pdfs": TaskType(
        "Send Invoice PDFs",
        "xero.handler.invoice.pdfs",
        "pdf",
        True,
        "send_invoice_pdfs",
        urgent=False,
    ),
    "link_existing_records": TaskType(
        "Link Existing Xero Records", "xero.handler.link_existing", "link", True, urgent=False
    ),
    "compare_with_xero": TaskType(
        "Compare with Xero", "xero.handler.compare", "compare", True, urgent=False
    ),
}
# Add bulk task offers these, in this order.
BULK_TYPES = [code for code, task_type in TASK_TYPES.items() if task_type.bulk]
