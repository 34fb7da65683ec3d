from . import (
    xero_connection,
    xero_connection_tenant,
    xero_connection_token,
    xero_mapping,
    xero_rate_call,
    xero_task,
    xero_task_line,
    xero_sync_mixin,
    res_partner,
)
