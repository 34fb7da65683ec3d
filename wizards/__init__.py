from . import xero_bulk_task_wizard
