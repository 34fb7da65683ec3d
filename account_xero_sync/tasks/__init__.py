# ruff: noqa: I001 - order matters: the task before what extends it
from . import (
    xero_task,
    xero_task_line,
    xero_task_runner,
    xero_task_notes,
    xero_connection_runner,
    xero_connection_dashboard,
)
