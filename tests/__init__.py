from . import (
    test_connection,
    test_customers,
    test_fetch_payments,
    test_invoice_money,
    test_invoices,
    test_payments,
    test_task,
)
