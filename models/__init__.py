# ruff: noqa: I001 - order matters: the mixin before the models that inherit it
from . import (
    xero_connection,
    xero_connection_mappings,
    xero_connection_tenant,
    xero_connection_token,
    xero_code,
    xero_mapping,
    xero_rate_call,
    xero_task,
    xero_task_line,
    xero_sync_mixin,
    res_partner,
    account_move,
    account_move_line,
    account_move_pdf,
    account_move_update,
)
