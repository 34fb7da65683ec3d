from . import xero_bulk_task_wizard, xero_to_send_screens
