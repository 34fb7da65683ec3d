from . import (
    test_connection,
    test_customers,
    test_invoices,
    test_task,
)
