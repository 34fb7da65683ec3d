# ruff: noqa: I001 - order matters: the base before the handlers that inherit it
from . import (
    base,
    reader,
    customers,
    customer_writes,
    invoices,
    invoice_reads,
    invoice_updates,
    credit_notes,
    invoice_pdfs,
    payments,
    payment_calls,
    credit_allocations,
    payment_fetch,
    link_existing,
    compare,
)
