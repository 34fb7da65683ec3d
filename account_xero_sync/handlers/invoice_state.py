"""Xero's current state of the invoices a Send New Payments task pays, read once per task.

Each payment is decided on its invoice's status, amount due and payments in Xero. Read by
``IDs`` that costs a call per 38 invoices (Xero's query-string limit), two per batch of 50. A
task that pays more invoices than one such call holds reads instead, once, the organisation's
sales invoices modified since the oldest of them was last sent (1,000 a page,
``If-Modified-Since``), when that takes fewer calls than reading them by ids; keeps them in
this process for the task; and brings them up to date by one read of what changed since the
newest one seen (Xero's own clock, so no skew) when that read is older than a minute, or at
once for a batch that is tried again. An invoice this read does not hold (not modified since
then, or paid by this task since: it is dropped) is read by ids as before.
"""

import math
import time
from datetime import timedelta, timezone

from ..xero_api import wire
from .org_reads import read_pages

FRESH_FOR = 60  # seconds a read is trusted before what changed is read again
MARGIN = timedelta(minutes=5)  # Xero stamps an invoice before Odoo records when it was sent
IDS_PER_CALL = 38  # invoice ids that fit one ``IDs`` query under Xero's limit
SALES = 'Type=="ACCREC"'
_TASKS = {}  # (database, task id) -> TaskInvoices, or None when reading by ids is cheaper
_KEEP = 4  # tasks remembered per process (a worker runs one task at a time)


def forget():
    """Drop what this process knows (e.g. after a reset of Xero's data)."""
    _TASKS.clear()


class TaskInvoices:
    """The invoices read for one task, by lower-case InvoiceID, and the newest stamp seen."""

    def __init__(self, since):
        self.invoices = {}
        self.since = since
        self.checked_at = time.time()

    def merge(self, invoices):
        for invoice in invoices:
            self.invoices[invoice["InvoiceID"].lower()] = invoice
            stamp = wire.parse_xero_date(invoice.get("UpdatedDateUTC"))
            if stamp and stamp > self.since:
                self.since = stamp

    def refresh(self, connection):
        """What changed since the newest invoice seen (that second is read again, harmlessly)."""
        self.merge(_read_pages(connection, self.since)[0])
        self.checked_at = time.time()


def _read_pages(connection, since, budget=None):
    """The sales invoices modified since ``since`` (see ``org_reads.read_pages``)."""
    return read_pages(
        connection, "get_invoices", "Invoices", budget, where=SALES, if_modified_since=since
    )


def _task_span(task):
    """``(oldest time sent, number)`` of the linked invoices the task's pending allocations
    pay (one query)."""
    task.env.cr.execute(
        """
        SELECT min(m.xero_last_sync), count(DISTINCT m.id)
          FROM xero_task_line l
          JOIN account_partial_reconcile p ON p.id = l.res_id
          JOIN account_move_line aml ON aml.id = p.debit_move_id
          JOIN account_move m ON m.id = aml.move_id
         WHERE l.task_id = %s AND l.outcome = 'pending'
           AND l.res_model = 'account.partial.reconcile'
           AND m.move_type = 'out_invoice' AND m.xero_invoice_id IS NOT NULL
        """,
        [task.id],
    )
    return task.env.cr.fetchone()


def lookup(connection, task, xero_ids, fresh=False):
    """Those of ``xero_ids`` whose current state this task's read holds, by lower-case id
    (``{}`` when the task reads by ids); ``fresh``: what changed is read now."""
    key = (task.env.cr.dbname, task.id)
    if key not in _TASKS:
        oldest, count = _task_span(task)
        state = None
        if oldest and count > IDS_PER_CALL:
            since = (oldest - MARGIN).replace(tzinfo=timezone.utc)
            invoices, _pages = _read_pages(connection, since, math.ceil(count / IDS_PER_CALL) - 1)
            if invoices is not None:
                state = TaskInvoices(since)
                state.merge(invoices)
        while len(_TASKS) >= _KEEP:
            _TASKS.pop(next(iter(_TASKS)))
        _TASKS[key] = state
    state = _TASKS[key]
    if state is None:
        return {}
    if fresh or state.checked_at <= time.time() - FRESH_FOR:
        state.refresh(connection)
    return {x.lower(): state.invoices[x.lower()] for x in xero_ids if x.lower() in state.invoices}


def paid(task, xero_ids):
    """These invoices were paid by the task: what this process holds of them is out of date."""
    state = _TASKS.get((task.env.cr.dbname, task.id))
    for xero_id in xero_ids if state else ():
        state.invoices.pop(xero_id.lower(), None)
