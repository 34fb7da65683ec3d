from . import (
    test_connection,
    test_credit_notes,
    test_customers,
    test_fetch_payments,
    test_invoices,
    test_payments,
    test_task,
    test_writeoffs,
)
