from . import (
    test_connection,
    test_credit_notes,
    test_customers,
    test_dealer_guards,
    test_fetch_payments,
    test_invoice_money,
    test_invoices,
    test_mapping_guards,
    test_parallel,
    test_payments,
    test_task,
    test_writeoffs,
)
